use coremeter::*;

#[derive(Metrics)]
struct M {
    /// Build.
    #[metric(unit = "bytes")]
    build: Info,
}

fn main() {
    let _ = M::new();
}
