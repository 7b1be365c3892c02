use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(unit = "seconds", unit = "bytes")]
    a: Gauge,
}

fn main() {
    // Uses of the struct add no errors of their own.
    let _ = M::new();
    let _ = M::default();
}
