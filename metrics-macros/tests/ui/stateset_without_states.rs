use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Phase.
    phase: StateSet,
}

fn main() {
    let _ = M::new();
}
