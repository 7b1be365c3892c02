use metrics_core::*;

#[derive(LabelSet)]
struct L {
    #[label(name = "x")]
    a: bool,
}

fn main() {}
