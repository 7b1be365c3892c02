use metrics_core::*;

#[derive(Metrics)]
union M {
    a: u32,
}

fn main() {}
