use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(unit = "seconds", unit = "bytes")]
    a: Gauge,
}

fn main() {}
