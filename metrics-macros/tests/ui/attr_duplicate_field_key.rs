use metrics_core::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(unit = "seconds", unit = "bytes")]
    a: Gauge,
}

fn main() {}
