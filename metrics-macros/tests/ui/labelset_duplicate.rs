use coremeter::*;

#[derive(LabelSet)]
struct L {
    a: bool,
    #[label(rename = "a")]
    b: bool,
}

fn main() {}
