use coremeter::*;

#[derive(LabelSet)]
struct L {
    quantile: bool,
}

#[derive(Metrics)]
struct M {
    /// Help.
    a: Family<L, Summary>,
}

fn main() {}
