use coremeter::*;

#[derive(LabelSet)]
enum L {
    A,
}

fn main() {}
