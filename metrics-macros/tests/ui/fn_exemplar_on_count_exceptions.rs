use coremeter::*;

static C: std::sync::LazyLock<Counter> = std::sync::LazyLock::new(Counter::new);

#[count_exceptions(C, exemplar = ("trace_id", "abc"))]
fn work() -> Result<(), ()> {
    Ok(())
}

fn main() {
    let _ = work();
}
