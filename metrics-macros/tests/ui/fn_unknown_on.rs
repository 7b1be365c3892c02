use coremeter::*;

static C: std::sync::LazyLock<Counter> = std::sync::LazyLock::new(Counter::new);

#[count_exceptions(C, on = "error")]
fn f() -> Result<(), ()> {
    Ok(())
}

fn main() {}
