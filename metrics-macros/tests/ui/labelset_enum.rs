use metrics_core::*;

#[derive(LabelSet)]
enum L {
    A,
}

fn main() {}
