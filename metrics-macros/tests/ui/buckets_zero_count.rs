use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(buckets = linear(0.1, 0.1, 0))]
    a: Histogram,
}

fn main() {}
