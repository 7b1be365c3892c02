use coremeter::*;

static C: std::sync::LazyLock<Counter> = std::sync::LazyLock::new(Counter::new);

#[in_progress(C)]
fn f() {}

fn main() {}
