use coremeter::*;

// A mistake in a struct with `static = NAME`: one error, and the uses of the static add none.
#[derive(Metrics)]
#[metrics(namespace = "svc", static = SVC)]
struct M {
    /// Requests.
    #[metric(unit = "bad unit")]
    requests: Counter,
}

fn main() {
    SVC.requests.inc();
    let _ = M::new();
}
