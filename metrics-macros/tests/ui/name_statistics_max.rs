use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Help.
    #[metric(name = "wait_max")]
    wait: Statistics,
}

fn main() {}
