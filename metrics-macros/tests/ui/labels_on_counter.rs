use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(labels = ["a"])]
    a: Counter,
}

fn main() {}
