use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    requests: Counter,
    /// Help.
    #[metric(name = "requests_total")]
    other: Gauge,
}

fn main() {}
