use metrics_core::*;

#[derive(LabelValue)]
enum V {
    A,
    B(u8),
}

fn main() {}
