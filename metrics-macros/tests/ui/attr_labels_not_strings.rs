use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(labels = [method])]
    a: Family<DynLabels, Counter>,
}

fn main() {}
