use coremeter::*;

#[derive(LabelSet)]
#[label(rename = "x")]
struct L {
    a: bool,
}

fn main() {}
