//! Statistics counters (from Pip.Services' `PrometheusCounters`): count, sum, minimum and
//! maximum of observations, sharded per CPU, merged at read.

use std::fmt;
use std::time::Duration;

use crate::family::{ChildMetric, Storage};
use crate::guard::{Observe, Timer};
use crate::metric::{Metric, sealed};
use crate::read::{
    MetricType, STATISTICS_MAX, STATISTICS_MIN, SeriesWriter, Shape, StatisticsValue, ValueKind,
    WordSink,
};
use crate::reset::{ReadMode, Reset};
use crate::slab::{CellRun, Kind};
use crate::sync::Ordering;

/// Count, sum, minimum and maximum of observations; the average is computed at read
/// ([`StatisticsValue::average`]).
///
/// Every part is sharded: count and sum are adds on the calling CPU's shard; minimum and maximum
/// are per-shard maxima (over an order-preserving encoding of the `f64`, see below), merged over
/// shards at read. Like a counter's add, each is a plain load and store in a restartable sequence
/// where the process takes that path ([`WritePath`](crate::shard::WritePath)), else atomic. An
/// observation that does not move the minimum or maximum only reads those cells. NaN
/// observations count and make the sum NaN, but leave minimum and maximum alone.
///
/// A reset-on-read ([`take`](Self::take)) starts a new window: minimum and maximum become those
/// of the observations since.
///
/// # Examples
///
/// ```
/// use coremeter::Statistics;
///
/// let latency = Statistics::new();
/// for v in [0.3, 0.1, 0.5] {
///     latency.observe(v);
/// }
/// let s = latency.get();
/// assert_eq!((s.count, s.min, s.max), (3, Some(0.1), Some(0.5)));
/// assert!((s.average().unwrap() - 0.3).abs() < 1e-12);
/// ```
#[derive(Clone)]
#[must_use = "statistics that are neither kept nor registered record nothing"]
pub struct Statistics {
    /// Count, sum (`f64` bits), minimum key, maximum key.
    cells: CellRun,
}

const COUNT: usize = 0;
const SUM: usize = 1;
const MIN: usize = 2;
const MAX: usize = 3;

/// Maps `f64` to `u64` so that integer order is float order (negative floats flip all their
/// bits, positive ones their sign bit). Every non-NaN value maps above 0, which therefore means
/// "no observation yet" in a zeroed cell.
fn key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

fn from_key(k: u64) -> f64 {
    if k >> 63 == 1 {
        f64::from_bits(k & !(1 << 63))
    } else {
        f64::from_bits(!k)
    }
}

impl Statistics {
    /// Statistics with no observations.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = coremeter::Statistics::new();
    /// assert_eq!(s.get().count, 0);
    /// ```
    pub fn new() -> Self {
        Statistics {
            cells: CellRun::new(4),
        }
    }

    /// Records one observation.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = coremeter::Statistics::new();
    /// s.observe(2.5);
    /// assert_eq!(s.get().sum, 2.5);
    /// ```
    #[inline]
    pub fn observe(&self, v: f64) {
        self.cells.observe(COUNT, SUM, v);
        if v.is_nan() {
            return;
        }
        // The maximum cell keeps `key(v)`, the minimum cell `!key(v)`: both are maxima, and 0 (a
        // fresh or reset cell) is below every key of both kinds.
        // Most observations move neither: one load of each on the CPU's shard tells. Skipping
        // on another CPU's copy (after a migration) is as good: the read merges the shards.
        let k = key(v);
        let shard = self.cells.local_shard();
        // Relaxed: each cell is an independent maximum.
        let moves = |cell, k| shard.cell(cell).load(Ordering::Relaxed) < k;
        if moves(MAX, k) {
            self.cells.max(MAX, k);
        }
        if moves(MIN, !k) {
            self.cells.max(MIN, !k);
        }
    }

    /// Records a duration in seconds.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = coremeter::Statistics::new();
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
    /// let s = coremeter::Statistics::new();
    /// drop(s.start_timer());
    /// assert_eq!(s.get().count, 1);
    /// ```
    pub fn start_timer(&self) -> Timer<&Self> {
        Timer::new(self)
    }

    /// Count, sum, minimum and maximum, merged over shards.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = coremeter::Statistics::new();
    /// s.observe(1.0);
    /// assert_eq!(s.get().count, 1);
    /// ```
    pub fn get(&self) -> StatisticsValue {
        read(&self.cells, ReadMode::current())
    }

