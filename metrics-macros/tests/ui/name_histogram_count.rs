use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    latency_count: Histogram,
}

fn main() {}
