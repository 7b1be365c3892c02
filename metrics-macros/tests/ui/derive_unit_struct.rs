use metrics_core::*;

#[derive(Metrics)]
struct M;

fn main() {}
