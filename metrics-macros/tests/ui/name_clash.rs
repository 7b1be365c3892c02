use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    requests: Counter,
    /// Help.
    #[metric(name = "requests_total")]
    other: Gauge,
}

fn main() {
    // Uses of the struct add no errors of their own.
    let _ = M::new();
    let _ = M::default();
}
