//! Cross-crate and end-to-end tests of the workspace; nothing here is published.
//!
//! It runs the Rust code of the README and of the guides in `docs/` as doc tests, so they cannot
//! drift from the API. (The macros' UI tests live in `metrics-macros/tests/`, the end-to-end
//! tests against real Prometheus, Pushgateway and carbon in `metrics-exporter/tests/`.)

#![forbid(unsafe_code)]

/// The README's code blocks, compiled and run by `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// The migration guide's code blocks.
#[cfg(doctest)]
#[doc = include_str!("../../docs/migrating-from-prometheus-client.md")]
pub struct MigrationGuideDoctests;

/// The semantics guide's code blocks.
#[cfg(doctest)]
#[doc = include_str!("../../docs/semantics.md")]
pub struct SemanticsGuideDoctests;

/// The crate READMEs shown on crates.io: `coremeter`'s.
#[cfg(doctest)]
#[doc = include_str!("../../metrics-core/README.md")]
pub struct CoremeterReadmeDoctests;

/// `coremeter-macros`' README (its example needs a renamed dependency and is not run here;
/// `tests/renamed-dependency/` runs the same thing).
#[cfg(doctest)]
#[doc = include_str!("../../metrics-macros/README.md")]
pub struct MacrosReadmeDoctests;

/// `coremeter-encode`'s README.
#[cfg(doctest)]
#[doc = include_str!("../../metrics-encode/README.md")]
pub struct EncodeReadmeDoctests;

/// `coremeter-exporter`'s README.
#[cfg(doctest)]
#[doc = include_str!("../../metrics-exporter/README.md")]
pub struct ExporterReadmeDoctests;

/// `coremeter-recorder`'s README.
#[cfg(doctest)]
#[doc = include_str!("../../metrics-recorder/README.md")]
pub struct RecorderReadmeDoctests;
