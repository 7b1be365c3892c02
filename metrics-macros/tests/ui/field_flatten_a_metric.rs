use metrics_core::*;

#[derive(Metrics)]
struct M {
    #[metric(flatten)]
    a: Counter,
}

fn main() {}
