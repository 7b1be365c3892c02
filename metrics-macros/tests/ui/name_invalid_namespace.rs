use coremeter::*;

#[derive(Metrics)]
#[metrics(namespace = "my-app")]
struct M {
    /// Help.
    a: Counter,
}

fn main() {
    // Uses of the struct add no errors of their own.
    let _ = M::new();
    let _ = M::default();
}
