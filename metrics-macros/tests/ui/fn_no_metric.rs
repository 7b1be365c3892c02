use coremeter::*;

#[in_progress]
fn f() {}

fn main() {}
