use coremeter::*;

#[derive(Metrics)]
#[metrics(prefix = "x")]
struct M {
    /// Help.
    a: Counter,
}

fn main() {}
