use coremeter::*;

#[derive(LabelSet)]
struct L {}

fn main() {}
