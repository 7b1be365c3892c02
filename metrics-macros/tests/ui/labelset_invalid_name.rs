use metrics_core::*;

#[derive(LabelSet)]
struct L {
    #[label(rename = "a-b")]
    a: bool,
}

fn main() {}
