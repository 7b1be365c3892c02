use coremeter::*;

struct NotALabel;

#[derive(LabelSet)]
struct L {
    a: NotALabel,
}

fn main() {}
