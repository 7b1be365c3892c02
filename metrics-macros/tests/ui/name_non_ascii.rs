use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    größe: Gauge,
}

fn main() {}
