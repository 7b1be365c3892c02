use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(buckets = exponential(0.0, 2.0, 3))]
    a: Histogram,
}

fn main() {}
