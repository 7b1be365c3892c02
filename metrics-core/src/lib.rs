//! Lock-free Prometheus metrics whose hot path is an add to the CPU's own copy of a cell: without
//! an atomic instruction where Linux restartable sequences allow it, else one uncontended atomic.
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
//! | [`Counter`], [`FloatCounter`] | monotonic totals (`u64`, `f64`) | a restartable add on the CPU's shard ([`shard::WritePath`]), else one atomic add |
//! | [`Gauge`], [`FloatGauge`] | values that go up and down (`i64`, `f64`) | one atomic on a single shared cell (a `set` cannot be sharded) |
//! | [`FnCounter`], [`FnGauge`] | values computed by a callback at scrape time | none: the callback runs when read |
//! | [`Histogram`] | observations in fixed buckets, with count and sum | bucket search + two adds on the CPU's shard (restartable, else atomic) |
//! | [`NativeHistogram`] | observations in exponential buckets (Prometheus native histograms), zero bucket, count and sum | frexp, a table lookup + two adds on the CPU's shard (restartable, else atomic); a lock only for a bucket chunk's first observation |
//! | [`Summary`] | count and sum of observations | two adds on the CPU's shard (restartable, else atomic) |
//! | [`Statistics`] | count, sum, min, max (average at read) | two adds, and two loads that rarely become maxima (restartable, else atomic) |
//! | [`StateSet`] | exactly one of a fixed set of states | one atomic store |
//! | [`Info`] | label pairs with the value 1 | a lock (not a hot-path metric) |
//! | [`Family`] | one metric per label set ([`LabelSet`], [`LabelValue`]) | dense: index arithmetic; dynamic: a hash lookup without a lock |
//! | [`Collector`], [`GaugeMetricFamily`], ... | custom collectors: values computed at scrape time | none |
//! | [`Registry`], [`default_registry`] | named metrics read together | registration checks names and returns errors |
//! | [`Visitor`], [`Descriptor`], [`Value`] | the read side: values already summed over shards | |
//! | [`SampleList`], [`Registry::sample_value`] | samples as the text formats name them, for tests | |
//!
//! # Macros (feature `macros`, on by default)
//!
//! | macro | what |
//! | --- | --- |
//! | [`#[derive(Metrics)]`](macro@Metrics) | a struct of metrics: names, HELP (doc comments), units, buckets checked at compile time; `static = NAME` registers it at link time in the [`default_registry`] |
//! | [`#[derive(LabelSet)]`](macro@LabelSet), [`#[derive(LabelValue)]`](macro@LabelValue) | typed labels; enums make dense families |
//! | [`#[timed]`](macro@timed), [`#[count_exceptions]`](macro@count_exceptions), [`#[in_progress]`](macro@in_progress) | measure a function with the guards [`Timer`], [`FailureGuard`], [`InProgress`] |
//!
//! Reset-on-read ([`Counter::take`], [`Histogram::take`], [`Registry::collect_and_reset`] and its
//! [`Reset`]) reports what was counted since the previous committed reset without writing the
//! cells, so every update is reported exactly once, for `/metricsandreset`; a reset that fails
//! resets nothing.
//! Counters and histograms keep an [`Exemplar`] per series or bucket when updated with one
//! (`inc_with_exemplar`, `observe_with_exemplar`); updates without one pay nothing for it.
//!
//! # Example
//!
//! ```
//! use coremeter::{Counter, Gauge, Histogram, Opts, Registry};
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
//! # Ok::<(), coremeter::RegistryError>(())
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
//! elsewhere each thread gets a slot of its own (see [`shard`]). There, where every possible CPU
//! has a shard of its own, counter increments, the count and sum of an observation and a moving
//! minimum or maximum are plain writes in a restartable sequence that the kernel restarts if the
//! thread leaves its CPU ([`shard::WritePath::Restartable`]); elsewhere
//! (other platforms, rseq disabled with `GLIBC_TUNABLES=glibc.pthread.rseq=0`, more possible CPUs
//! than shards) they are atomic adds. Cells are `AtomicU64`, so the
//! target needs 64-bit atomics. Supported Rust: 1.95.

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod buckets;
mod call;
mod callback;
mod collect_error;
mod counter;
mod custom;
mod default_registry;
mod exemplar;
mod failure_guard;
pub mod family;
mod family_name;
mod gauge;
mod group;
mod guard;
mod histogram;
mod in_progress;
mod info;
pub mod label;
mod metric;
pub mod name;
mod native_histogram;
#[cfg(rseq)]
mod percpu_add;
mod plan;
mod read;
mod reclaim;
mod registration;
mod registry;
mod reset;
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
pub use call::{
    CallOutcome, CallTimer, ExemplarLabels, TimedCall, TimedExemplar, TimedTarget, WithLabels,
};
pub use callback::{FnCounter, FnGauge};
pub use collect_error::CollectError;
/// `#[derive(Metrics)]`: a struct whose fields are metrics, named and documented once.
///
/// ```
/// use coremeter::{Counter, DynLabels, Family, Gauge, Histogram, LabelSet, LabelValue, Metrics};
///
/// #[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash)]
/// #[label(rename_all = "UPPERCASE")]
/// enum Method { Get, Post }
///
/// #[derive(LabelSet, Clone, Copy, PartialEq, Eq, Hash)]
/// struct Route { method: Method }
///
/// #[derive(Metrics)]
/// #[metrics(namespace = "shop", subsystem = "http", static = HTTP)]
/// pub struct HttpMetrics {
///     /// Requests handled.
///     requests: Family<Route, Counter>,
///     /// Time to serve a request.
///     #[metric(unit = "seconds", buckets = exponential(0.001, 2.0, 12))]
///     latency: Histogram,
///     /// Requests being served.
///     in_flight: Gauge,
///     /// Requests by user.
///     #[metric(labels = ["user"], limit = 10_000)]
///     by_user: Family<DynLabels, Counter>,
/// }
///
/// // The hot path is a field access on the static: no lookup, no lock.
/// HTTP.requests.get(&Route { method: Method::Get }).inc();
/// let registry = coremeter::default_registry();
/// assert_eq!(registry.sample_value("shop_http_requests_total", &[("method", "GET")]), Some(1.0));
/// // Registered at link time: the series exist at 0 before first use.
/// assert_eq!(registry.sample_value("shop_http_requests_total", &[("method", "POST")]), Some(0.0));
/// assert_eq!(registry.sample_value("shop_http_in_flight", &[]), Some(0.0));
/// ```
///
/// # Container attributes: `#[metrics(..)]`
///
/// - `namespace = "..."`, `subsystem = "..."`: the first parts of every name, joined with `_`.
/// - `const_labels(name = "value", ...)`: labels with fixed values on every series.
/// - `static = NAME`: also emits `static NAME: LazyLock<Self>` (with the struct's visibility),
///   registered in the [`default_registry`] when the program first uses that registry (the
///   statics are collected at link time with `linkme`), so a scrape shows every series at 0
///   before first use. Two statics whose metrics produce one sample name are a programming
///   error that fails loudly: the first use of the default registry (a scrape, a server's
///   start, `default_registry()`) panics with a message naming the sample name and both
///   declarations (`crate::module::Struct.field`). Registering into a registry of your own
///   returns the same as an error value.
/// - `crate = path`: where `coremeter` is, for a renamed dependency.
///
/// # Field attributes: `#[metric(..)]`
///
/// - HELP is the field's doc comment (its lines joined with spaces), or `help = "..."`. A metric
///   without HELP is a compile error: Prometheus' own lint asks for it.
/// - `name = "..."`: the name instead of the field's (still after namespace and subsystem). A
///   counter's name gets `_total` in the exposition: writing it yourself is an error.
/// - `unit = "seconds"`: the name gets the suffix `_seconds` (unless it has it), and OpenMetrics
///   output a `# UNIT` line. A histogram, summary or statistics that measures time does it in
///   seconds, Prometheus' base unit (and what `#[timed]` records): another unit of time on one
///   (`milliseconds`, `ms`, `microseconds`, `minutes`, ..) is a compile error that says so.
///   Other units (`bytes`, ...) are free, checked for their characters. An info or a state set
///   has no unit.
/// - `buckets = [0.1, 0.5, 1.0]`, `buckets = linear(start, width, count)`,
///   `buckets = exponential(start, factor, count)`: a histogram's bounds, computed and checked
///   (finite, strictly increasing) at compile time; `+Inf` is implied.
/// - `labels = ["method", "code"]`: the label names of a `Family<DynLabels, _>` (a typed family
///   takes its names from its [`LabelSet`]).
/// - `limit = 1000`: a family's cardinality limit (see [`Family::with_limit`]).
/// - `states = Phase`: a [`StateSet`]'s states (or a `Family<L, StateSet>`'s), the values of
///   `Phase`, an enum deriving [`LabelValue`](macro@LabelValue); the first is current at the
///   start, and `set_value(&Phase::Running)` moves it.
/// - `flatten`: a field that is itself a `#[derive(Metrics)]` struct; its metrics are registered
///   under this struct's namespace and subsystem, then its own.
/// - `skip`: a field that is not a metric (built with `Default`).
///
/// Field types: [`Counter`], [`FloatCounter`], [`Gauge`], [`FloatGauge`], [`Histogram`],
/// [`NativeHistogram`] (`buckets` gives it classic buckets beside), [`Summary`], [`Statistics`],
/// [`Info`] (starts with no pairs; `set` them at startup), [`StateSet`] (with `states`), and
/// [`Family`]`<L, M>` of them, named by their last path segment
/// (a type alias is not recognised). Everything a name needs is checked at compile time with an
/// error on the field or attribute at fault: characters, reserved suffixes (`_total` on a
/// counter, `_bucket`/`_count`/`_sum` on a histogram, ...), two fields whose samples would have
/// the same name, label names (valid, not `__`-prefixed, not `le` on a histogram or `quantile`
/// on a summary, not repeated), bucket layouts, unknown keys (the message lists the supported
/// ones), tuple structs, enums, unions and generic structs.
///
/// # Generated code
///
/// `impl Metrics` (register in any registry, [`Metrics::register`]), an inherent `fn new()`
/// (every metric at 0, not registered) and `impl Default`, and with `static = NAME` the static
/// and its link-time registration. The generated code uses only this crate's public API, and no
/// `unsafe`.
#[cfg(feature = "macros")]
pub use coremeter_macros::Metrics;
pub use counter::{Counter, FloatCounter, NegativeIncrement};
pub use custom::{
    Collector, CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, HistogramSampleError,
    InfoMetricFamily, MetricFamily, SummaryMetricFamily, UnknownMetricFamily,
};
#[cfg(feature = "macros")]
#[doc(hidden)]
#[cfg(feature = "macros")]
pub use default_registry::__private;
pub use default_registry::default_registry;
pub use exemplar::{Exemplar, ExemplarError, MAX_EXEMPLAR_LABEL_CHARS};
pub use failure_guard::{CountFailure, FailureGuard, Outcome};
pub use family::{Child, ChildMetric, DynLabels, Family, LabelError};
pub use gauge::{FloatGauge, Gauge};
pub use group::Metrics;
pub use guard::{Observe, Timer};
pub use in_progress::{InProgress, Track};
pub use native_histogram::{
    NativeHistogram, NativeHistogramBuilder, NativeHistogramConfig, NativeHistogramError,
};
pub use read::{
    CounterValue, Descriptor, HistogramValue, Labels, LabelsIter, MetricType, NativeBuckets,
    NativeHistogramSnapshot, Number, OVERFLOW_LABEL_VALUE, SampleSuffix, SeriesKey,
    SeriesListVersion, SeriesWriter, StateSetValue, StatisticsValue, SummaryValue, Value,
    ValueKind, Values, Visitor,
};

