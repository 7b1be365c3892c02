//! [`Value`]: the value of one series, summed over shards, per metric type.

use crate::exemplar::{Exemplar, ExemplarTable};
use crate::read::{NativeBuckets, Number};

/// A counter series: its total and the latest exemplar, if one was recorded.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, Descriptor, Labels, Number, Opts, Registry, Value, Visitor};
///
/// struct Total(Option<Number>);
/// impl Visitor for Total {
///     fn family(&mut self, _: &Descriptor) {}
///     fn series(&mut self, _: &Labels<'_>, value: &Value<'_>) {
///         if let Value::Counter(c) = value {
///             self.0 = Some(c.value);
///         }
///     }
/// }
/// let registry = Registry::new();
/// let c = Counter::new();
/// registry.register(Opts::new("jobs", "Jobs."), c.clone())?;
/// c.inc_by(5);
/// let mut total = Total(None);
/// registry.collect(&mut total)?;
/// assert_eq!(total.0, Some(Number::UInt(5)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct CounterValue<'a> {
    /// The total.
    pub value: Number,
    /// The latest exemplar (OpenMetrics only).
    pub exemplar: Option<&'a Exemplar>,
}

/// One histogram series, summed over shards.
///
/// The counts are read once each, so they are consistent with each other: the total
/// [`count`](Self::count) equals the `+Inf` bucket and [`cumulative`](Self::cumulative) never
/// decreases, even while other threads observe. The [`sum`](Self::sum) is a separate cell: it can
/// include an observation whose bucket the counts do not (yet) include, or the reverse.
///
/// # Examples
///
/// ```
/// let h = coremeter::Histogram::with_buckets(&[0.1, 1.0])?;
/// h.observe(0.05);
/// h.observe(0.5);
/// let snapshot = h.get();
/// let v = snapshot.value();
/// assert_eq!(v.bounds(), [0.1, 1.0]);
/// assert_eq!(v.cumulative().collect::<Vec<_>>(), [(0.1, 1), (1.0, 2), (f64::INFINITY, 2)]);
/// # Ok::<(), coremeter::BucketError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct HistogramValue<'a> {
    bounds: &'a [f64],
    counts: &'a [u64],
    sum: f64,
    exemplars: Option<(&'a ExemplarTable, u32)>,
    native: Option<&'a NativeBuckets>,
}

impl<'a> HistogramValue<'a> {
    pub(crate) fn new(bounds: &'a [f64], counts: &'a [u64], sum: f64) -> Self {
        debug_assert_eq!(bounds.len() + 1, counts.len());
        HistogramValue {
            bounds,
            counts,
            sum,
            exemplars: None,
            native: None,
        }
    }

    pub(crate) fn with_native(mut self, native: &'a NativeBuckets) -> Self {
        self.native = Some(native);
        self
    }

    /// A [`NativeHistogram`](crate::NativeHistogram)'s exponential buckets (then
    /// [`bounds`](Self::bounds) are its classic buckets, or none), or `None` for a classic
    /// histogram.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::NativeHistogram::new();
    /// h.observe(0.5);
    /// let snapshot = h.get();
    /// let v = snapshot.value();
    /// assert_eq!(v.bounds(), []); // no classic buckets: only +Inf
    /// assert_eq!(v.count(), 1);
    /// assert_eq!(v.native().unwrap().positive(), [(-8, 1)]);
    /// assert!(coremeter::Histogram::new().get().value().native().is_none());
    /// ```
    pub fn native(&self) -> Option<&'a NativeBuckets> {
        self.native
    }

    pub(crate) fn with_exemplars(mut self, exemplars: Option<(&'a ExemplarTable, u32)>) -> Self {
        self.exemplars = exemplars;
        self
    }

    /// The finite upper bounds, strictly increasing (`+Inf` is implied after the last).
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::Histogram::with_buckets(&[1.0])?;
    /// h.observe(0.5);
    /// h.observe(2.0);
    /// let snapshot = h.get();
    /// let v = snapshot.value();
    /// assert_eq!(v.bounds(), [1.0]);
    /// # Ok::<(), coremeter::BucketError>(())
    /// ```
    pub fn bounds(&self) -> &'a [f64] {
        self.bounds
    }

    /// Observations per bucket, *not* cumulative: `counts()[i]` counts values in
    /// `(bounds[i-1], bounds[i]]`, and the last entry those above every bound (and NaN).
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::Histogram::with_buckets(&[1.0])?;
    /// h.observe(0.5);
    /// h.observe(2.0);
    /// let snapshot = h.get();
    /// let v = snapshot.value();
    /// assert_eq!(v.counts(), [1, 1]); // the last is +Inf
    /// # Ok::<(), coremeter::BucketError>(())
    /// ```
    pub fn counts(&self) -> &'a [u64] {
        self.counts
    }

    /// The sum of all observed values.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::Histogram::with_buckets(&[1.0])?;
    /// h.observe(0.5);
    /// h.observe(2.0);
    /// let snapshot = h.get();
    /// let v = snapshot.value();
    /// assert_eq!(v.sum(), 2.5);
    /// # Ok::<(), coremeter::BucketError>(())
    /// ```
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// The number of observations: the sum of the buckets, so always equal to the `+Inf` bucket.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::Histogram::with_buckets(&[1.0])?;
    /// h.observe(0.5);
    /// h.observe(2.0);
    /// let snapshot = h.get();
    /// let v = snapshot.value();
    /// assert_eq!(v.count(), 2);
    /// # Ok::<(), coremeter::BucketError>(())
    /// ```
    pub fn count(&self) -> u64 {
        self.counts.iter().fold(0, |acc, &c| acc.wrapping_add(c))
    }

    /// (upper bound, cumulative count) per bucket, ending with `(f64::INFINITY, count())`.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::Histogram::with_buckets(&[1.0, 2.0])?;
    /// h.observe(0.5);
    /// h.observe(1.5);
    /// h.observe(9.0);
    /// let snapshot = h.get();
    /// let buckets: Vec<(f64, u64)> = snapshot.value().cumulative().collect();
    /// assert_eq!(buckets, [(1.0, 1), (2.0, 2), (f64::INFINITY, 3)]);
    /// # Ok::<(), coremeter::BucketError>(())
    /// ```
    pub fn cumulative(&self) -> impl Iterator<Item = (f64, u64)> + 'a {
        let uppers = self.bounds.iter().copied().chain([f64::INFINITY]);
        uppers.zip(self.counts).scan(0u64, |acc, (upper, &c)| {
            *acc = acc.wrapping_add(c);
            Some((upper, *acc))
        })
    }

    /// The latest exemplar recorded in bucket `bucket` (`bounds().len()` is `+Inf`), if any.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::Histogram::with_buckets(&[1.0])?;
    /// h.observe(0.5);
    /// h.observe(2.0);
    /// let snapshot = h.get();
    /// let v = snapshot.value();
    /// assert!(v.exemplar(0).is_none()); // observed without one
    /// # Ok::<(), coremeter::BucketError>(())
    /// ```
    pub fn exemplar(&self, bucket: usize) -> Option<&'a Exemplar> {
        let (table, offset) = self.exemplars?;
        table.get(offset + bucket as u32)
    }
}

