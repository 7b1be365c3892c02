use coremeter::*;

static H: std::sync::LazyLock<Histogram> = std::sync::LazyLock::new(Histogram::new);

#[timed(H, on = "err")]
fn f() {}

fn main() {}
