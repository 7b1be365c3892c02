use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(labels = ["a"], limit = 0)]
    a: Family<DynLabels, Counter>,
}

fn main() {}
