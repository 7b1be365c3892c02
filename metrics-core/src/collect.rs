//! The read side: descriptors and values already summed over shards, handed to a [`Visitor`].
//!
//! No atomics or memory orderings cross this boundary: a consumer (an encoder, a test, the
//! quickstart's printer) sees plain numbers. [`Registry::collect`](crate::Registry::collect)
//! calls [`Visitor::family`] once per registered metric, then [`Visitor::series`] once per series
//! of it.

use std::borrow::Cow;
use std::fmt;

/// The type of a metric family, as the exposition formats name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MetricType {
    /// A monotonic total, exposed with the `_total` suffix.
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// Observations counted in cumulative buckets, with their count and sum.
    Histogram,
}

impl MetricType {
    /// The name used in `# TYPE` lines.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(metrics_core::MetricType::Histogram.as_str(), "histogram");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
        }
    }

    /// Every suffix any type adds to its family name.
    pub(crate) const ALL_SUFFIXES: [&'static str; 5] =
        ["_total", "_created", "_bucket", "_count", "_sum"];

    /// The suffixes this type adds to its family name in the exposition (one of
    /// [`ALL_SUFFIXES`](Self::ALL_SUFFIXES)); a registry refuses a family whose sample names
    /// another family already produces.
    pub(crate) const fn suffixes(self) -> &'static [&'static str] {
        match self {
            MetricType::Counter => &["_total", "_created"],
            MetricType::Gauge => &[],
            MetricType::Histogram => &["_bucket", "_count", "_sum", "_created"],
        }
    }
}

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A sample value: integers stay exact, floats are floats.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    /// An unsigned integer (counters).
    UInt(u64),
    /// A signed integer (integer gauges).
    Int(i64),
    /// A float.
    Float(f64),
}

impl Number {
    /// The value as an `f64` (integers above 2^53 round).
    ///
    /// # Examples
    ///
    /// ```
    /// use metrics_core::Number;
    ///
    /// assert_eq!(Number::Int(-3).as_f64(), -3.0);
    /// ```
    pub fn as_f64(self) -> f64 {
        match self {
            Number::UInt(v) => v as f64,
            Number::Int(v) => v as f64,
            Number::Float(v) => v,
        }
    }
}

macro_rules! number_from {
    ($variant:ident: $($t:ty),*) => {$(
        impl From<$t> for Number {
            fn from(v: $t) -> Self {
                Number::$variant(v.into())
            }
        }
    )*};
}
number_from!(UInt: u64, u32, u16, u8);
number_from!(Int: i64, i32, i16, i8);
number_from!(Float: f64, f32);

impl From<usize> for Number {
    fn from(v: usize) -> Self {
        Number::UInt(v as u64)
    }
}

impl From<isize> for Number {
    fn from(v: isize) -> Self {
        Number::Int(v as i64)
    }
}

/// What a registry knows about a metric family: its full name (prefixes and unit applied, but
/// without type suffixes such as `_total`), HELP text, type and unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Descriptor {
    pub(crate) name: Cow<'static, str>,
    pub(crate) help: Cow<'static, str>,
    pub(crate) metric_type: MetricType,
    pub(crate) unit: Option<Cow<'static, str>>,
}

impl Descriptor {
    /// The family name, e.g. `shop_http_request_duration_seconds`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The HELP text, unescaped.
    pub fn help(&self) -> &str {
        &self.help
    }

    /// The metric type.
    pub fn metric_type(&self) -> MetricType {
        self.metric_type
    }

    /// The unit, if one was given (the name then ends with `_<unit>`).
    pub fn unit(&self) -> Option<&str> {
        self.unit.as_deref()
    }
}

/// The label pairs of one series, in a stable order (the registry's constant labels first).
#[derive(Clone, Copy, Debug)]
pub struct Labels<'a> {
    pairs: &'a [(String, String)],
}

impl<'a> Labels<'a> {
    pub(crate) fn new(pairs: &'a [(String, String)]) -> Self {
        Labels { pairs }
    }

    /// The (name, value) pairs; values are unescaped.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The number of pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether the series has no labels.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// One histogram series, summed over shards.
///
/// The counts are read once each, so they are consistent with each other: the total
/// [`count`](Self::count) equals the `+Inf` bucket and [`cumulative`](Self::cumulative) never
/// decreases, even while other threads observe. The [`sum`](Self::sum) is a separate cell: it can
/// include an observation whose bucket the counts do not (yet) include, or the reverse.
#[derive(Clone, Copy, Debug)]
pub struct HistogramValue<'a> {
    bounds: &'a [f64],
    counts: &'a [u64],
    sum: f64,
}

impl<'a> HistogramValue<'a> {
    pub(crate) fn new(bounds: &'a [f64], counts: &'a [u64], sum: f64) -> Self {
        debug_assert_eq!(bounds.len() + 1, counts.len());
        HistogramValue {
            bounds,
            counts,
            sum,
        }
    }

