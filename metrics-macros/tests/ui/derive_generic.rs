use coremeter::*;

#[derive(Metrics)]
struct M<T> {
    /// Help.
    a: Counter,
    b: T,
}

fn main() {}
