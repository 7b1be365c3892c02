use coremeter::*;

#[derive(Metrics)]
#[metrics(prefix = "x")]
struct M {
    /// Help.
    a: Counter,
}

fn main() {
    // Uses of the struct add no errors of their own.
    let _ = M::new();
    let _ = M::default();
}
