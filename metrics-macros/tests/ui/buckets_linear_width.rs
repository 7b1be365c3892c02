use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(buckets = linear(1.0, 0.0, 3))]
    a: Histogram,
}

fn main() {}
