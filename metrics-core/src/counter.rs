//! Monotonic counters, sharded per CPU.

use std::fmt;

use crate::exemplar::{Exemplar, ExemplarError};
use crate::family::{ChildMetric, Storage};
use crate::metric::{Metric, sealed};
use crate::read::{MetricType, SeriesWriter, Shape, ValueKind, WordSink};
use crate::reset::{ReadMode, Reset};
use crate::slab::{CellRun, Kind};

/// A monotonic `u64` counter, sharded per CPU.
///
/// An update is one uncontended atomic add on the calling CPU's shard; [`get`](Self::get) sums
/// the shards. Clones share the same value (the handle is reference counted, like an `Arc`), so a
/// counter can be registered and kept at the same time.
///
/// # Concurrency
///
/// A read sees every update that happened before it and some subset of concurrent ones; two reads
/// by one thread never go backwards (each shard is read once per read and only grows). There is
/// no snapshot across metrics: two counters read one after the other may reflect different
/// moments.
///
/// # Overflow
///
/// The value wraps at 2^64 (after 584 years at a billion increments per second).
///
/// # Memory
///
/// `8 * shard_count()` bytes of cells plus an 8-byte header; the handle itself is 16 bytes.
///
/// # Examples
///
/// ```
/// use coremeter::Counter;
///
/// let requests = Counter::new();
/// requests.inc();
/// requests.inc_by(2);
/// assert_eq!(requests.get(), 3);
/// ```
#[derive(Clone)]
#[must_use = "a counter that is neither kept nor registered records nothing"]
pub struct Counter {
    cells: CellRun,
}

impl Counter {
    /// A counter at 0.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = coremeter::Counter::new();
    /// assert_eq!(c.get(), 0);
    /// ```
    pub fn new() -> Self {
        Counter {
            cells: CellRun::new(1),
        }
    }

    /// Adds 1.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = coremeter::Counter::new();
    /// c.inc();
    /// assert_eq!(c.get(), 1);
    /// ```
    #[inline]
    pub fn inc(&self) {
        self.cells.add(0, 1);
    }

    /// Adds `v`.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = coremeter::Counter::new();
    /// c.inc_by(5);
    /// assert_eq!(c.get(), 5);
    /// ```
    #[inline]
    pub fn inc_by(&self, v: u64) {
        self.cells.add(0, v);
    }

    /// Adds `v` and records an exemplar of it (labels such as a trace id), replacing the
    /// previous one. Updates without an exemplar cost nothing extra.
    ///
    /// # Errors
    ///
    /// [`ExemplarError`] if the labels are invalid or longer than OpenMetrics allows; the counter
    /// is then unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = coremeter::Counter::new();
    /// c.inc_by_with_exemplar(2, &[("trace_id", "4bf92f3577b34da6")])?;
    /// assert_eq!(c.get(), 2);
    /// # Ok::<(), coremeter::ExemplarError>(())
    /// ```
    pub fn inc_by_with_exemplar(
        &self,
        v: u64,
        labels: &[(&str, &str)],
    ) -> Result<(), ExemplarError> {
        let exemplar = Exemplar::new(labels, v as f64)?;
        self.inc_by(v);
        self.cells.set_exemplar(0, exemplar);
        Ok(())
    }

    /// [`inc_by_with_exemplar`](Self::inc_by_with_exemplar) with 1.
    ///
    /// # Errors
    ///
    /// As [`inc_by_with_exemplar`](Self::inc_by_with_exemplar).
    ///
    /// # Examples
    ///
    /// ```
    /// let c = coremeter::Counter::new();
    /// c.inc_with_exemplar(&[("trace_id", "abc")])?;
    /// assert_eq!(c.get(), 1);
    /// # Ok::<(), coremeter::ExemplarError>(())
    /// ```
    pub fn inc_with_exemplar(&self, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        self.inc_by_with_exemplar(1, labels)
    }

    /// The current value, summed over shards.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = coremeter::Counter::new();
    /// c.inc_by(2);
    /// assert_eq!(c.get(), 2);
    /// ```
    pub fn get(&self) -> u64 {
        ReadMode::current().read(&self.cells, 0)
    }

