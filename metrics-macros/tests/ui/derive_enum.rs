use coremeter::*;

#[derive(Metrics)]
enum M {
    A,
}

fn main() {}
