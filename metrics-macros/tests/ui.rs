//! The macros' compile errors: one mistake per file in `tests/ui/`, each with the exact message
//! expected (`TRYBUILD=overwrite cargo test -p coremeter-macros --test ui` regenerates them after a
//! deliberate change; review the diff).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    // Code that compiles, and runs, without a warning under `#![deny(warnings)]`.
    t.pass("tests/ui-pass/*.rs");
}
