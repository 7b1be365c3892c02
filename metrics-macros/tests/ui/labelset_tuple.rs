use coremeter::*;

#[derive(LabelSet)]
struct L(bool);

fn main() {}