    /// Returns the statistics and resets them, atomically per shard and cell: the next read
    /// covers only later observations.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = coremeter::Statistics::new();
    /// s.observe(1.0);
    /// assert_eq!(s.take().count, 1);
    /// assert_eq!(s.get().count, 0);
    /// ```
    pub fn take(&self) -> StatisticsValue {
        Reset::take(|mode| read(&self.cells, mode))
    }
}

fn read(run: &CellRun, mut mode: ReadMode<'_>) -> StatisticsValue {
    // Count and sum add up over shards; the extremes are maxima over shards.
    let (count, sum) = (mode.read(run, COUNT), mode.read_f64(run, SUM));
    let max = mode.read_extreme(run, MAX);
    let min = mode.read_extreme(run, MIN);
    StatisticsValue {
        count,
        sum,
        min: (min != 0).then(|| from_key(!min)),
        max: (max != 0).then(|| from_key(max)),
    }
}

impl Default for Statistics {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Statistics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Statistics")
            .field("value", &self.get())
            .finish()
    }
}

impl Observe for Statistics {
    fn observe(&self, v: f64) {
        Statistics::observe(self, v);
    }
}

impl sealed::Sealed for Statistics {}

impl Metric for Statistics {
    fn metric_type(&self) -> MetricType {
        MetricType::Statistics
    }

    fn collect(&self, out: &mut SeriesWriter<'_>) {
        Self::collect_one(&self.cells, &(), out);
    }
}

impl Storage for Statistics {
    type Config = ();
    const KIND: Kind = Kind::Sharded;
    const TYPE: MetricType = MetricType::Statistics;

    fn cells(_: &()) -> usize {
        4
    }

    fn from_run(cells: CellRun, _: &()) -> Self {
        Statistics { cells }
    }

    fn run(&self) -> &CellRun {
        &self.cells
    }

    fn shape(_: &()) -> Shape {
        Shape {
            stride: 5,
            ..Shape::word(ValueKind::Statistics)
        }
    }

    fn read(run: &CellRun, _: &(), sink: &mut WordSink<'_>) {
        let v = read(run, sink.mode.reborrow());
        let has = v.min.map_or(0, |_| STATISTICS_MIN) | v.max.map_or(0, |_| STATISTICS_MAX);
        let (min, max) = (v.min.unwrap_or(0.0), v.max.unwrap_or(0.0));
        sink.words
            .extend([v.count, v.sum.to_bits(), min.to_bits(), max.to_bits(), has]);
        sink.end_series(run);
    }
}

impl ChildMetric for Statistics {}

crate::family::in_place!(Statistics {
    /// Records an observation in the child for `labels`.
    fn observe(v: f64) => observe;
});

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn keys_preserve_order() {
        let values = [
            f64::NEG_INFINITY,
            -1e300,
            -1.5,
            -0.0,
            0.0,
            f64::MIN_POSITIVE,
            2.0,
            f64::INFINITY,
        ];
        for w in values.windows(2) {
            assert!(key(w[0]) <= key(w[1]), "{} {}", w[0], w[1]);
            assert!(key(w[0]) > 0 && !key(w[0]) > 0);
        }
        for v in values {
            assert_eq!(from_key(key(v)).to_bits(), v.to_bits());
        }
    }

    #[test]
    fn extremes_and_reset() {
        let s = Statistics::new();
        assert_eq!(s.get().min, None);
        for v in [3.0, -2.0, f64::NAN, 7.5] {
            s.observe(v);
        }
        let v = s.take();
        assert_eq!((v.count, v.min, v.max), (4, Some(-2.0), Some(7.5)));
        assert!(v.sum.is_nan());
        let after = s.get();
        assert_eq!((after.count, after.min, after.max), (0, None, None));
        // A sum that saw NaN stays NaN: a reset subtracts, it does not clear (see `crate::reset`).
        assert!(after.sum.is_nan());
        s.observe(-0.5);
        assert_eq!((s.get().min, s.get().max), (Some(-0.5), Some(-0.5)));
        let fresh = Statistics::new();
        fresh.observe(2.0);
        fresh.take();
        fresh.observe(-0.5);
        assert_eq!((fresh.get().count, fresh.get().sum), (1, -0.5));
    }
}
