//! A recorder for the [`metrics`] facade over a [`coremeter`] registry: the
//! `counter!`, `gauge!` and `histogram!` calls of a service and of the crates it uses land in
//! coremeter label families (per-CPU cells, the cardinality limit and its overflow series), and
//! one scrape shows them beside the service's `#[derive(Metrics)]` structs.
//!
//! ```
//! use std::sync::Arc;
//!
//! let registry = Arc::new(coremeter::Registry::new());
//! let recorder = coremeter_recorder::RecorderBuilder::new().registry(&registry).build();
//! metrics::with_local_recorder(&recorder, || {
//!     metrics::describe_counter!("http.requests", "Requests served.");
//!     metrics::counter!("http.requests", "method" => "GET").increment(1);
//!     metrics::gauge!("queue-depth").set(3.0);
//!     metrics::histogram!("latency_seconds").record(0.25);
//! });
//! let text = coremeter_encode::render(&registry, coremeter_encode::Format::Text)?;
//! assert!(text.contains("# HELP http_requests_total Requests served.\n"));
//! assert!(text.contains("http_requests_total{method=\"GET\"} 1\n"));
//! assert!(text.contains("queue_depth 3.0\n"));
//! assert!(text.contains("latency_seconds_count 1\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! | what | how |
//! | --- | --- |
//! | [`install`] | the global recorder, over [`coremeter::default_registry`] |
//! | [`RecorderBuilder`] | another registry, histogram buckets per name ([`Matcher`]) |
//! | [`CoremeterRecorder`] | the recorder, for `metrics::set_global_recorder` or `with_local_recorder` |
//!
//! # How facade metrics are kept
//!
//! - Each facade name is one label family, registered at the name's first use with that use's
//!   label keys as label names. Counters are `Counter`s (`increment`; `absolute` raises the
//!   counter to at least the value), gauges `FloatGauge`s, histograms `Histogram`s with fixed
//!   buckets: coremeter's defaults, or those given for the name ([`Matcher`]). Observations are
//!   counted into buckets at once, never kept until a scrape.
//! - Names: characters Prometheus does not take become `_` (`http.requests` ->
//!   `http_requests`, `job-duration` -> `job_duration`); a counter named `x` or `x_total` is
//!   exposed as `x_total`. Label keys likewise.
//! - `describe_*!` gives the family's HELP and unit (`Unit::Count` adds none; another unit is
//!   appended to the name, as coremeter does: `Unit::Seconds` -> `_seconds`), when it comes
//!   before the name's first use; a later description is ignored. A name never described gets
//!   the HELP `<facade name> (through the metrics facade)` (Prometheus' lint asks for one).
//! - A name the registry refuses (a clash with a metric of the service's, a label `le` on a
//!   histogram), a use with other label keys than the name's first use, or another type under
//!   the same name gets a handle that does nothing, and is counted in
//!   `coremeter_recorder_rejected_total` ([`REJECTED_COUNTER`]).
//! - Memory: the families' own (no map per series beside them), one entry per facade name, and
//!   per thread the 8 handles it made last (each keeps its series' cells).
//!
//! Each `counter!(..)` call looks up the name and the label values and allocates the handle the
//! facade's API requires, unless the calling thread made a handle for the same name and labels
//! among its last 8 (then it is cloned: one reference count); a handle kept by the caller
//! (`let c = counter!(..)`) updates the series' cells directly.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
mod handles;
mod matcher;
mod name;
mod recorder;
mod series_cache;

use std::fmt;

pub use builder::RecorderBuilder;
pub use matcher::Matcher;
pub use recorder::{CoremeterRecorder, REJECTED_COUNTER};

/// Makes a recorder over [`coremeter::default_registry`] the facade's global recorder (what
/// most services want: the exporter serves the default registry).
///
/// # Errors
///
/// If a global recorder was set already.
///
/// # Examples
///
/// ```no_run
/// coremeter_recorder::install()?;
/// metrics::counter!("jobs_done").increment(1);
/// assert_eq!(coremeter::default_registry().sample_value("jobs_done_total", &[]), Some(1.0));
/// # Ok::<(), coremeter_recorder::InstallError>(())
/// ```
pub fn install() -> Result<(), InstallError> {
    RecorderBuilder::new().install()
}

/// The facade had a global recorder already.
///
/// # Examples
///
/// ```no_run
/// coremeter_recorder::install()?;
/// assert!(coremeter_recorder::install().is_err());
/// # Ok::<(), coremeter_recorder::InstallError>(())
/// ```
#[derive(Debug)]
pub struct InstallError(());

impl fmt::Display for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the metrics facade has a global recorder already")
    }
}

impl std::error::Error for InstallError {}
