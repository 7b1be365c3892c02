use coremeter::*;

static G: std::sync::LazyLock<Gauge> = std::sync::LazyLock::new(Gauge::new);

#[count_exceptions(G)]
fn f() -> Result<(), ()> {
    Ok(())
}

fn main() {}
