use coremeter::*;

#[derive(LabelSet)]
struct L {
    #[label(name = "x")]
    a: bool,
}

fn main() {}
