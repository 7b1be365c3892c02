use coremeter::*;

#[derive(Metrics)]
#[metric(name = "x")]
struct M {
    /// Help.
    a: Counter,
}

fn main() {}
