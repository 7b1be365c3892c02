use coremeter::*;

#[derive(LabelSet)]
struct L {
    __a: bool,
}

fn main() {}
