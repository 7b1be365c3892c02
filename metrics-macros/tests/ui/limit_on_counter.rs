use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(limit = 10)]
    a: Counter,
}

fn main() {}
