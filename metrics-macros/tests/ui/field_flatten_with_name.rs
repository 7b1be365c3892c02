use coremeter::*;

#[derive(Metrics)]
struct Inner {
    /// Help.
    a: Counter,
}

#[derive(Metrics)]
struct M {
    #[metric(flatten, name = "x")]
    inner: Inner,
}

fn main() {}
