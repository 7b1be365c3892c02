use coremeter::*;

static H: std::sync::LazyLock<Histogram> = std::sync::LazyLock::new(Histogram::new);

// The function only makes the future: timing it would measure its creation.
#[timed(H)]
fn ready() -> std::future::Ready<u32> {
    std::future::ready(1)
}

fn main() {
    let _ = ready();
}
