use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(unit = "m/s")]
    a: Gauge,
}

fn main() {}
