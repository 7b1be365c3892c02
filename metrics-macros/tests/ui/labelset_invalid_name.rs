use coremeter::*;

#[derive(LabelSet)]
struct L {
    #[label(rename = "a-b")]
    a: bool,
}

fn main() {}
