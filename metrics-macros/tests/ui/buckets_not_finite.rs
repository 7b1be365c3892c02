use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(buckets = [0.1, 1e400])]
    a: Histogram,
}

fn main() {}
