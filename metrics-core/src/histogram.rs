//! Histograms with fixed buckets, sharded per CPU.

use std::fmt;
use std::time::Duration;

use crate::buckets::{BucketError, Buckets};
use crate::exemplar::{Exemplar, ExemplarError};
use crate::family::{ChildMetric, Storage};
use crate::guard::{Observe, Timer};
use crate::metric::{Metric, sealed};
use crate::read::{HistogramValue, MetricType, SeriesWriter, Shape, ValueKind, WordSink};
use crate::reset::{ReadMode, Reset};
use crate::slab::{CellRun, Kind};

/// Observations counted in buckets with fixed upper bounds, plus their sum; sharded per CPU.
///
/// An observation finds its bucket (binary search over the bounds), then makes two uncontended
/// atomic updates on the calling CPU's shard: the bucket's count and the sum (a compare-exchange
/// on an `f64`). The total count is not a separate cell: a read sums the buckets, so in every read
/// `count == the +Inf bucket` and cumulative buckets never decrease, even under concurrent
/// observations (see [`HistogramValue`]).
///
/// Bucket `i` counts values `v` with `bounds[i-1] < v <= bounds[i]`; values above every bound,
/// and NaN, go to the implied `+Inf` bucket (a NaN also makes the sum NaN).
///
/// # Memory
///
/// `bounds + 2` cells (the buckets, `+Inf` and the sum), each `8 * shard_count()` bytes plus an
/// 8-byte header slot, and the bounds themselves (`16 + 8 * bounds` bytes); clones share both.
///
/// # Examples
///
/// ```
/// use coremeter::{Histogram, buckets};
///
/// let latency = Histogram::with_buckets(&buckets::exponential(0.001, 2.0, 12)?)?;
/// latency.observe(0.003);
/// {
///     let _timer = latency.start_timer(); // observes the elapsed seconds when dropped
/// }
/// let snapshot = latency.get();
/// assert_eq!(snapshot.value().count(), 2);
/// # Ok::<(), coremeter::BucketError>(())
/// ```
#[derive(Clone)]
#[must_use = "a histogram that is neither kept nor registered records nothing"]
pub struct Histogram {
    /// `bounds.len() + 1` bucket counts (the last is `+Inf`), then the sum as `f64` bits.
    cells: CellRun,
    bounds: Buckets,
}

impl Histogram {
    /// A histogram with the [default bounds](crate::buckets::DEFAULT).
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::Histogram::new();
    /// assert_eq!(h.bounds(), coremeter::buckets::DEFAULT);
    /// ```
    pub fn new() -> Self {
        Self::with_config(Buckets::default())
    }

    /// A histogram with the given upper bounds (a trailing `+Inf` may be given; it is implied).
    ///
    /// # Errors
    ///
    /// [`BucketError`] if there is no finite bound, a bound is NaN or infinite, the bounds are
    /// not strictly increasing, or there are more than [`MAX_BOUNDS`](crate::buckets::MAX_BOUNDS).
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{BucketError, Histogram};
    ///
    /// assert!(Histogram::with_buckets(&[0.1, 0.5, 1.0]).is_ok());
    /// let err = Histogram::with_buckets(&[0.5, 0.1]).unwrap_err();
    /// assert!(matches!(err, BucketError::NotIncreasing { index: 1, .. }));
    /// ```
    pub fn with_buckets(bounds: &[f64]) -> Result<Self, BucketError> {
        Buckets::new(bounds).map(Self::with_config)
    }

    /// A histogram with checked bounds.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Buckets, Histogram};
    ///
    /// let h = Histogram::with_config(Buckets::linear(1.0, 1.0, 3)?);
    /// assert_eq!(h.bounds(), [1.0, 2.0, 3.0]);
    /// # Ok::<(), coremeter::BucketError>(())
    /// ```
    pub fn with_config(bounds: Buckets) -> Self {
        Histogram {
            cells: CellRun::new(bounds.bounds().len() + 2),
            bounds,
        }
    }

    /// The finite upper bounds.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::Histogram::with_buckets(&[0.5, 1.0])?;
    /// assert_eq!(h.bounds(), [0.5, 1.0]);
    /// # Ok::<(), coremeter::BucketError>(())
    /// ```
    pub fn bounds(&self) -> &[f64] {
        self.bounds.bounds()
    }

    /// Records one observation.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::Histogram::with_buckets(&[1.0])?;
    /// h.observe(0.3);
    /// h.observe(7.0);
    /// assert_eq!(h.get().value().counts(), [1, 1]);
    /// # Ok::<(), coremeter::BucketError>(())
    /// ```
    #[inline]
    pub fn observe(&self, v: f64) {
        let bounds = self.bounds.bounds();
        let bucket = bucket_of(bounds, v);
        self.cells.observe(bucket, bounds.len() + 1, v);
    }

