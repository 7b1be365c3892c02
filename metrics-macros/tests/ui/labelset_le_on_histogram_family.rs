use coremeter::*;

#[derive(LabelSet)]
struct L {
    le: bool,
}

#[derive(Metrics)]
struct M {
    /// Help.
    a: Family<L, Histogram>,
}

fn main() {
    // Uses of the struct add no errors of their own.
    let _ = M::new();
    let _ = M::default();
}
