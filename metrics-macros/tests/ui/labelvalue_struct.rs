use coremeter::*;

#[derive(LabelValue)]
struct V {
    a: bool,
}

fn main() {}
