//! Gauges: values that go up and down. One atomic cell each, not sharded.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::family::{ChildMetric, Storage};
use crate::metric::{Metric, sealed};
use crate::read::{MetricType, SeriesWriter, Shape, ValueKind, WordSink};
use crate::slab::{CellRun, Kind, add_f64};
use crate::sync::{AtomicU64, Ordering};

/// An `i64` gauge: a value that can go up and down (queue length, connections, temperature).
///
/// A gauge is **one** atomic cell, not sharded: [`set`](Self::set) must replace the value that
/// every other thread sees, which per-CPU copies cannot do without a lock. So `inc`/`dec` from
/// several CPUs at once contend on one cache line (~17-30 ns per update on a 2-core machine,
/// against ~3 ns for a sharded [`Counter`](crate::Counter)). If a value only grows, use a counter.
/// Different gauges (and the children of a gauge family) never share a cache line: threads that
/// update different gauges do not slow each other down.
///
/// Clones share the value. Overflow wraps. The value lives in a slab cell of its own (16 bytes
/// of heap with its header); the handle is 16 bytes.
///
/// # Examples
///
/// ```
/// use coremeter::Gauge;
///
/// let in_flight = Gauge::new();
/// in_flight.inc();
/// in_flight.add(4);
/// in_flight.dec();
/// assert_eq!(in_flight.get(), 4);
/// in_flight.set(-2);
/// assert_eq!(in_flight.get(), -2);
/// ```
#[derive(Clone)]
#[must_use = "a gauge that is neither kept nor registered records nothing"]
pub struct Gauge {
    /// One unsharded cell holding the value as two's-complement bits.
    cell: CellRun,
}

// Relaxed throughout: the gauge is one independent value; nothing else is published through it.
impl Gauge {
    /// A gauge at 0.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = coremeter::Gauge::new();
    /// assert_eq!(g.get(), 0);
    /// ```
    pub fn new() -> Self {
        Gauge {
            cell: CellRun::new_in(Kind::Unsharded, 1),
        }
    }

    #[inline(always)]
    fn value(&self) -> &AtomicU64 {
        self.cell.unsharded_cell(0)
    }

    /// Sets the value.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = coremeter::Gauge::new();
    /// g.set(-4);
    /// assert_eq!(g.get(), -4);
    /// ```
    #[inline]
    pub fn set(&self, v: i64) {
        self.value().store(v as u64, Ordering::Relaxed);
    }

    /// Adds 1.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = coremeter::Gauge::new();
    /// g.inc();
    /// assert_eq!(g.get(), 1);
    /// ```
    #[inline]
    pub fn inc(&self) {
        self.add(1);
    }

    /// Subtracts 1.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = coremeter::Gauge::new();
    /// g.dec();
    /// assert_eq!(g.get(), -1);
    /// ```
    #[inline]
    pub fn dec(&self) {
        self.sub(1);
    }

    /// Adds `v` (wrapping: two's-complement addition on the bits is signed addition).
    ///
    /// # Examples
    ///
    /// ```
    /// let g = coremeter::Gauge::new();
    /// g.add(10);
    /// assert_eq!(g.get(), 10);
    /// ```
    #[inline]
    pub fn add(&self, v: i64) {
        self.value().fetch_add(v as u64, Ordering::Relaxed);
    }

    /// Subtracts `v` (wrapping).
    ///
    /// # Examples
    ///
    /// ```
    /// let g = coremeter::Gauge::new();
    /// g.sub(3);
    /// assert_eq!(g.get(), -3);
    /// ```
    #[inline]
    pub fn sub(&self, v: i64) {
        self.value().fetch_sub(v as u64, Ordering::Relaxed);
    }

    /// The current value.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = coremeter::Gauge::new();
    /// g.set(7);
    /// assert_eq!(g.get(), 7);
    /// ```
    pub fn get(&self) -> i64 {
        self.value().load(Ordering::Relaxed) as i64
    }

    /// Sets the value to the current Unix time in whole seconds (negative before 1970).
    ///
    /// # Examples
    ///
    /// ```
    /// let last_success = coremeter::Gauge::new();
    /// last_success.set_to_current_time();
    /// assert!(last_success.get() > 1_600_000_000);
    /// ```
    ///
    /// # Examples
    ///
    /// ```
    /// let g = coremeter::Gauge::new();
    /// g.set_to_current_time();
    /// assert!(g.get() > 1_700_000_000);
    /// ```
    pub fn set_to_current_time(&self) {
        self.set(unix_time().floor() as i64);
    }
}

impl Default for Gauge {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Gauge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gauge").field("value", &self.get()).finish()
    }
}

impl sealed::Sealed for Gauge {}

impl Metric for Gauge {
    fn metric_type(&self) -> MetricType {
        MetricType::Gauge
    }

    fn collect(&self, out: &mut SeriesWriter<'_>) {
        Self::collect_one(&self.cell, &(), out);
    }
}

impl Storage for Gauge {
    type Config = ();
    const KIND: Kind = Kind::Unsharded;
    const TYPE: MetricType = MetricType::Gauge;

    fn cells(_: &()) -> usize {
        1
    }

    fn from_run(cell: CellRun, _: &()) -> Self {
        Gauge { cell }
    }

    fn run(&self) -> &CellRun {
        &self.cell
    }

    fn shape(_: &()) -> Shape {
        Shape::word(ValueKind::Gauge)
    }

