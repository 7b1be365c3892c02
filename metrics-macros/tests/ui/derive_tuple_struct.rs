use coremeter::*;

#[derive(Metrics)]
struct M(Counter);

fn main() {}
