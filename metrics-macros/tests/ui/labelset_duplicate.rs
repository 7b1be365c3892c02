use metrics_core::*;

#[derive(LabelSet)]
struct L {
    a: bool,
    #[label(rename = "a")]
    b: bool,
}

fn main() {}
