use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(buckets = "1,2")]
    a: Histogram,
}

fn main() {}
