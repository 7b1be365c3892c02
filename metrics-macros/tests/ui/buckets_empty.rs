use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(buckets = [])]
    a: Histogram,
}

fn main() {}
