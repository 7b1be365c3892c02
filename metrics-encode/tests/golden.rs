//! Golden files: the exact exposition of a registry holding every metric type, in both
//! formats (`tests/golden/everything.{prom,om}`). After an intended change, regenerate them with
//! `BLESS=1 cargo test -p coremeter-encode --test golden` and read the diff.

mod common;
mod parser;

use std::path::PathBuf;

use coremeter_encode::{Encoder, Format};

fn check(format: Format, file: &str) {
    let registry = common::everything();
    let mut encoder = Encoder::new();
    let text = std::str::from_utf8(encoder.encode(&registry, format).expect("renders"))
        .expect("utf-8")
        .to_owned();
    let got = common::mask_exemplar_timestamps(&text);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(file);
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, &got).expect("write golden file");
        return;
    }
    let want = std::fs::read_to_string(&path).expect("golden file (BLESS=1 writes it)");
    if got != want {
        for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
            if g != w {
                panic!(
                    "{file}: first difference at line {}:\n got: {g}\nwant: {w}",
                    i + 1
                );
            }
        }
        panic!(
            "{file}: {} lines rendered, {} expected",
            got.lines().count(),
            want.lines().count()
        );
    }
}

#[test]
fn text_0_0_4() {
    check(Format::Text, "everything.prom");
}

#[test]
fn openmetrics_1_0_0() {
    check(Format::OpenMetrics, "everything.om");
}

#[test]
fn a_second_render_is_identical() {
    let registry = common::everything();
    let mut encoder = Encoder::new();
    for format in [Format::Text, Format::OpenMetrics] {
        let first = encoder.encode(&registry, format).expect("renders").to_vec();
        let second = encoder.encode(&registry, format).expect("renders").to_vec();
        assert_eq!(first, second, "{format}");
    }
}

#[test]
fn both_outputs_parse_strictly() {
    let registry = common::everything();
    let mut encoder = Encoder::new();
    for format in [Format::Text, Format::OpenMetrics] {
        let text = std::str::from_utf8(encoder.encode(&registry, format).expect("renders"))
            .expect("utf-8");
        let families = parser::parse(text, format).unwrap_or_else(|e| panic!("{format}: {e}"));
        assert!(families.len() > 20, "{format}: {} families", families.len());
    }
}
