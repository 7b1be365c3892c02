use coremeter::*;

#[derive(Metrics)]
#[metrics(namespace = "app")]
struct M {
    /// Help.
    a: Gauge,
    /// Help.
    #[metric(name = "a")]
    b: Gauge,
}

fn main() {}
