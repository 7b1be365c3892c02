use coremeter::*;

#[derive(Metrics)]
union M {
    a: u32,
}

fn main() {
    // Uses of the struct add no errors of their own.
    let _ = M::new();
    let _ = M::default();
}
