use metrics_core::*;

#[derive(Metrics)]
struct M {
    requests: Counter,
}

fn main() {}
