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

fn main() {}
