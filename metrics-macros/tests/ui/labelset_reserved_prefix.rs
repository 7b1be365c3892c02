use metrics_core::*;

#[derive(LabelSet)]
struct L {
    __a: bool,
}

fn main() {}
