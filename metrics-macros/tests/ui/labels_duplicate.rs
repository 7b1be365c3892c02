use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(labels = ["a", "a"])]
    a: Family<DynLabels, Counter>,
}

fn main() {}
