use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Latency by outcome.
    #[metric(unit = "ms")]
    latency: Family<CallOutcome, Summary>,
}

fn main() {
    let _ = M::new();
}
