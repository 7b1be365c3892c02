use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(name = "1requests")]
    a: Counter,
}

fn main() {}
