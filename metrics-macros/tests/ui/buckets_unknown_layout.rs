use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(buckets = geometric(1.0, 2.0, 3))]
    a: Histogram,
}

fn main() {}
