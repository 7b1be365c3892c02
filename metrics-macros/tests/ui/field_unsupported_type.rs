use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    a: u64,
}

fn main() {
    // Uses of the struct add no errors of their own.
    let _ = M::new();
    let _ = M::default();
}
