use metrics_core::*;

#[derive(Metrics)]
struct M {
    /// Help.
    größe: Gauge,
}

fn main() {}
