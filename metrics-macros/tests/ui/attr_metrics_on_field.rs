use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metrics(name = "x")]
    a: Counter,
}

fn main() {}
