use metrics_core::*;

static C: std::sync::LazyLock<Counter> = std::sync::LazyLock::new(Counter::new);

#[count_exceptions(C, crate = metrics_core, crate = metrics_core)]
fn f() -> Result<(), ()> {
    Ok(())
}

fn main() {}
