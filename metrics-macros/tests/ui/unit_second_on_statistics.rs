use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Latency.
    #[metric(unit = "second")]
    latency: Statistics,
}

fn main() {
    let _ = M::new();
}
