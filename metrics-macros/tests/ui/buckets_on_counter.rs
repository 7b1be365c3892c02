use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(buckets = [1.0])]
    a: Counter,
}

fn main() {}
