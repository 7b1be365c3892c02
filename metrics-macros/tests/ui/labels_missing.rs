use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    a: Family<DynLabels, Counter>,
}

fn main() {}
