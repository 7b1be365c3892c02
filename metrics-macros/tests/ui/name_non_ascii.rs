use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    größe: Gauge,
}

fn main() {
    // Uses of the struct add no errors of their own.
    let _ = M::new();
    let _ = M::default();
}
