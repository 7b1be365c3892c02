use metrics_core::*;

#[derive(LabelSet)]
struct L {}

fn main() {}