    /// Records one observation and an exemplar of it (labels such as a trace id) as the latest
    /// of its bucket. Observations without an exemplar cost nothing extra.
    ///
    /// # Errors
    ///
    /// [`ExemplarError`] if the labels are invalid or longer than OpenMetrics allows; nothing is
    /// observed then.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::Histogram::with_buckets(&[0.1, 1.0])?;
    /// h.observe_with_exemplar(0.05, &[("trace_id", "abc")])?;
    /// assert_eq!(h.get().value().counts(), [1, 0, 0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn observe_with_exemplar(
        &self,
        v: f64,
        labels: &[(&str, &str)],
    ) -> Result<(), ExemplarError> {
        let exemplar = Exemplar::new(labels, v)?;
        self.observe(v);
        self.cells
            .set_exemplar(bucket_of(self.bounds(), v), exemplar);
        Ok(())
    }

    /// Records a duration in seconds.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::Histogram::new();
    /// h.observe_duration(std::time::Duration::from_millis(20));
    /// assert_eq!(h.get().value().sum(), 0.02);
    /// ```
    #[inline]
    pub fn observe_duration(&self, d: Duration) {
        self.observe(d.as_secs_f64());
    }

    /// Starts a timer that observes the seconds elapsed when it is dropped (or
    /// [stopped](Timer::stop)), including on early return and unwinding.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::Histogram::new();
    /// let timer = h.start_timer();
    /// let elapsed = timer.stop();
    /// assert_eq!(h.get().value().count(), 1);
    /// assert!(h.get().value().sum() >= elapsed.as_secs_f64());
    /// ```
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::Histogram::new();
    /// {
    ///     let _timer = h.start_timer();
    /// }
    /// assert_eq!(h.get().value().count(), 1);
    /// ```
    pub fn start_timer(&self) -> Timer<&Self> {
        Timer::new(self)
    }

    /// The current buckets, count and sum, summed over shards.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::Histogram::new();
    /// h.observe(1.0);
    /// assert_eq!(h.get().value().count(), 1);
    /// ```
    pub fn get(&self) -> HistogramSnapshot {
        self.snapshot(ReadMode::current())
    }

    /// Returns the buckets and sum since the previous reset and resets them to 0: every
    /// observation's bucket increment is counted by exactly one `take` (or remains in the
    /// histogram), and likewise its sum. Under concurrent observations an observation's bucket and
    /// sum may land in consecutive takes. See [`Counter::take`](crate::Counter::take).
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::Histogram::new();
    /// h.observe(0.2);
    /// assert_eq!(h.take().value().count(), 1);
    /// assert_eq!(h.get().value().count(), 0);
    /// ```
    pub fn take(&self) -> HistogramSnapshot {
        Reset::take(|mode| self.snapshot(mode))
    }

    /// The bounds, as checked.
    pub(crate) fn buckets(&self) -> Buckets {
        self.bounds
    }

    /// Counts `v` in its bucket without adding it to the sum (a native histogram's classic
    /// buckets, whose sum is the native buckets'); returns the bucket.
    #[inline]
    pub(crate) fn count_in_bucket(&self, v: f64) -> usize {
        let bucket = bucket_of(self.bounds(), v);
        self.cells.add(bucket, 1);
        bucket
    }

    /// Keeps `exemplar` as the latest of bucket `bucket`.
    pub(crate) fn set_bucket_exemplar(&self, bucket: usize, exemplar: Exemplar) {
        self.cells.set_exemplar(bucket, exemplar);
    }

    /// Reads the bucket counts into `counts` (one per bucket, zeros).
    pub(crate) fn read_counts(&self, counts: &mut [u64], mut mode: ReadMode<'_>) {
        mode.read_into(&self.cells, counts);
    }

    fn snapshot(&self, mode: ReadMode<'_>) -> HistogramSnapshot {
        let mut counts = vec![0; self.bounds().len() + 1];
        let sum = read(&self.cells, &mut counts, mode);
        HistogramSnapshot {
            bounds: self.bounds,
            counts,
            sum,
        }
    }
}

/// Reads a histogram run's bucket counts into `counts` (one per bucket) and returns its sum.
fn read(run: &CellRun, counts: &mut [u64], mut mode: ReadMode<'_>) -> f64 {
    mode.read_into(run, counts);
    mode.read_f64(run, counts.len())
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Histogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Histogram")
            .field("bounds", &self.bounds())
            .field("value", &self.get())
            .finish()
    }
}

impl Observe for Histogram {
    fn observe(&self, v: f64) {
        Histogram::observe(self, v);
    }
}

impl sealed::Sealed for Histogram {}

impl Metric for Histogram {
    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }

    fn collect(&self, out: &mut SeriesWriter<'_>) {
        Self::collect_one(&self.cells, &self.bounds, out);
    }
}

impl Storage for Histogram {
    type Config = Buckets;
    const KIND: Kind = Kind::Sharded;
    const TYPE: MetricType = MetricType::Histogram;

    fn cells(bounds: &Buckets) -> usize {
        bounds.bounds().len() + 2
    }

    fn from_run(cells: CellRun, bounds: &Buckets) -> Self {
        Histogram {
            cells,
            bounds: *bounds,
        }
    }

    fn run(&self) -> &CellRun {
        &self.cells
    }

    fn shape(bounds: &Buckets) -> Shape {
        Shape {
            stride: bounds.bounds().len() + 2,
            bounds: bounds.bounds(),
            ..Shape::word(ValueKind::Histogram)
        }
    }

