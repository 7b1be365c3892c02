use coremeter::*;

#[derive(Metrics)]
#[metrics(namespace = "app")]
struct M {
    /// Help.
    a: Gauge,
    /// Help.
    #[metric(name = "a")]
    b: Gauge,
}

fn main() {
    // Uses of the struct add no errors of their own.
    let _ = M::new();
    let _ = M::default();
}
