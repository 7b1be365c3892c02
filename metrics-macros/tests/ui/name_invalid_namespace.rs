use metrics_core::*;

#[derive(Metrics)]
#[metrics(namespace = "my-app")]
struct M {
    /// Help.
    a: Counter,
}

fn main() {}
