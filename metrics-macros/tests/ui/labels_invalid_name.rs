use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(labels = ["http-method"])]
    a: Family<DynLabels, Counter>,
}

fn main() {}
