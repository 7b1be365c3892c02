use coremeter::*;

#[derive(Metrics)]
union M {
    a: u32,
}

fn main() {}
