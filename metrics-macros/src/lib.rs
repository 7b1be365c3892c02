//! Procedural macros for `metrics-core`, re-exported by it (feature `macros`).
//!
//! This crate will hold `#[derive(Metrics)]` (a struct of metrics, statically registered, with
//! HELP from doc comments and names checked at compile time), `#[derive(LabelSet)]`,
//! `#[derive(LabelValue)]`, and the function attributes `#[timed]`, `#[count_exceptions]` and
//! `#[in_progress]`. None is implemented yet; until then, metrics are declared with the
//! constructors and `Registry::register` of `metrics-core`.

#![forbid(unsafe_code)]
