use metrics_core::*;

#[derive(Metrics)]
struct M<T> {
    /// Help.
    a: Counter,
    b: T,
}

fn main() {}
