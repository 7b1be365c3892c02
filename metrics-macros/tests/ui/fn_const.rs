use coremeter::*;

static H: std::sync::LazyLock<Histogram> = std::sync::LazyLock::new(Histogram::new);

#[timed(H)]
const fn f() -> u32 {
    1
}

fn main() {}
