use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Phase.
    #[metric(states = String)]
    phase: StateSet,
}

fn main() {
    let _ = M::new();
}
