//! Summaries: count and sum of observations, sharded per CPU.

use std::fmt;
use std::time::Duration;

use crate::family::{ChildMetric, Storage};
use crate::guard::{Observe, Timer};
use crate::metric::{Metric, sealed};
use crate::read::{MetricType, SeriesWriter, Shape, SummaryValue, ValueKind, WordSink};
use crate::reset::{ReadMode, Reset};
use crate::slab::{CellRun, Kind};

/// The count and sum of observations (Python's `Summary`, which has no quantiles either), sharded
/// per CPU: an observation is two uncontended atomic updates on the calling CPU's shard. Rates
/// and averages follow in PromQL (`rate(x_sum[5m]) / rate(x_count[5m])`).
///
/// A read adds up count and sum separately: under concurrent observations the two may differ by
/// the observations in flight.
///
/// # Examples
///
/// ```
/// use coremeter::Summary;
///
/// let task = Summary::new();
/// task.observe(0.25);
/// task.observe(0.5);
/// let v = task.get();
/// assert_eq!((v.count, v.sum), (2, 0.75));
/// ```
#[derive(Clone)]
#[must_use = "a summary that is neither kept nor registered records nothing"]
pub struct Summary {
    /// Count, then sum as `f64` bits.
    cells: CellRun,
}

impl Summary {
    /// A summary with no observations.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = coremeter::Summary::new();
    /// assert_eq!(s.get().count, 0);
    /// ```
    pub fn new() -> Self {
        Summary {
            cells: CellRun::new(2),
        }
    }

    /// Records one observation.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = coremeter::Summary::new();
    /// s.observe(2.5);
    /// assert_eq!(s.get().sum, 2.5);
    /// ```
    #[inline]
    pub fn observe(&self, v: f64) {
        self.cells.observe(0, 1, v);
    }

    /// Records a duration in seconds.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = coremeter::Summary::new();
    /// s.observe_duration(std::time::Duration::from_millis(500));
    /// assert_eq!(s.get().sum, 0.5);
    /// ```
    #[inline]
    pub fn observe_duration(&self, d: Duration) {
        self.observe(d.as_secs_f64());
    }

    /// Starts a timer that observes the seconds elapsed when dropped (see [`Timer`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let s = coremeter::Summary::new();
    /// drop(s.start_timer());
    /// assert_eq!(s.get().count, 1);
    /// ```
    pub fn start_timer(&self) -> Timer<&Self> {
        Timer::new(self)
    }

    /// The count and sum, summed over shards.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = coremeter::Summary::new();
    /// s.observe(1.0);
    /// assert_eq!(s.get().count, 1);
    /// ```
    pub fn get(&self) -> SummaryValue {
        read(&self.cells, ReadMode::current())
    }

    /// Returns the count and sum since the previous reset and resets them to 0 (see
    /// [`Counter::take`](crate::Counter::take)).
    ///
    /// # Examples
    ///
    /// ```
    /// let s = coremeter::Summary::new();
    /// s.observe(1.0);
    /// assert_eq!(s.take().count, 1);
    /// assert_eq!(s.get().count, 0);
    /// ```
    pub fn take(&self) -> SummaryValue {
        Reset::take(|mode| read(&self.cells, mode))
    }
}

fn read(run: &CellRun, mut mode: ReadMode<'_>) -> SummaryValue {
    SummaryValue {
        count: mode.read(run, 0),
        sum: mode.read_f64(run, 1),
    }
}

impl Default for Summary {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Summary")
            .field("value", &self.get())
            .finish()
    }
}

impl Observe for Summary {
    fn observe(&self, v: f64) {
        Summary::observe(self, v);
    }
}

impl sealed::Sealed for Summary {}

impl Metric for Summary {
    fn metric_type(&self) -> MetricType {
        MetricType::Summary
    }

    fn collect(&self, out: &mut SeriesWriter<'_>) {
        Self::collect_one(&self.cells, &(), out);
    }
}

impl Storage for Summary {
    type Config = ();
    const KIND: Kind = Kind::Sharded;
    const TYPE: MetricType = MetricType::Summary;

    fn cells(_: &()) -> usize {
        2
    }

    fn from_run(cells: CellRun, _: &()) -> Self {
        Summary { cells }
    }

    fn run(&self) -> &CellRun {
        &self.cells
    }

    fn shape(_: &()) -> Shape {
        Shape {
            stride: 2,
            ..Shape::word(ValueKind::Summary)
        }
    }

    fn read(run: &CellRun, _: &(), sink: &mut WordSink<'_>) {
        let value = read(run, sink.mode.reborrow());
        sink.words.extend([value.count, value.sum.to_bits()]);
        sink.end_series(run);
    }
}

impl ChildMetric for Summary {}

crate::family::in_place!(Summary {
    /// Records an observation in the child for `labels`.
    fn observe(v: f64) => observe;
});
