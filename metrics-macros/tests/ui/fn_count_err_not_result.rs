use coremeter::*;

static C: std::sync::LazyLock<Counter> = std::sync::LazyLock::new(Counter::new);

#[count_exceptions(C)]
fn f() -> u32 {
    1
}

fn main() {}
