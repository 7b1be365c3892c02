use coremeter::*;

#[derive(Metrics)]
#[metrics(const_labels(le = "1"))]
struct M {
    /// Help.
    a: Histogram,
}

fn main() {}
