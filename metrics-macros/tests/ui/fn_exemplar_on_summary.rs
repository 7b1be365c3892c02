use coremeter::*;

static S: std::sync::LazyLock<Summary> = std::sync::LazyLock::new(Summary::new);

#[timed(S, exemplar = ("trace_id", "abc"))]
fn work() {}

fn main() {
    work();
}
