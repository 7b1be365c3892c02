use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    a: Family<DynLabels, Counter>,
}

fn main() {
    // Uses of the struct add no errors of their own.
    let _ = M::new();
    let _ = M::default();
}
