use coremeter::*;

#[derive(Metrics)]
#[metrics(const_labels(zone = "eu"))]
struct M {
    /// Help.
    #[metric(labels = ["zone"])]
    a: Family<DynLabels, Counter>,
}

fn main() {
    // Uses of the struct add no errors of their own.
    let _ = M::new();
    let _ = M::default();
}
