use coremeter::*;

#[derive(Metrics)]
struct M;

fn main() {}
