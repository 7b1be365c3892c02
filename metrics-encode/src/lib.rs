//! Exposition formats for `metrics-core` registries. Pure code: no sockets.
//!
//! This crate will render what `metrics_core::Registry::collect` hands to a
//! `metrics_core::Visitor` (values already summed over shards) as Prometheus text format 0.0.4
//! and OpenMetrics 1.0 text, with content negotiation from an `Accept` header, `name[]`
//! filtering and gzip. It is not implemented yet; `metrics_core::SampleList` gives the samples
//! in the meantime.

#![forbid(unsafe_code)]
