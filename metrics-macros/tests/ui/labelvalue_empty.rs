use coremeter::*;

#[derive(LabelValue)]
enum V {}

fn main() {}
