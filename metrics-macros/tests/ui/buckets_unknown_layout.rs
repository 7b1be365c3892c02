use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(buckets = geometric(1.0, 2.0, 3))]
    a: Histogram,
}

fn main() {
    // Uses of the struct add no errors of their own.
    let _ = M::new();
    let _ = M::default();
}