    #[inline(always)]
    fn read(run: &CellRun, bounds: &Buckets, sink: &mut WordSink<'_>) {
        let buckets = bounds.bounds().len() + 1;
        let start = sink.words.len();
        sink.words.resize(start + buckets, 0);
        let sum = read(run, &mut sink.words[start..], sink.mode.reborrow());
        sink.words.push(sum.to_bits());
        sink.end_series(run);
    }
}

impl ChildMetric for Histogram {}

crate::family::in_place!(Histogram {
    /// Records an observation in the child for `labels`.
    fn observe(v: f64) => observe;
});

/// Up to this many bounds, the bucket is found by comparing `v` with every bound: the comparisons
/// are independent (and vectorise), where a binary search is a chain of dependent loads; measured
/// in `benches/README.md`.
const LINEAR_SEARCH_MAX: usize = 64;

/// The index of the first bound `>= v`, or `bounds.len()` (the +Inf bucket) for values above
/// every bound and for NaN, which compares false with everything.
#[inline(always)]
fn bucket_of(bounds: &[f64], v: f64) -> usize {
    if bounds.len() <= LINEAR_SEARCH_MAX {
        // Bounds are increasing, so the bounds below `v` are a prefix: counting them finds it.
        bounds.iter().map(|&b| usize::from(passes(v, b))).sum()
    } else {
        bounds.partition_point(|&b| passes(v, b))
    }
}

/// Whether `v` belongs above bound `b`: `v > b`, or `v` is NaN.
#[inline(always)]
#[expect(
    clippy::neg_cmp_op_on_partial_ord,
    reason = "the negation is the point: NaN must land above every bound"
)]
fn passes(v: f64, b: f64) -> bool {
    !(v <= b)
}

/// A histogram's buckets, count and sum at one read.
///
/// # Examples
///
/// ```
/// use coremeter::Histogram;
///
/// let h = Histogram::with_buckets(&[1.0, 5.0])?;
/// h.observe(0.5);
/// h.observe(3.0);
/// let snapshot = h.get();
/// let v = snapshot.value();
/// assert_eq!(v.counts(), [1, 1, 0]);
/// assert_eq!(v.count(), 2);
/// assert_eq!(v.sum(), 3.5);
/// # Ok::<(), coremeter::BucketError>(())
/// ```
#[derive(Clone, Debug)]
pub struct HistogramSnapshot {
    bounds: Buckets,
    counts: Vec<u64>,
    sum: f64,
}

impl HistogramSnapshot {
    /// The read-side view: bounds, per-bucket counts, count, sum, cumulative buckets.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::Histogram::new();
    /// h.observe(0.5);
    /// let snapshot = h.get();
    /// assert_eq!(snapshot.value().sum(), 0.5);
    /// ```
    pub fn value(&self) -> HistogramValue<'_> {
        HistogramValue::new(self.bounds.bounds(), &self.counts, self.sum)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn bucket_edges_and_nan() {
        let h = Histogram::with_buckets(&[1.0, 2.0]).unwrap();
        for v in [
            f64::NEG_INFINITY,
            -5.0,
            1.0,
            1.0000001,
            2.0,
            2.5,
            f64::INFINITY,
            f64::NAN,
        ] {
            h.observe(v);
        }
        let s = h.get();
        assert_eq!(s.value().counts(), [3, 2, 3]);
        assert_eq!(s.value().count(), 8);
        assert!(s.value().sum().is_nan());
    }

    #[test]
    fn linear_and_binary_search_agree() {
        let small: Vec<f64> = (1..=LINEAR_SEARCH_MAX).map(|i| i as f64).collect();
        let large: Vec<f64> = (1..=LINEAR_SEARCH_MAX * 3).map(|i| i as f64).collect();
        for bounds in [&small[..], &large[..], &[1.0][..]] {
            for v in [
                -1.0,
                0.5,
                1.0,
                1.5,
                2.0,
                63.9,
                64.0,
                64.1,
                191.0,
                1e9,
                f64::NAN,
                f64::INFINITY,
            ] {
                let expected = bounds.iter().position(|&b| v <= b).unwrap_or(bounds.len());
                assert_eq!(
                    bucket_of(bounds, v),
                    expected,
                    "{v} in {} bounds",
                    bounds.len()
                );
            }
        }
    }

    #[test]
    fn sum_and_count() {
        let h = Histogram::new();
        h.observe(0.5);
        h.observe(0.25);
        h.observe_duration(Duration::from_millis(250));
        let s = h.get();
        assert_eq!(s.value().count(), 3);
        assert_eq!(s.value().sum(), 1.0);
        assert_eq!(
            s.value().cumulative().find(|&(le, _)| le == 0.25),
            Some((0.25, 2))
        );
    }

    #[test]
    fn timer_observes_on_drop_and_unwind() {
        let h = Histogram::new();
        drop(h.start_timer());
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _t = h.start_timer();
            panic!("boom");
        }));
        assert!(r.is_err());
        assert_eq!(h.get().value().count(), 2);
    }
}
