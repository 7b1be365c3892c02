use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(buckets = [0.1, 0.5, 0.5])]
    a: Histogram,
}

fn main() {}
