use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(name = "wait_max")]
    wait: Statistics,
}

fn main() {
    // Uses of the struct add no errors of their own.
    let _ = M::new();
    let _ = M::default();
}