    /// The finite upper bounds, strictly increasing (`+Inf` is implied after the last).
    pub fn bounds(&self) -> &'a [f64] {
        self.bounds
    }

    /// Observations per bucket, *not* cumulative: `counts()[i]` counts values in
    /// `(bounds[i-1], bounds[i]]`, and the last entry those above every bound (and NaN).
    pub fn counts(&self) -> &'a [u64] {
        self.counts
    }

    /// The sum of all observed values.
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// The number of observations: the sum of the buckets, so always equal to the `+Inf` bucket.
    pub fn count(&self) -> u64 {
        self.counts.iter().fold(0, |acc, &c| acc.wrapping_add(c))
    }

    /// (upper bound, cumulative count) per bucket, ending with `(f64::INFINITY, count())`.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = metrics_core::Histogram::with_buckets(&[1.0, 2.0])?;
    /// h.observe(0.5);
    /// h.observe(1.5);
    /// h.observe(9.0);
    /// let snapshot = h.get();
    /// let buckets: Vec<(f64, u64)> = snapshot.value().cumulative().collect();
    /// assert_eq!(buckets, [(1.0, 1), (2.0, 2), (f64::INFINITY, 3)]);
    /// # Ok::<(), metrics_core::BucketError>(())
    /// ```
    pub fn cumulative(&self) -> impl Iterator<Item = (f64, u64)> + 'a {
        let uppers = self.bounds.iter().copied().chain([f64::INFINITY]);
        uppers.zip(self.counts).scan(0u64, |acc, (upper, &c)| {
            *acc = acc.wrapping_add(c);
            Some((upper, *acc))
        })
    }
}

/// The value of one series.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Value<'a> {
    /// A counter's total.
    Counter(Number),
    /// A gauge's value.
    Gauge(Number),
    /// A histogram's buckets, count and sum.
    Histogram(HistogramValue<'a>),
}

/// Receives what a registry holds: each family's descriptor, then each of its series.
///
/// # Examples
///
/// ```
/// use metrics_core::{Counter, Descriptor, Labels, Opts, Registry, Value, Visitor};
///
/// struct Names(Vec<String>);
/// impl Visitor for Names {
///     fn family(&mut self, d: &Descriptor) {
///         self.0.push(d.name().to_owned());
///     }
///     fn series(&mut self, _: Labels<'_>, _: &Value<'_>) {}
/// }
///
/// let registry = Registry::new();
/// registry.register(Opts::new("jobs", "Jobs run."), Counter::new())?;
/// let mut names = Names(Vec::new());
/// registry.collect(&mut names);
/// assert_eq!(names.0, ["jobs"]);
/// # Ok::<(), metrics_core::RegistryError>(())
/// ```
pub trait Visitor {
    /// Starts a family; its series follow.
    fn family(&mut self, descriptor: &Descriptor);

    /// One series of the current family.
    fn series(&mut self, labels: Labels<'_>, value: &Value<'_>);
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! sealed {
    ($($t:ty),* $(,)?) => {$( impl sealed::Sealed for $t {} )*};
}
sealed!(
    crate::Counter,
    crate::FloatCounter,
    crate::Gauge,
    crate::FloatGauge,
    crate::Histogram,
);
impl<F> sealed::Sealed for crate::FnGauge<F> {}
impl<F> sealed::Sealed for crate::FnCounter<F> {}

/// A metric a [`Registry`](crate::Registry) can hold and read: every metric type of this crate.
///
/// The trait is sealed: metrics read their own shards, and the orderings involved stay inside
/// this crate.
pub trait Metric: sealed::Sealed + Send + Sync + 'static {
    /// The type the family is exposed as.
    fn metric_type(&self) -> MetricType;

    /// Reads the metric's series into `out`.
    fn collect(&self, out: &mut Collector<'_>);
}

/// Where a [`Metric`] writes its series during a collection.
pub struct Collector<'a> {
    visitor: &'a mut dyn Visitor,
    labels: Labels<'a>,
    reset: bool,
    /// Reused across the histograms of one collection, so that reading them allocates nothing
    /// once it has grown to the largest bucket count.
    scratch: &'a mut Vec<u64>,
}

impl<'a> Collector<'a> {
    pub(crate) fn new(
        visitor: &'a mut dyn Visitor,
        labels: Labels<'a>,
        reset: bool,
        scratch: &'a mut Vec<u64>,
    ) -> Self {
        Collector {
            visitor,
            labels,
            reset,
            scratch,
        }
    }

    /// Whether this is a reset-on-read collection (counters and histograms hand over their
    /// values and restart from 0).
    pub(crate) fn reset(&self) -> bool {
        self.reset
    }

    pub(crate) fn counter(&mut self, v: Number) {
        self.visitor.series(self.labels, &Value::Counter(v));
    }

    pub(crate) fn gauge(&mut self, v: Number) {
        self.visitor.series(self.labels, &Value::Gauge(v));
    }

    /// Emits a histogram series whose `bounds.len() + 1` counts `fill` writes into a zeroed
    /// buffer, returning the sum.
    pub(crate) fn histogram(&mut self, bounds: &[f64], fill: impl FnOnce(&mut [u64]) -> f64) {
        self.scratch.clear();
        self.scratch.resize(bounds.len() + 1, 0);
        let sum = fill(self.scratch);
        let value = HistogramValue::new(bounds, self.scratch, sum);
        self.visitor.series(self.labels, &Value::Histogram(value));
    }
}

impl fmt::Debug for Collector<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Collector")
            .field("labels", &self.labels)
            .field("reset", &self.reset)
            .finish_non_exhaustive()
    }
}
