use coremeter::*;

#[derive(LabelValue)]
enum V {
    A,
    B(u8),
}

fn main() {}
