use coremeter::*;

#[derive(Metrics)]
#[metrics(namespace = "my-app")]
struct M {
    /// Help.
    a: Counter,
}

fn main() {}
