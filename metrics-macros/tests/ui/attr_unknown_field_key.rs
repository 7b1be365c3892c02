use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(bucket = [1.0])]
    a: Histogram,
}

fn main() {
    // Uses of the struct add no errors of their own.
    let _ = M::new();
    let _ = M::default();
}
