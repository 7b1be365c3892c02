use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(labels = ["le"])]
    a: Family<DynLabels, Histogram>,
}

fn main() {}
