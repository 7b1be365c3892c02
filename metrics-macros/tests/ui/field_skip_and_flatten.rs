use coremeter::*;

#[derive(Metrics)]
struct M {
    #[metric(skip, flatten)]
    a: u64,
}

fn main() {}