/// `#[derive(LabelSet)]`: a struct whose fields are a family's labels, in order.
///
/// Field names are the label names; `#[label(rename = "...")]` on a field and
/// `#[label(rename_all = "...")]` on the struct change them (cases: `lowercase`, `UPPERCASE`,
/// `snake_case`, `SCREAMING_SNAKE_CASE`, `kebab-case`, `camelCase`, `PascalCase`); each is checked
/// at compile time (valid characters, no `__` prefix, not repeated). Field types implement
/// [`LabelValue`]: enums deriving it, `bool`, strings and integers. A set made only of enums and
/// `bool` has a fixed cardinality: its [`Family`] is a dense array, built up front.
///
/// ```
/// use coremeter::{Counter, Family, LabelSet, LabelValue};
///
/// #[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash)]
/// #[label(rename_all = "snake_case")]
/// enum Class { Success, ClientError, ServerError }
///
/// #[derive(LabelSet, Clone, Copy, PartialEq, Eq, Hash)]
/// struct Outcome { #[label(rename = "class")] status: Class, cached: bool }
///
/// let hits: Family<Outcome, Counter> = Family::new(); // 3 x 2 series, all at 0
/// hits.get(&Outcome { status: Class::ClientError, cached: false }).inc();
/// assert_eq!(Outcome::NAMES, ["class", "cached"]);
/// ```
#[cfg(feature = "macros")]
pub use coremeter_macros::LabelSet;

