use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(limit = 10)]
    a: Counter,
}

fn main() {
    // Uses of the struct add no errors of their own.
    let _ = M::new();
    let _ = M::default();
}
