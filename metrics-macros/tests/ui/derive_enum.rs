use coremeter::*;

#[derive(Metrics)]
enum M {
    A,
}

fn main() {
    // Uses of the struct add no errors of their own.
    let _ = M::new();
    let _ = M::default();
}
