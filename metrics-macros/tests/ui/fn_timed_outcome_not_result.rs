use coremeter::*;

#[derive(Metrics)]
#[metrics(static = M)]
struct Metrics {
    /// Latency by outcome.
    #[metric(unit = "seconds")]
    latency: Family<CallOutcome, Histogram>,
}

#[timed(M.latency)]
fn count() -> u32 {
    1
}

fn main() {
    let _ = count();
}
