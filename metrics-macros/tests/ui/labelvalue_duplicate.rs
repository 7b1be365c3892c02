use coremeter::*;

#[derive(LabelValue)]
#[label(rename_all = "lowercase")]
enum V {
    Get,
    #[label(rename = "get")]
    Fetch,
}

fn main() {}
