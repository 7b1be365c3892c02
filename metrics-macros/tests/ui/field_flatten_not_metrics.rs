use metrics_core::*;

#[derive(Metrics)]
struct M {
    #[metric(flatten)]
    inner: String,
}

fn main() {}
