use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(bucket = [1.0])]
    a: Histogram,
}

fn main() {}
