use coremeter::{DynLabels, Family, Metrics, NativeHistogram};

#[derive(Metrics)]
struct M {
    /// Latency by route.
    #[metric(labels = ["route"])]
    latency: Family<DynLabels, NativeHistogram>,
}

fn main() {}
