use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(buckets = [0.1, x])]
    a: Histogram,
}

fn main() {
    // Uses of the struct add no errors of their own.
    let _ = M::new();
    let _ = M::default();
}
