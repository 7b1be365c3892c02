use coremeter::*;

#[derive(Metrics)]
#[metrics(const_labels(zone = "eu"))]
struct M {
    /// Help.
    #[metric(labels = ["zone"])]
    a: Family<DynLabels, Counter>,
}

fn main() {}
