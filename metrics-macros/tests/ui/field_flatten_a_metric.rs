use coremeter::*;

#[derive(Metrics)]
struct M {
    #[metric(flatten)]
    a: Counter,
}

fn main() {}
