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

fn main() {
    // Uses of the struct add no errors of their own.
    let _ = M::new();
    let _ = M::default();
}
