use coremeter::*;

static H: std::sync::LazyLock<Histogram> = std::sync::LazyLock::new(Histogram::new);

#[timed(H, labels = 1)]
fn f() {}

fn main() {}
