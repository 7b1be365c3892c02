use metrics_core::*;

#[derive(LabelSet)]
struct L {
    #[label(rename = "x", rename = "y")]
    a: bool,
}

fn main() {}
