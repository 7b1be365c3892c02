use coremeter::*;

#[derive(Metrics)]
struct M {
    requests: Counter,
}

fn main() {}
