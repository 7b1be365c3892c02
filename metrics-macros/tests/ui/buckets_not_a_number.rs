use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(buckets = [0.1, x])]
    a: Histogram,
}

fn main() {}