    /// Returns the value since the previous reset and resets the counter to 0: every increment is
    /// counted by exactly one `take` (or remains in the counter), none is lost or counted twice,
    /// whatever other threads do meanwhile. Resets are process-wide and take turns (see
    /// [`Reset`](crate::Reset)); this is what `/metricsandreset` does to each counter.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = coremeter::Counter::new();
    /// c.inc_by(5);
    /// assert_eq!(c.take(), 5);
    /// c.inc();
    /// assert_eq!(c.take(), 1);
    /// assert_eq!(c.get(), 0);
    /// ```
    pub fn take(&self) -> u64 {
        Reset::take(|mut read| read.read(&self.cells, 0))
    }
}

impl Default for Counter {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Counter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Counter")
            .field("value", &self.get())
            .finish()
    }
}

impl sealed::Sealed for Counter {}

impl Metric for Counter {
    fn metric_type(&self) -> MetricType {
        MetricType::Counter
    }

    fn collect(&self, out: &mut SeriesWriter<'_>) {
        Self::collect_one(&self.cells, &(), out);
    }
}

impl Storage for Counter {
    type Config = ();
    const KIND: Kind = Kind::Sharded;
    const TYPE: MetricType = MetricType::Counter;

    fn cells(_: &()) -> usize {
        1
    }

    fn from_run(cells: CellRun, _: &()) -> Self {
        Counter { cells }
    }

    fn run(&self) -> &CellRun {
        &self.cells
    }

    fn shape(_: &()) -> Shape {
        Shape::word(ValueKind::Counter)
    }

    #[inline(always)]
    fn read(run: &CellRun, _: &(), sink: &mut WordSink<'_>) {
        let v = sink.mode.read(run, 0);
        sink.words.push(v);
        sink.end_series(run);
    }
}

impl ChildMetric for Counter {}

crate::family::in_place!(Counter {
    /// Adds 1 to the child for `labels`.
    fn inc() => inc;
    /// Adds `v` to the child for `labels`.
    fn inc_by(v: u64) => inc_by;
});

/// A monotonic `f64` counter, sharded per CPU, for amounts that are not whole numbers (seconds
/// of CPU time, bytes as a float, money).
///
/// An update is a compare-exchange loop on the calling CPU's shard, uncontended unless the thread
/// migrates mid-update. Otherwise as [`Counter`].
///
/// A counter never goes down: [`inc_by`](Self::inc_by) ignores negative and NaN amounts, and
/// [`try_inc_by`](Self::try_inc_by) reports them.
///
/// # Examples
///
/// ```
/// use coremeter::FloatCounter;
///
/// let cpu_seconds = FloatCounter::new();
/// cpu_seconds.inc_by(0.25);
/// cpu_seconds.inc_by(0.5);
/// assert_eq!(cpu_seconds.get(), 0.75);
/// assert!(cpu_seconds.try_inc_by(-1.0).is_err());
/// ```
#[derive(Clone)]
#[must_use = "a counter that is neither kept nor registered records nothing"]
pub struct FloatCounter {
    cells: CellRun,
}

impl FloatCounter {
    /// A counter at 0.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = coremeter::FloatCounter::new();
    /// assert_eq!(c.get(), 0.0);
    /// ```
    pub fn new() -> Self {
        FloatCounter {
            cells: CellRun::new(1),
        }
    }

    /// Adds 1.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = coremeter::FloatCounter::new();
    /// c.inc();
    /// assert_eq!(c.get(), 1.0);
    /// ```
    #[inline]
    pub fn inc(&self) {
        self.cells.add_f64(0, 1.0);
    }

    /// Adds `v` if it is zero or positive (`+Inf` included); ignores negative and NaN values,
    /// which would make the counter go down or become meaningless.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = coremeter::FloatCounter::new();
    /// c.inc_by(0.25);
    /// c.inc_by(-1.0); // ignored: a counter never goes down
    /// assert_eq!(c.get(), 0.25);
    /// ```
    #[inline]
    pub fn inc_by(&self, v: f64) {
        if v >= 0.0 {
            self.cells.add_f64(0, v);
        }
    }