/// `#[derive(LabelValue)]`: an enum of unit variants whose names are a label's values.
///
/// Values are the variant names, changed by `#[label(rename_all = "...")]` on the enum or
/// `#[label(rename = "...")]` on a variant; two variants with one value are a compile error.
/// See [`LabelSet`](macro@LabelSet) for an example.
#[cfg(feature = "macros")]
pub use coremeter_macros::LabelValue;

/// `#[timed(METRIC)]`: observes how long each call takes, in seconds, into a [`Histogram`],
/// [`NativeHistogram`], [`Summary`] or [`Statistics`] (or a family's child: `#[timed(HTTP.latency.get(&route))]`), or
/// into a `Family<`[`CallOutcome`]`, _>` labelled by how the call ended (`ok`, `error`,
/// `cancelled`).
///
/// What it measures is the execution of the function's work, whatever shape it takes:
///
/// | shape | measured |
/// | --- | --- |
/// | `fn`, methods (`self`, `&self`, `&mut self`), generics, `impl Trait` arguments, elided or explicit lifetimes | the call, including an early `return`, `?` and a panic |
/// | `async fn` (also in traits) | the future, from its first poll to its completion, or to its drop if cancelled first |
/// | `fn -> impl Future<Output = T>` | the returned future, from its first poll (making it is not measured) |
/// | `fn -> Pin<Box<dyn Future<Output = T> + ..>>`, `BoxFuture` | the same |
/// | an `#[async_trait]` method | the same (the async block `#[async_trait]` writes is measured in place) |
/// | a `fn` returning another future type (`Ready<T>`, `JoinHandle<T>`, ..) | nothing: a compile error says to write `async fn` or `impl Future` |
/// | `const fn` | nothing: a compile error (it may run at compile time) |
///
/// A future that is never polled observes nothing. The body is not changed: it borrow-checks and
/// lints as it does without the attribute (the expansion runs a plain function's body in a
/// closure called once when it needs the result, so that a body returning borrows of `&mut self`
/// compiles). It stacks with the other attributes in any order. The clock is the TSC through
/// `quanta` (see [`Timer`]; `benches/README.md` has the measurement that chose it).
///
/// Arguments after the metric:
/// - `exemplar = EXPR`: the labels of an exemplar kept with the observation (see
///   [`ExemplarLabels`]: a pair, an array or `Vec` of pairs, or an `Option` of them, `None` for
///   no exemplar), evaluated once when the measurement starts (for example the current trace
///   id). The target must keep exemplars: a histogram, a child of one, or a
///   `Family<CallOutcome, Histogram>`.
/// - `crate = path`: where `coremeter` is, for a renamed dependency.
///
/// With a `Family<CallOutcome, _>` target, the function returns a `Result`: `Ok` is `ok`, `Err`
/// and a panic are `error`, a future dropped before completion is `cancelled`.
///
/// ```
/// use coremeter::{CallOutcome, Family, Histogram, Metrics, timed};
///
/// #[derive(Metrics)]
/// #[metrics(static = DB)]
/// pub struct DbMetrics {
///     /// Time to run a query.
///     #[metric(unit = "seconds")]
///     query: Histogram,
///     /// Time to commit, by outcome.
///     #[metric(unit = "seconds")]
///     commit: Family<CallOutcome, Histogram>,
/// }
///
/// #[timed(DB.query, exemplar = ("trace_id", "4bf92f3577b34da6"))]
/// fn run(sql: &str) -> usize {
///     sql.len()
/// }
///
/// #[timed(DB.commit)]
/// async fn commit(ok: bool) -> Result<(), String> {
///     if ok { Ok(()) } else { Err("conflict".into()) }
/// }
///
/// run("SELECT 1");
/// assert_eq!(DB.query.get().value().count(), 1);
/// # let _ = commit(true);
/// ```
#[cfg(feature = "macros")]
pub use coremeter_macros::timed;

