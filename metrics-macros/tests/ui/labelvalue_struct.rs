use metrics_core::*;

#[derive(LabelValue)]
struct V {
    a: bool,
}

fn main() {}