    /// Adds `v`, or reports why it cannot.
    ///
    /// # Errors
    ///
    /// [`NegativeIncrement`] if `v` is negative or NaN; the counter is unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = coremeter::FloatCounter::new();
    /// assert!(c.try_inc_by(f64::NAN).is_err());
    /// c.try_inc_by(1.0)?;
    /// assert_eq!(c.get(), 1.0);
    /// # Ok::<(), coremeter::NegativeIncrement>(())
    /// ```
    pub fn try_inc_by(&self, v: f64) -> Result<(), NegativeIncrement> {
        if v >= 0.0 {
            self.cells.add_f64(0, v);
            Ok(())
        } else {
            Err(NegativeIncrement(v))
        }
    }

    /// Adds `v` (ignored if negative or NaN, as [`inc_by`](Self::inc_by)) and records an
    /// exemplar of it, replacing the previous one.
    ///
    /// # Errors
    ///
    /// [`ExemplarError`] if the labels are invalid or longer than OpenMetrics allows; the counter
    /// is then unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = coremeter::FloatCounter::new();
    /// c.inc_by_with_exemplar(1.5, &[("trace_id", "abc")])?;
    /// assert_eq!(c.get(), 1.5);
    /// # Ok::<(), coremeter::ExemplarError>(())
    /// ```
    pub fn inc_by_with_exemplar(
        &self,
        v: f64,
        labels: &[(&str, &str)],
    ) -> Result<(), ExemplarError> {
        let exemplar = Exemplar::new(labels, v)?;
        if v >= 0.0 {
            self.cells.add_f64(0, v);
            self.cells.set_exemplar(0, exemplar);
        }
        Ok(())
    }

    /// The current value, summed over shards.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = coremeter::FloatCounter::new();
    /// c.inc_by(2.5);
    /// assert_eq!(c.get(), 2.5);
    /// ```
    pub fn get(&self) -> f64 {
        ReadMode::current().read_f64(&self.cells, 0)
    }

    /// Returns the value since the previous reset and resets the counter to 0 (see
    /// [`Counter::take`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let c = coremeter::FloatCounter::new();
    /// c.inc_by(2.5);
    /// assert_eq!(c.take(), 2.5);
    /// assert_eq!(c.get(), 0.0);
    /// ```
    pub fn take(&self) -> f64 {
        Reset::take(|mut read| read.read_f64(&self.cells, 0))
    }
}

impl Default for FloatCounter {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for FloatCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FloatCounter")
            .field("value", &self.get())
            .finish()
    }
}

impl sealed::Sealed for FloatCounter {}

impl Metric for FloatCounter {
    fn metric_type(&self) -> MetricType {
        MetricType::Counter
    }

    fn collect(&self, out: &mut SeriesWriter<'_>) {
        Self::collect_one(&self.cells, &(), out);
    }
}

impl Storage for FloatCounter {
    type Config = ();
    const KIND: Kind = Kind::Sharded;
    const TYPE: MetricType = MetricType::Counter;

    fn cells(_: &()) -> usize {
        1
    }

    fn from_run(cells: CellRun, _: &()) -> Self {
        FloatCounter { cells }
    }

    fn run(&self) -> &CellRun {
        &self.cells
    }

    fn shape(_: &()) -> Shape {
        Shape::word(ValueKind::FloatCounter)
    }

    #[inline(always)]
    fn read(run: &CellRun, _: &(), sink: &mut WordSink<'_>) {
        let v = sink.mode.read_f64(run, 0);
        sink.words.push(v.to_bits());
        sink.end_series(run);
    }
}

impl ChildMetric for FloatCounter {}

crate::family::in_place!(FloatCounter {
    /// Adds `v` (if zero or positive) to the child for `labels`.
    fn inc_by(v: f64) => inc_by;
});

/// A counter was asked to go down: the amount was negative or NaN.
///
/// # Examples
///
/// ```
/// use coremeter::{FloatCounter, NegativeIncrement};
///
/// let c = FloatCounter::new();
/// assert_eq!(c.try_inc_by(-1.5), Err(NegativeIncrement(-1.5)));
/// assert_eq!(c.try_inc_by(0.5), Ok(()));
/// assert_eq!(c.get(), 0.5);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NegativeIncrement(pub f64);

impl fmt::Display for NegativeIncrement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "counters only go up: cannot add {} (amounts must be zero or positive)",
            self.0
        )
    }
}

impl std::error::Error for NegativeIncrement {}
