use metrics_core::*;

#[derive(LabelValue)]
enum V {}

fn main() {}
