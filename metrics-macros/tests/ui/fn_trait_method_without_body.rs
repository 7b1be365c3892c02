use coremeter::*;

static H: std::sync::LazyLock<Histogram> = std::sync::LazyLock::new(Histogram::new);

trait T {
    #[timed(H)]
    fn f(&self);
}

fn main() {}
