use metrics_core::*;

#[derive(LabelSet)]
struct L(bool);

fn main() {}
