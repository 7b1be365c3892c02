use metrics_core::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(labels = ["a", "a"])]
    a: Family<DynLabels, Counter>,
}

fn main() {}
