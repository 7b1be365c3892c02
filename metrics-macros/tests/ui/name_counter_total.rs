use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    requests_total: Counter,
}

fn main() {}