/// A summary series: count and sum (no quantiles, as Python's `Summary`).
///
/// # Examples
///
/// ```
/// let s = coremeter::Summary::new();
/// s.observe(1.0);
/// s.observe(2.0);
/// let v = s.get();
/// assert_eq!((v.count, v.sum), (2, 3.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SummaryValue {
    /// The number of observations.
    pub count: u64,
    /// Their sum.
    pub sum: f64,
}

/// A statistics series: count, sum, minimum and maximum of the observations.
///
/// # Examples
///
/// ```
/// let s = coremeter::Statistics::new();
/// assert_eq!(s.get().average(), None);
/// s.observe(2.0);
/// s.observe(4.0);
/// let v = s.get();
/// assert_eq!((v.count, v.min, v.max, v.average()), (2, Some(2.0), Some(4.0), Some(3.0)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StatisticsValue {
    /// The number of observations.
    pub count: u64,
    /// Their sum.
    pub sum: f64,
    /// The smallest observation, `None` before the first.
    pub min: Option<f64>,
    /// The largest observation, `None` before the first.
    pub max: Option<f64>,
}

impl StatisticsValue {
    /// `sum / count`, `None` before the first observation.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = coremeter::Statistics::new();
    /// s.observe(1.0);
    /// s.observe(3.0);
    /// assert_eq!(s.get().average(), Some(2.0));
    /// ```
    pub fn average(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }
}

/// A state set series: its states and which one is set.
///
/// # Examples
///
/// ```
/// use coremeter::{Descriptor, Labels, Opts, Registry, StateSet, Value, Visitor};
///
/// struct Current(Option<String>);
/// impl Visitor for Current {
///     fn family(&mut self, _: &Descriptor) {}
///     fn series(&mut self, _: &Labels<'_>, value: &Value<'_>) {
///         if let Value::StateSet(s) = value {
///             self.0 = Some(s.states[s.current].to_owned());
///         }
///     }
/// }
/// let registry = Registry::new();
/// let state = StateSet::new(["starting", "running"])?;
/// registry.register(Opts::new("phase", "Phase."), state.clone())?;
/// state.set("running")?;
/// let mut current = Current(None);
/// registry.collect(&mut current)?;
/// assert_eq!(current.0.as_deref(), Some("running"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct StateSetValue<'a> {
    /// The states, in the order they were declared.
    pub states: &'a [&'static str],
    /// The index of the state that is set.
    pub current: usize,
}

/// The value of one series.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, Descriptor, Histogram, Labels, Opts, Registry, Value, Visitor};
///
/// #[derive(Default)]
/// struct Totals { counter: f64, observations: u64 }
/// impl Visitor for Totals {
///     fn family(&mut self, _: &Descriptor) {}
///     fn series(&mut self, _: &Labels<'_>, value: &Value<'_>) {
///         match value {
///             Value::Counter(c) => self.counter += c.value.as_f64(),
///             Value::Histogram(h) => self.observations += h.count(),
///             _ => {}
///         }
///     }
/// }
/// let registry = Registry::new();
/// let (c, h) = (Counter::new(), Histogram::new());
/// registry.register(Opts::new("jobs", "Jobs."), c.clone())?;
/// registry.register(Opts::new("latency", "Latency."), h.clone())?;
/// c.inc_by(3);
/// h.observe(0.2);
/// let mut totals = Totals::default();
/// registry.collect(&mut totals)?;
/// assert_eq!((totals.counter, totals.observations), (3.0, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Value<'a> {
    /// A counter's total.
    Counter(CounterValue<'a>),
    /// A gauge's value.
    Gauge(Number),
    /// A histogram's buckets, count and sum.
    Histogram(HistogramValue<'a>),
    /// A summary's count and sum.
    Summary(SummaryValue),
    /// Count, sum, minimum and maximum.
    Statistics(StatisticsValue),
    /// An info series: the value is 1, the information is in the labels.
    Info,
    /// A state set.
    StateSet(StateSetValue<'a>),
    /// A value of unknown type.
    Unknown(Number),
}
