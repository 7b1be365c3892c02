use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(labels = [])]
    a: Family<DynLabels, Counter>,
}

fn main() {}
