//! Exposition formats for `coremeter` registries: Prometheus text format 0.0.4, OpenMetrics 1.0.0
//! text, and Prometheus' protobuf exposition. Pure code, no sockets (`coremeter-exporter` serves
//! it over HTTP).
//!
//! A registry hands its families to an [`Encoder`] through `coremeter::Visitor`, values
//! already summed over shards; the encoder renders them into a buffer it reuses, so that a
//! scrape allocates nothing per series once the buffer has grown.
//!
//! - [`Encoder`]: renders a [`Registry`](coremeter::Registry) in a [`Format`], optionally
//!   restricted to some names, reset-on-read, gzipped ([`Scrape`]).
//! - [`Format::negotiate`] and [`accepts_gzip`]: the choice an HTTP server makes from `Accept`
//!   and `Accept-Encoding`, with the exact `Content-Type` of each format.
//! - [`render`]: a one-off rendering into a `String`.
//! - [`canonical_float`]: how `le` bounds are spelled.
//!
//! # How each type is exposed
//!
//! | core type | text 0.0.4 | OpenMetrics 1.0.0 | protobuf (`MetricFamily`) |
//! |---|---|---|---|
//! | `Counter`, `FloatCounter` | `counter` family `x_total`, sample `x_total` | `counter` `x`, sample `x_total` (+ exemplar) | `COUNTER` `x_total` (+ exemplar) |
//! | `Gauge`, `FloatGauge` | `gauge` `x` | `gauge` `x` | `GAUGE` `x` |
//! | `Histogram` | `histogram`: `x_bucket{le}` cumulative up to `+Inf`, `x_count`, `x_sum` | the same, exemplars on buckets | `HISTOGRAM` `x`: buckets up to `+Inf` (+ exemplars), count, sum |
//! | `Summary` | `summary`: `x_count`, `x_sum` (no quantiles) | the same | `SUMMARY` `x`: count, sum |
//! | `Statistics` | `summary` `x` (`x_count`, `x_sum`), then `gauge` families `x_min`, `x_max` | the same | the same, as `SUMMARY` and `GAUGE` |
//! | `Info` | `gauge` `x_info`, value 1 | `info` `x`, sample `x_info` 1 | `GAUGE` `x_info`, value 1 |
//! | `StateSet` | `gauge` `x`: `x{x="state"}` 1 or 0 per state | `stateset` `x`, the same samples | `GAUGE` `x`, the same series |
//! | custom `unknown` | `untyped` | `unknown` | `UNTYPED` |
//! | target labels | `gauge` `target_info`, value 1, first | `info` `target`, `target_info` 1, first | `GAUGE` `target_info`, value 1, first |
//!
//! `x_min` and `x_max` of statistics have a series only once their series has an observation.
//! `# UNIT` is written in OpenMetrics for a family with a unit (not info or state set); `# HELP`
//! when the HELP text is not empty. `_created` samples are not written (they are optional).
//! Floats are the shortest text that reads back to the same value (`0.1`, `1e-7`, `2.0`), with
//! `NaN`, `+Inf`, `-Inf`; integer values (counts, integer counters and gauges) are exact; `le`
//! bounds are in OpenMetrics' canonical form ([`canonical_float`]).
//!
//! OpenMetrics treats totals, `_count` and `_sum` as counters, so where a value would break
//! that, the sample is left out of OpenMetrics (text 0.0.4 has them all): a counter from a
//! callback or custom collector that is negative or NaN; the `_sum` of a summary or statistics
//! whose observations sum below zero (or to NaN); and `_count` and `_sum` of a histogram with a
//! negative bound or a negative or NaN sum (its `+Inf` bucket still gives the count).
//!
//! # Order and escaping
//!
//! Families come in registration order, `target_info` first, the overflow self-metric
//! (`coremeter_family_overflow_label_sets`) last; one family per name (the registry refuses
//! clashes). A series' labels are the registry's constant labels, then the family's in
//! declaration order, then an info's pairs, then `le` or a state set's label. Label values
//! escape `\`, `"` and line feed in both formats; HELP escapes `\` and line feed in text 0.0.4
//! and also `"` in OpenMetrics.
//!
//! # Speed
//!
//! An [`Encoder`] keeps each series' sample lines up to the value, rendered once, and a label
//! family whose series have not changed since the last scrape is read in bulk
//! (`coremeter::Visitor::values`): a warm scrape reads each value and writes it after its
//! cached prefix. `benches/README.md` has the measurements.
//!
//! # Example
//!
//! ```
//! use coremeter::{Counter, Histogram, Opts, Registry};
//! use coremeter_encode::{Encoder, Format};
//!
//! let registry = Registry::builder().const_label("region", "eu").build()?;
//! let requests = Counter::new();
//! let latency = Histogram::with_buckets(&[0.1, 1.0])?;
//! registry.register(Opts::new("http_requests", "Requests served."), requests.clone())?;
//! registry.register(Opts::new("latency", "Request time.").unit("seconds"), latency.clone())?;
//! requests.inc_by(2);
//! latency.observe(0.25);
//!
//! let mut encoder = Encoder::new();
//! assert_eq!(
//!     std::str::from_utf8(encoder.encode(&registry, Format::Text)?)?,
//!     r#"# HELP http_requests_total Requests served.
//! ## TYPE http_requests_total counter
//! http_requests_total{region="eu"} 2
//! ## HELP latency_seconds Request time.
//! ## TYPE latency_seconds histogram
//! latency_seconds_bucket{region="eu",le="0.1"} 0
//! latency_seconds_bucket{region="eu",le="1.0"} 1
//! latency_seconds_bucket{region="eu",le="+Inf"} 1
//! latency_seconds_count{region="eu"} 1
//! latency_seconds_sum{region="eu"} 0.25
//! "#
//! );
//! assert_eq!(
//!     std::str::from_utf8(encoder.encode(&registry, Format::OpenMetrics)?)?,
//!     r#"# HELP http_requests Requests served.
//! ## TYPE http_requests counter
//! http_requests_total{region="eu"} 2
//! ## HELP latency_seconds Request time.
//! ## TYPE latency_seconds histogram
//! ## UNIT latency_seconds seconds
//! latency_seconds_bucket{region="eu",le="0.1"} 0
//! latency_seconds_bucket{region="eu",le="1.0"} 1
//! latency_seconds_bucket{region="eu",le="+Inf"} 1
//! latency_seconds_count{region="eu"} 1
//! latency_seconds_sum{region="eu"} 0.25
//! ## EOF
//! "#
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Supported Rust: the workspace's `rust-version` (1.95), the toolchain CI runs.

#![forbid(unsafe_code)]

mod buf;
mod by_registration;
mod cache;
mod encoder;
mod error;
mod escape;
mod extremes;
mod format;
mod le_labels;
mod number;
mod protobuf;
mod reply;
mod scrape;
mod selection;
mod target;

pub use encoder::{Encoder, render};
pub use error::RenderError;
pub use format::{Format, accepts_gzip};
pub use number::canonical_float;
pub use scrape::Scrape;
