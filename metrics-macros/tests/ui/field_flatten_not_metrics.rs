use coremeter::*;

#[derive(Metrics)]
struct M {
    #[metric(flatten)]
    inner: String,
}

fn main() {}