/// `#[count_exceptions(METRIC)]`: counts the calls that fail into a [`Counter`]: those that return
/// `Err` and those that panic (Python's `count_exceptions`). `on = "err"` counts only `Err`
/// returns, `on = "panic"` only panics (for functions that do not return a `Result`). Each failed
/// call counts exactly once; a cancelled future counts nothing. It works on every shape
/// [`#[timed]`](macro@timed) does (for a future, the `Result` it completes with), with the same
/// compile errors where it cannot. See [`FailureGuard`].
///
/// ```
/// use coremeter::{Counter, Metrics, count_exceptions};
///
/// #[derive(Metrics)]
/// #[metrics(static = JOBS)]
/// pub struct Jobs {
///     /// Jobs that failed.
///     failed: Counter,
/// }
///
/// #[count_exceptions(JOBS.failed)]
/// fn parse(s: &str) -> Result<u32, std::num::ParseIntError> {
///     Ok(s.parse::<u32>()? * 2)
/// }
///
/// assert!(parse("21").is_ok());
/// assert!(parse("x").is_err());
/// assert_eq!(JOBS.failed.get(), 1);
/// ```
#[cfg(feature = "macros")]
pub use coremeter_macros::count_exceptions;

/// `#[in_progress(METRIC)]`: adds 1 to a [`Gauge`] while a call runs and takes it back when the
/// call ends, however it ends: return, `?`, panic, or (for a future) completion or drop. It works
/// on every shape [`#[timed]`](macro@timed) does: for `async fn`, `fn -> impl Future`, boxed
/// futures and `#[async_trait]` methods, the gauge counts the future from its first poll, so it
/// reads 1 while the future is pending. See [`InProgress`].
///
/// ```
/// use coremeter::{Gauge, Metrics, in_progress};
///
/// #[derive(Metrics)]
/// #[metrics(static = WORK)]
/// pub struct Work {
///     /// Calls running now.
///     running: Gauge,
/// }
///
/// #[in_progress(WORK.running)]
/// fn step() -> i64 {
///     WORK.running.get()
/// }
///
/// assert_eq!(step(), 1);
/// assert_eq!(WORK.running.get(), 0);
/// ```
#[cfg(feature = "macros")]
pub use coremeter_macros::in_progress;
pub use histogram::{Histogram, HistogramSnapshot};
pub use info::Info;
pub use label::{LabelSet, LabelValue, LabelVisitor, ValueWriter};
pub use metric::Metric;
pub use registration::RegistryError;
pub use registry::{OVERFLOW_FAMILY, Opts, Registry, RegistryBuilder};
pub use reset::Reset;
pub use sample::{Sample, SampleList};
pub use stateset::{StateSet, StateSetError, States};
pub use statistics::Statistics;
pub use summary::Summary;
