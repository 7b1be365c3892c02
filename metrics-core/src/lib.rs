//! Lock-free Prometheus metrics whose hot path is one uncontended atomic add.
//!
//! Counters and histograms keep one copy of each value per CPU shard, laid out in per-CPU
//! strided slabs like the Linux kernel's per-CPU areas: an update touches only the calling CPU's
//! cache line, found with one thread-pointer-relative load (see [`shard`]); a scrape sums the
//! shards. No lock, no hash lookup and no shared cache line on the update path.
//!
//! # Types
//!
//! | type | what | update cost |
//! | --- | --- | --- |
//! | [`Counter`], [`FloatCounter`] | monotonic totals (`u64`, `f64`) | one atomic add on the CPU's shard |
//! | [`Gauge`], [`FloatGauge`] | values that go up and down (`i64`, `f64`) | one atomic on a single shared cell (a `set` cannot be sharded) |
//! | [`FnCounter`], [`FnGauge`] | values computed by a callback at scrape time | none: the callback runs when read |
//! | [`Histogram`] | observations in fixed buckets, with count and sum | bucket search + two atomic adds on the CPU's shard |
//! | [`Summary`] | count and sum of observations | two atomic adds on the CPU's shard |
//! | [`Statistics`] | count, sum, min, max (average at read) | two adds, and two loads that rarely become atomic maxima |
//! | [`StateSet`] | exactly one of a fixed set of states | one atomic store |
//! | [`Info`] | label pairs with the value 1 | a lock (not a hot-path metric) |
//! | [`Family`] | one metric per label set ([`LabelSet`], [`LabelValue`]) | dense: index arithmetic; dynamic: hash lookup under a read lock |
//! | [`Collect`], [`GaugeMetricFamily`], ... | custom collectors: values computed at scrape time | none |
//! | [`Registry`], [`default_registry`] | named metrics read together | registration checks names and returns errors |
//! | [`Visitor`], [`Descriptor`], [`Value`] | the read side: values already summed over shards | |
//! | [`SampleList`], [`Registry::sample_value`] | samples as the text formats name them, for tests | |
//!
//! Reset-on-read ([`Counter::take`], [`Histogram::take`], [`Registry::collect_and_reset`]) swaps
//! each shard with 0, so every update is reported exactly once, for `/metricsandreset`.
//! Counters and histograms keep an [`Exemplar`] per series or bucket when updated with one
//! (`inc_with_exemplar`, `observe_with_exemplar`); updates without one pay nothing for it.
//!
//! # Example
//!
//! ```
//! use metrics_core::{Counter, Gauge, Histogram, Opts, Registry};
//!
//! let registry = Registry::new();
//! let requests = Counter::new();
//! let in_flight = Gauge::new();
//! let latency = Histogram::new(); // default buckets, 5 ms to 10 s
//! registry.register(Opts::new("requests", "Requests handled."), requests.clone())?;
//! registry.register(Opts::new("in_flight", "Requests being served."), in_flight.clone())?;
//! registry.register(
//!     Opts::new("request_duration", "Time to serve a request.").unit("seconds"),
//!     latency.clone(),
//! )?;
//!
//! std::thread::scope(|s| {
//!     for _ in 0..4 {
//!         s.spawn(|| {
//!             in_flight.inc();
//!             let _timer = latency.start_timer();
//!             requests.inc();
//!             in_flight.dec();
//!         });
//!     }
//! });
//!
//! assert_eq!(registry.sample_value("requests_total", &[]), Some(4.0));
//! assert_eq!(registry.sample_value("in_flight", &[]), Some(0.0));
//! assert_eq!(registry.sample_value("request_duration_seconds_count", &[]), Some(4.0));
//! # Ok::<(), metrics_core::RegistryError>(())
//! ```
//!
//! # Memory
//!
//! A cell costs `8 * S + 8` bytes of heap: 8 bytes per shard, S = [`shard::shard_count()`] (the
//! CPUs the process may run on, rounded up to a power of two, at most 64), and an 8-byte header
//! slot. A counter is one cell; a histogram with `b` bounds is `b + 2` cells plus its bounds
//! (`16 + 8 * b` bytes). Handles are 16 bytes (32 for a histogram) wherever you keep them.
//!
//! # Platforms
//!
//! The shard index reads the kernel's rseq `cpu_id` on Linux/x86_64 with glibc 2.35 or later;
//! elsewhere each thread gets a slot of its own (see [`shard`]). Cells are `AtomicU64`, so the
//! target needs 64-bit atomics. Supported Rust: 1.95.

pub mod buckets;
mod callback;
mod collect;
mod counter;
mod custom;
mod exemplar;
pub mod family;
mod gauge;
mod guard;
mod histogram;
mod info;
pub mod label;
pub mod name;
mod registry;
mod sample;
pub mod shard;
mod slab;
mod stateset;
mod statistics;
mod summary;
mod sync;

#[cfg(all(test, loom))]
mod tests;

pub use buckets::{BucketError, Buckets};
pub use callback::{FnCounter, FnGauge};
pub use collect::{
    BulkKind, BulkSink, Collector, CounterValue, Descriptor, HistogramValue, Labels, LabelsIter,
    Layout, Metric, MetricType, Number, OVERFLOW_LABEL_VALUE, SeriesKey, StateSetValue,
    StatisticsValue, SummaryValue, Value, Values, Visitor,
};
pub use counter::{Counter, FloatCounter, NegativeIncrement};
pub use custom::{
    Collect, CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, HistogramSampleError,
    InfoMetricFamily, MetricFamily, SummaryMetricFamily, UnknownMetricFamily,
};
pub use exemplar::{Exemplar, ExemplarError, MAX_EXEMPLAR_LABEL_CHARS};
pub use family::{Child, DynLabels, Family, FamilyMetric, LabelError};
pub use gauge::{FloatGauge, Gauge};
pub use guard::{Observe, Timer};
pub use histogram::{Histogram, HistogramSnapshot};
pub use info::Info;
pub use label::{LabelSet, LabelValue, LabelVisitor, ValueWriter};
pub use registry::{
    OVERFLOW_FAMILY, Opts, Registry, RegistryBuilder, RegistryError, default_registry,
};
pub use sample::{Sample, SampleList};
pub use stateset::{StateSet, StateSetError, States};
pub use statistics::Statistics;
pub use summary::Summary;
