use coremeter::*;

#[derive(LabelSet)]
struct L {
    quantile: bool,
}

#[derive(Metrics)]
struct M {
    /// Help.
    a: Family<L, Summary>,
}

fn main() {
    // Uses of the struct add no errors of their own.
    let _ = M::new();
    let _ = M::default();
}
