use metrics_core::*;

#[derive(LabelValue)]
enum V<T> {
    A,
    B(T),
}

fn main() {}