    #[inline(always)]
    fn read(run: &CellRun, _: &(), sink: &mut WordSink<'_>) {
        // Relaxed: one independent value.
        sink.words
            .push(run.unsharded_cell(0).load(Ordering::Relaxed));
        sink.end_series(run);
    }
}

impl ChildMetric for Gauge {}

crate::family::in_place!(Gauge {
    /// Sets the child for `labels`.
    fn set(v: i64) => set;
    /// Adds 1 to the child for `labels`.
    fn inc() => inc;
    /// Subtracts 1 from the child for `labels`.
    fn dec() => dec;
    /// Adds `v` to the child for `labels`.
    fn add(v: i64) => add;
    /// Subtracts `v` from the child for `labels`.
    fn sub(v: i64) => sub;
});

/// An `f64` gauge, one atomic cell holding the value's bits (see [`Gauge`] for why gauges are not
/// sharded). [`add`](Self::add) is a compare-exchange loop.
///
/// # Examples
///
/// ```
/// use coremeter::FloatGauge;
///
/// let temperature = FloatGauge::new();
/// temperature.set(21.5);
/// temperature.add(0.25);
/// temperature.dec();
/// assert_eq!(temperature.get(), 20.75);
/// ```
#[derive(Clone)]
#[must_use = "a gauge that is neither kept nor registered records nothing"]
pub struct FloatGauge {
    /// One unsharded cell holding the value's bits (all-zero bits are 0.0).
    cell: CellRun,
}

impl FloatGauge {
    /// A gauge at 0.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = coremeter::FloatGauge::new();
    /// assert_eq!(g.get(), 0.0);
    /// ```
    pub fn new() -> Self {
        FloatGauge {
            cell: CellRun::new_in(Kind::Unsharded, 1),
        }
    }

    #[inline(always)]
    fn bits(&self) -> &AtomicU64 {
        self.cell.unsharded_cell(0)
    }

    /// Sets the value.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = coremeter::FloatGauge::new();
    /// g.set(0.75);
    /// assert_eq!(g.get(), 0.75);
    /// ```
    #[inline]
    pub fn set(&self, v: f64) {
        self.bits().store(v.to_bits(), Ordering::Relaxed);
    }

    /// Adds 1.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = coremeter::FloatGauge::new();
    /// g.inc();
    /// assert_eq!(g.get(), 1.0);
    /// ```
    #[inline]
    pub fn inc(&self) {
        self.add(1.0);
    }

    /// Subtracts 1.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = coremeter::FloatGauge::new();
    /// g.dec();
    /// assert_eq!(g.get(), -1.0);
    /// ```
    #[inline]
    pub fn dec(&self) {
        self.add(-1.0);
    }

    /// Adds `v`.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = coremeter::FloatGauge::new();
    /// g.add(0.5);
    /// assert_eq!(g.get(), 0.5);
    /// ```
    #[inline]
    pub fn add(&self, v: f64) {
        add_f64(self.bits(), v);
    }

    /// Subtracts `v`.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = coremeter::FloatGauge::new();
    /// g.sub(0.5);
    /// assert_eq!(g.get(), -0.5);
    /// ```
    #[inline]
    pub fn sub(&self, v: f64) {
        add_f64(self.bits(), -v);
    }

    /// The current value.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = coremeter::FloatGauge::new();
    /// g.set(2.5);
    /// assert_eq!(g.get(), 2.5);
    /// ```
    pub fn get(&self) -> f64 {
        f64::from_bits(self.bits().load(Ordering::Relaxed))
    }

    /// Sets the value to the current Unix time in seconds, with sub-second precision.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = coremeter::FloatGauge::new();
    /// g.set_to_current_time();
    /// assert!(g.get() > 1.7e9);
    /// ```
    pub fn set_to_current_time(&self) {
        self.set(unix_time());
    }
}

impl Default for FloatGauge {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for FloatGauge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FloatGauge")
            .field("value", &self.get())
            .finish()
    }
}

impl sealed::Sealed for FloatGauge {}

impl Metric for FloatGauge {
    fn metric_type(&self) -> MetricType {
        MetricType::Gauge
    }

    fn collect(&self, out: &mut SeriesWriter<'_>) {
        Self::collect_one(&self.cell, &(), out);
    }
}

impl Storage for FloatGauge {
    type Config = ();
    const KIND: Kind = Kind::Unsharded;
    const TYPE: MetricType = MetricType::Gauge;

    fn cells(_: &()) -> usize {
        1
    }

    fn from_run(cell: CellRun, _: &()) -> Self {
        FloatGauge { cell }
    }

    fn run(&self) -> &CellRun {
        &self.cell
    }

    fn shape(_: &()) -> Shape {
        Shape::word(ValueKind::FloatGauge)
    }

    #[inline(always)]
    fn read(run: &CellRun, _: &(), sink: &mut WordSink<'_>) {
        // Relaxed: one independent value, kept as the `f64`'s bits.
        sink.words
            .push(run.unsharded_cell(0).load(Ordering::Relaxed));
        sink.end_series(run);
    }
}

impl ChildMetric for FloatGauge {}

crate::family::in_place!(FloatGauge {
    /// Sets the child for `labels`.
    fn set(v: f64) => set;
    /// Adds `v` to the child for `labels`.
    fn add(v: f64) => add;
});

/// Seconds since the Unix epoch, negative before it.
fn unix_time() -> f64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(before) => -before.duration().as_secs_f64(),
    }
}
