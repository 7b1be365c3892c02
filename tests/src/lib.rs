//! Cross-crate and end-to-end tests of the workspace; nothing here is published.
//!
//! For now it runs the README's Rust code as doc tests, so the README cannot drift from the API.
//! The macro UI tests (`tests/ui.rs`) and the end-to-end tests against real Prometheus,
//! Pushgateway and carbon (`tests/e2e.rs`) join it with the issues that bring those parts.

#![forbid(unsafe_code)]

/// The README's code blocks, compiled and run by `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
