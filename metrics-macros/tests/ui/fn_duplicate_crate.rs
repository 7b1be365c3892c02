use coremeter::*;

static C: std::sync::LazyLock<Counter> = std::sync::LazyLock::new(Counter::new);

#[count_exceptions(C, crate = coremeter, crate = coremeter)]
fn f() -> Result<(), ()> {
    Ok(())
}

fn main() {}
