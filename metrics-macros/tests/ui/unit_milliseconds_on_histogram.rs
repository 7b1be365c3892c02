use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Latency.
    #[metric(unit = "milliseconds")]
    latency: Histogram,
}

fn main() {
    let _ = M::new();
}
