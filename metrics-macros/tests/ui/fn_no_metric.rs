use metrics_core::*;

#[in_progress]
fn f() {}

fn main() {}
