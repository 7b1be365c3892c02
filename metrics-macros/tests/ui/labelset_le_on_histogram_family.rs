use coremeter::*;

#[derive(LabelSet)]
struct L {
    le: bool,
}

#[derive(Metrics)]
struct M {
    /// Help.
    a: Family<L, Histogram>,
}

fn main() {}
