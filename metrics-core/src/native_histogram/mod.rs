//! Native (sparse, exponential) histograms, sharded per CPU.
//!
//! | file | what |
//! | --- | --- |
//! | `mod.rs` | [`NativeHistogram`], its observation and its read, as a metric and a family's child |
//! | `config.rs` | [`NativeHistogramBuilder`], [`NativeHistogramConfig`], [`NativeHistogramError`] |
//! | `key.rs` | the bucket of a value at a schema, and how buckets merge into a coarser schema |
//! | `generation.rs` | the windows of bucket chunks observations write to, and how they are replaced |

mod config;
mod generation;
mod key;

use std::collections::BTreeMap;
use std::fmt;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::time::Duration;

pub use config::{NativeHistogramBuilder, NativeHistogramConfig, NativeHistogramError};
use generation::{CHUNK_SUM, Generation, Generations, Placed, Sign};
use key::CHUNK;
pub(crate) use key::{MAX_SCHEMA, MIN_SCHEMA};

use crate::exemplar::{Exemplar, ExemplarError};
use crate::family::{ChildMetric, Storage};
use crate::guard::{Observe, Timer};
use crate::histogram::Histogram;
use crate::metric::{Metric, sealed};
use crate::read::{
    MetricType, NativeBuckets, NativeHistogramSnapshot, SeriesWriter, Shape, ValueKind, WordSink,
};
use crate::reset::{ReadMode, Reset};
use crate::slab::{CellRun, Kind};
use crate::sync::unmodelled::{Mutex, MutexGuard};

/// The cells of a native histogram's own run: observations in the zero bucket, NaN
/// observations, and the sum of both.
const ZERO: usize = 0;
const NAN: usize = 1;
const SUM: usize = 2;

/// A histogram with exponential buckets (a Prometheus *native histogram*): no bucket layout to
/// choose, a resolution relative to the value at any scale, and only the buckets that hold
/// observations exposed. Sharded per CPU like [`Histogram`].
///
/// Bucket `k` of schema `s` counts values in `(2^((k-1) * 2^-s), 2^(k * 2^-s)]`: schema 3 (the
/// default) splits each power of 2 into 8 buckets, each about 9% wide. Values within the zero
/// threshold of 0 go to the zero bucket, negative values to negative buckets of the same
/// magnitudes, NaN to the count and the sum only.
///
/// An observation finds its bucket (the exponent of the value and, for schemas above 0, a
/// 1,024-cell table of the mantissa's top bits and one comparison), then makes two uncontended
/// atomic updates on the calling CPU's shard: the bucket's count and the sum, as
/// [`Histogram::observe`] does. The buckets live in chunks of 16 (per CPU), allocated when the
/// first value falls in them; the observation of a value whose chunk exists takes no lock and
/// allocates nothing.
///
/// # The bucket limit
///
/// When more than [`max_buckets`](NativeHistogramBuilder::max_buckets) buckets hold
/// observations (160 by default, counted at each read), or the buckets of one sign would span
/// more than 256 (16 chunks, what one generation's window holds), the histogram halves its
/// resolution: the schema drops by one and pairs of buckets merge, as client_golang does past its
/// `NativeHistogramMaxBucketNumber`; it is never reset to make room. What was observed at a finer
/// schema stays in its cells and is merged into the coarser buckets at each read, so no
/// observation is lost or counted twice.
///
/// # Exposition
///
/// The protobuf exposition carries the native buckets (Prometheus stores them with
/// `--enable-feature=native-histograms`). The text formats, which have no native buckets, carry
/// the classic buckets if the histogram has them (see
/// [`classic_buckets`](NativeHistogramBuilder::classic_buckets)), otherwise only the `+Inf` bucket
/// (the count) and the sum.
///
/// # In a label family
///
/// `Family<L, NativeHistogram>` keeps one per label set, configured by a
/// [`NativeHistogramConfig`]; see [`NativeHistogramConfig`]'s example.
///
/// # Memory
///
/// About 1.7 KB before the first observation (on 2 CPUs: a generation's 32 chunk slots are 1,280
/// bytes), then per chunk of 16 buckets a run of 17 cells, each `8 * shard_count()` bytes plus
/// an 8-byte header slot. One power of 2 of positive values at schema 3 takes 8 buckets, so a
/// latency histogram over 1 ms to 10 s (about 13 powers of 2) uses 7 chunks: `7 * 17 * (8 *
/// shards + 8)` bytes, 2,856 bytes with 2 shards, beside the 1.7 KB.
///
/// # Examples
///
/// ```
/// use coremeter::NativeHistogram;
///
/// let latency = NativeHistogram::new();
/// latency.observe(0.003);
/// latency.observe(0.250);
/// {
///     let _timer = latency.start_timer(); // observes the elapsed seconds when dropped
/// }
/// let snapshot = latency.get();
/// let native = snapshot.value().native().unwrap();
/// assert_eq!(native.count(), 3);
/// assert_eq!(native.schema(), 3);
/// ```
#[derive(Clone)]
#[must_use = "a histogram that is neither kept nor registered records nothing"]
pub struct NativeHistogram {
    /// The state attached to `run` (see `slab/attachment.rs`), which the attachment owns: valid
    /// as long as `run` is.
    inner: NonNull<Inner>,
    /// A run of one unsharded cell, to which the state is attached and whose cell holds its
    /// address: a family's child is made from its run alone (see [`Storage`]).
    run: CellRun,
}

