use coremeter::*;

#[derive(LabelSet)]
struct L {
    a: bool,
}

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(labels = ["a"])]
    a: Family<L, Counter>,
}

fn main() {
    // Uses of the struct add no errors of their own.
    let _ = M::new();
    let _ = M::default();
}
