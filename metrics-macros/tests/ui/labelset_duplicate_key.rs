use coremeter::*;

#[derive(LabelSet)]
struct L {
    #[label(rename = "x", rename = "y")]
    a: bool,
}

fn main() {}
