use coremeter::*;

#[derive(Metrics)]
#[metrics(namespace = "a", namespace = "b")]
struct M {
    /// Help.
    a: Counter,
}

fn main() {}
