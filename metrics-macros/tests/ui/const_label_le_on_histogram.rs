use coremeter::*;

#[derive(Metrics)]
#[metrics(const_labels(le = "1"))]
struct M {
    /// Help.
    a: Histogram,
}

fn main() {
    // Uses of the struct add no errors of their own.
    let _ = M::new();
    let _ = M::default();
}
