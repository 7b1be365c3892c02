use coremeter::*;

#[derive(Metrics)]
#[metrics(const_labels(__x = "1"))]
struct M {
    /// Help.
    a: Counter,
}

fn main() {}
