use metrics_core::*;

#[derive(Metrics)]
struct M(Counter);

fn main() {}
