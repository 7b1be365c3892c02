use coremeter::*;

#[derive(LabelSet)]
#[label(rename_all = "Train-Case")]
struct L {
    a: bool,
}

fn main() {}
