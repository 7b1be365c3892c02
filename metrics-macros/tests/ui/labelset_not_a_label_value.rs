use metrics_core::*;

struct NotALabel;

#[derive(LabelSet)]
struct L {
    a: NotALabel,
}

fn main() {}