// SAFETY: the handle gives only shared access to `Inner`, which is `Send + Sync` (atomics,
// mutexes and cell runs), and keeps it alive through `run` (which is `Send + Sync`) whichever
// thread holds it: the same guarantees as the `Arc<Inner>` this replaced, without the reference
// count that a family's lookup paid per call (see `from_run`).
unsafe impl Send for NativeHistogram {}
// SAFETY: as for `Send`.
unsafe impl Sync for NativeHistogram {}

struct Inner {
    /// The current generation: the last of `generations.all`.
    current: AtomicPtr<Generation>,
    config: NativeHistogramConfig,
    /// `ZERO`, `NAN`, `SUM`.
    cells: CellRun,
    classic: Option<Histogram>,
    generations: Mutex<Generations>,
    exemplar: Mutex<Option<Exemplar>>,
}

impl Inner {
    fn new(config: &NativeHistogramConfig) -> Inner {
        let generations = Generations::new(config.schema());
        let current = std::ptr::from_ref(generations.current()).cast_mut();
        Inner {
            current: AtomicPtr::new(current),
            config: *config,
            cells: CellRun::new(3),
            classic: config.classic().map(Histogram::with_config),
            generations: Mutex::new(generations),
            exemplar: Mutex::new(None),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl NativeHistogram {
    /// A native histogram of schema 3, zero threshold `2^-128`, at most 160 buckets, without
    /// classic buckets.
    pub fn new() -> Self {
        Self::with_config(NativeHistogramConfig::default())
    }

    /// Settings other than the defaults of [`new`](Self::new).
    pub fn builder() -> NativeHistogramBuilder {
        NativeHistogramBuilder::default()
    }

    /// A native histogram of checked settings.
    pub fn with_config(config: NativeHistogramConfig) -> Self {
        Self::from_run(CellRun::new_in(Kind::Unsharded, 1), &config)
    }

    /// The histogram's state.
    #[inline(always)]
    fn inner(&self) -> &Inner {
        // SAFETY: `inner` is the address of the `Inner` attached to `self.run` (`from_run`),
        // which the run's attachment table owns until the run is freed, and the run is not freed
        // while `self.run` holds it (a reference of its own, or a view under the family's lock
        // or pin, which outlives the handle); `Inner` is only ever shared.
        unsafe { self.inner.as_ref() }
    }

    /// The generation observations write to now.
    #[inline(always)]
    fn generation(&self) -> &Generation {
        let current = self.inner().current.load(Ordering::Acquire);
        // SAFETY: `current` points into a `Box<Generation>` of `generations.all`, which is never
        // shortened while the histogram lives (so the generation is neither moved nor freed
        // before `self`), and was published with a release store after it was made; a
        // generation is changed only through its slots' `OnceLock`s. Without this, each
        // observation would pay a reference count or a read lock (two locked instructions, the
        // cost #19 measured and removed from label lookups).
        unsafe { &*current }
    }

    /// Records one observation.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::NativeHistogram::new();
    /// h.observe(-2.0);
    /// h.observe(f64::NAN);
    /// let snapshot = h.get();
    /// let native = snapshot.value().native().unwrap();
    /// assert_eq!(native.negative(), [(8, 1)]);
    /// assert_eq!(native.count(), 2);
    /// ```
    #[inline]
    pub fn observe(&self, v: f64) {
        if let Some(classic) = &self.inner().classic {
            classic.count_in_bucket(v);
        }
        self.observe_native(v);
    }

    /// [`observe`](Self::observe) without the classic buckets.
    #[inline(always)]
    fn observe_native(&self, v: f64) {
        let threshold = self.inner().config.zero_threshold();
        let sign = if v > threshold {
            0
        } else if v < -threshold {
            1
        } else {
            let cell = if v.is_nan() { NAN } else { ZERO };
            return self.inner().cells.observe(cell, SUM, v);
        };
        let magnitude = v.abs();
        if magnitude == f64::INFINITY {
            return self.observe_slow(sign, v);
        }
        let generation = self.generation();
        let (chunk, index) = key::position(magnitude, generation.schema, generation.bounds);
        match generation.chunk(sign, chunk) {
            Some(slot) => slot.observe(index, v),
            None => self.observe_slow(sign, v),
        }
    }

    /// An observation whose chunk is not in the current generation's window or not allocated.
    #[cold]
    #[inline(never)]
    fn observe_slow(&self, sign: Sign, v: f64) {
        let mut generations = lock(&self.inner().generations);
        loop {
            let current = generations.current();
            let key = key::key(v.abs(), current.schema, current.bounds);
            match generations.place(sign, key) {
                Placed::Chunk(slot) => return slot.observe(key::index_in_chunk(key), v),
                Placed::Replaced => self.publish(&generations),
            }
        }
    }

    /// Makes the last generation current.
    fn publish(&self, generations: &Generations) {
        let current = std::ptr::from_ref(generations.current()).cast_mut();
        // Release: an observer that loads the pointer sees the generation as made.
        self.inner().current.store(current, Ordering::Release);
    }

    /// Records one observation and keeps it as the histogram's exemplar (labels such as a trace
    /// id), and as its classic bucket's if it has classic buckets.
    ///
    /// # Errors
    ///
    /// [`ExemplarError`] if the labels are invalid or longer than OpenMetrics allows; nothing is
    /// observed then.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::NativeHistogram::new();
    /// h.observe_with_exemplar(0.05, &[("trace_id", "abc")])?;
    /// let snapshot = h.get();
    /// assert_eq!(snapshot.value().native().unwrap().exemplar().unwrap().value(), 0.05);
    /// # Ok::<(), coremeter::ExemplarError>(())
    /// ```
    pub fn observe_with_exemplar(
        &self,
        v: f64,
        labels: &[(&str, &str)],
    ) -> Result<(), ExemplarError> {
        let exemplar = Exemplar::new(labels, v)?;
        if let Some(classic) = &self.inner().classic {
            let bucket = classic.count_in_bucket(v);
            classic.set_bucket_exemplar(bucket, exemplar.clone());
        }
        self.observe_native(v);
        *lock(&self.inner().exemplar) = Some(exemplar);
        Ok(())
    }

    /// Records a duration in seconds.
    #[inline]
    pub fn observe_duration(&self, d: Duration) {
        self.observe(d.as_secs_f64());
    }

    /// Starts a timer that observes the seconds elapsed when it is dropped (or
    /// [stopped](Timer::stop)), including on early return and unwinding.
    pub fn start_timer(&self) -> Timer<&Self> {
        Timer::new(self)
    }

    /// The current buckets, count and sum, summed over shards.
    pub fn get(&self) -> NativeHistogramSnapshot {
        self.snapshot(ReadMode::current())
    }

    /// Returns the buckets and sum since the previous reset and resets them to 0, as
    /// [`Histogram::take`] does.
    pub fn take(&self) -> NativeHistogramSnapshot {
        Reset::take(|mode| self.snapshot(mode))
    }

    fn snapshot(&self, mut mode: ReadMode<'_>) -> NativeHistogramSnapshot {
        // The classic buckets count observations only: every format shows the native buckets'
        // sum (one add per observation, and text and protobuf agree to the bit).
        let (classic_bounds, mut counts) = match &self.inner().classic {
            Some(classic) => {
                let mut counts = vec![0; classic.bounds().len() + 1];
                classic.read_counts(&mut counts, mode.reborrow());
                (Some(classic.buckets()), counts)
            }
            None => (None, Vec::new()),
        };
        let native = self.read(mode);
        if classic_bounds.is_none() {
            counts.push(native.count);
        }
        NativeHistogramSnapshot {
            classic: classic_bounds,
            counts,
            sum: native.sum,
            native,
        }
    }

    /// Reads the native buckets: every chunk of every generation merged into the current
    /// schema, lowered further (for this read and for later observations) while more than
    /// `max_buckets` buckets hold observations.
    fn read(&self, mut mode: ReadMode<'_>) -> NativeBuckets {
        let mut generations = lock(&self.inner().generations);
        let mut schema = generations.current().schema;
        let mut buckets: [BTreeMap<i32, u64>; 2] = Default::default();
        let mut sum = 0.0;
        let mut counts = [0u64; CHUNK as usize];
        for chunk in &generations.chunks {
            counts.fill(0);
            mode.read_into(&chunk.run, &mut counts);
            sum += mode.read_f64(&chunk.run, CHUNK_SUM);
            for (i, &c) in counts.iter().enumerate() {
                if c != 0 {
                    let k = key::coarsen(key::key_at(chunk.id, i), chunk.schema, schema);
                    *buckets[chunk.sign].entry(k).or_default() += c;
                }
            }
        }
        while buckets[0].len() + buckets[1].len() > self.inner().config.max_buckets()
            && schema > MIN_SCHEMA
        {
            for side in &mut buckets {
                *side = side.iter().fold(BTreeMap::new(), |mut merged, (&k, &c)| {
                    *merged
                        .entry(key::coarsen(k, schema, schema - 1))
                        .or_default() += c;
                    merged
                });
            }
            schema -= 1;
        }
        if schema < generations.current().schema {
            generations.coarsen(schema);
            self.publish(&generations);
        }
        drop(generations);
        let zero_count = mode.read(&self.inner().cells, ZERO);
        let nan = mode.read(&self.inner().cells, NAN);
        sum += mode.read_f64(&self.inner().cells, SUM);
        let [positive, negative] = buckets.map(|side| side.into_iter().collect::<Vec<_>>());
        let count = positive
            .iter()
            .chain(&negative)
            .fold(zero_count.wrapping_add(nan), |acc, &(_, c)| {
                acc.wrapping_add(c)
            });
        NativeBuckets {
            schema,
            zero_threshold: self.inner().config.zero_threshold(),
            zero_count,
            positive,
            negative,
            count,
            sum,
            exemplar: lock(&self.inner().exemplar).clone(),
        }
    }
}

impl Default for NativeHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for NativeHistogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NativeHistogram")
            .field("value", &self.get().native)
            .finish()
    }
}

impl Observe for NativeHistogram {
    fn observe(&self, v: f64) {
        NativeHistogram::observe(self, v);
    }
}

impl sealed::Sealed for NativeHistogram {}

impl Metric for NativeHistogram {
    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }

