use coremeter::*;

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash)]
enum Phase {
    Up,
}

#[derive(Metrics)]
struct M {
    /// Requests.
    #[metric(states = Phase)]
    requests: Counter,
}

fn main() {
    let _ = M::new();
}
