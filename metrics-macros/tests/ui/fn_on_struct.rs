use coremeter::*;

static C: std::sync::LazyLock<Counter> = std::sync::LazyLock::new(Counter::new);

#[count_exceptions(C)]
struct S;

fn main() {}