    fn collect(&self, out: &mut SeriesWriter<'_>) {
        Self::collect_one(&self.run, &self.inner().config, out);
    }
}

impl Storage for NativeHistogram {
    type Config = NativeHistogramConfig;
    const KIND: Kind = Kind::Unsharded;
    const TYPE: MetricType = MetricType::Histogram;

    fn cells(_: &NativeHistogramConfig) -> usize {
        1
    }

    /// The histogram attached to `run`, made at the run's first use. The run's cell holds the
    /// state's address once it is attached, so that a family's lookup loads it instead of
    /// taking the attachment table's lock and a reference count (71.7 ns against the classic
    /// histogram's 23.4 ns per `get(..).observe` with the lock and the count;
    /// `benches/README.md`).
    #[inline]
    fn from_run(run: CellRun, config: &NativeHistogramConfig) -> Self {
        // Acquire, paired with the release below: the state is made before its address is seen.
        let address = run.unsharded_cell(0).load(Ordering::Acquire);
        let inner = match address {
            0 => attach(&run, config),
            _ => std::ptr::with_exposed_provenance_mut::<Inner>(address as usize),
        };
        NativeHistogram {
            inner: NonNull::new(inner).expect("an attached state has an address"),
            run,
        }
    }

    fn run(&self) -> &CellRun {
        &self.run
    }

    fn shape(_: &NativeHistogramConfig) -> Shape {
        Shape::word(ValueKind::NativeHistogram)
    }

    /// A snapshot of the series beside the words (a native histogram has as many buckets as it
    /// has), the word its index.
    fn read(run: &CellRun, config: &NativeHistogramConfig, sink: &mut WordSink<'_>) {
        let histogram = Self::from_run(run.clone(), config);
        let snapshot = histogram.snapshot(sink.mode.reborrow());
        sink.push_native(snapshot);
        sink.end_series(run);
    }
}

/// Attaches a new state to `run` (or finds the one another thread attached first) and keeps its
/// address in the run's cell.
#[cold]
fn attach(run: &CellRun, config: &NativeHistogramConfig) -> *mut Inner {
    let attached = run.attachment(|| Inner::new(config));
    let address = std::sync::Arc::as_ptr(&attached).cast_mut();
    run.unsharded_cell(0)
        .store(address.expose_provenance() as u64, Ordering::Release);
    address
}

impl ChildMetric for NativeHistogram {}

crate::family::in_place!(NativeHistogram {
    /// Records an observation in the child for `labels`.
    fn observe(v: f64) => observe;
});

#[cfg(all(test, not(loom)))]
mod tests;
