use coremeter::*;

#[derive(LabelValue)]
enum V<T> {
    A,
    B(T),
}

fn main() {}
