use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    a: u64,
}

fn main() {}
