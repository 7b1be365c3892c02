//! [`NativeBuckets`]: a native histogram's exponential buckets at one read;
//! [`NativeHistogramSnapshot`]: with its classic buckets, count and sum.

use crate::buckets::Buckets;
use crate::exemplar::Exemplar;
use crate::read::HistogramValue;

/// A [`NativeHistogram`](crate::NativeHistogram)'s buckets, count and sum at one read, as the
/// protobuf exposition carries them: bucket `k` of schema `s` counts values in
/// `(2^((k-1) * 2^-s), 2^(k * 2^-s)]` (negative buckets the same magnitudes below 0), and the zero
/// bucket those within `zero_threshold` of 0.
///
/// [`count`](Self::count) is the zero bucket, every bucket and the NaN observations, each read
/// once: it never disagrees with the buckets.
///
/// # Examples
///
/// ```
/// let h = coremeter::NativeHistogram::new(); // schema 3: 8 buckets per power of 2
/// h.observe(1.0);
/// h.observe(3.0);
/// h.observe(0.0);
/// let snapshot = h.get();
/// let native = snapshot.value().native().unwrap();
/// assert_eq!(native.schema(), 3);
/// assert_eq!(native.positive(), [(0, 1), (13, 1)]); // 2^(12/8) < 3 <= 2^(13/8)
/// assert_eq!(native.zero_count(), 1);
/// assert_eq!(native.count(), 3);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct NativeBuckets {
    pub(crate) schema: i32,
    pub(crate) zero_threshold: f64,
    pub(crate) zero_count: u64,
    pub(crate) positive: Vec<(i32, u64)>,
    pub(crate) negative: Vec<(i32, u64)>,
    pub(crate) count: u64,
    pub(crate) sum: f64,
    pub(crate) exemplar: Option<Exemplar>,
}

impl NativeBuckets {
    /// The schema: each power of 2 is split into `2^schema` buckets (-4 to 8).
    pub fn schema(&self) -> i32 {
        self.schema
    }

    /// Values whose magnitude is at most this are counted in the zero bucket.
    pub fn zero_threshold(&self) -> f64 {
        self.zero_threshold
    }

    /// Observations within the zero threshold of 0.
    pub fn zero_count(&self) -> u64 {
        self.zero_count
    }

    /// The positive buckets that hold observations, as `(index, count)` in increasing index.
    pub fn positive(&self) -> &[(i32, u64)] {
        &self.positive
    }

    /// The negative buckets that hold observations, as `(index, count)` in increasing index
    /// (increasing magnitude).
    pub fn negative(&self) -> &[(i32, u64)] {
        &self.negative
    }

    /// Every observation: the zero bucket, the buckets and NaN observations (which no bucket
    /// holds).
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The sum of every observation.
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// The latest exemplar recorded, if any.
    pub fn exemplar(&self) -> Option<&Exemplar> {
        self.exemplar.as_ref()
    }

    /// The upper bound of bucket `index` of this schema (its lower bound is that of
    /// `index - 1`).
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::NativeHistogram::new();
    /// h.observe(1.0);
    /// let native = h.get().value().native().cloned().unwrap();
    /// assert_eq!(native.upper_bound(0), 1.0);
    /// assert_eq!(native.upper_bound(8), 2.0);
    /// ```
    pub fn upper_bound(&self, index: i32) -> f64 {
        (f64::from(index) * (-f64::from(self.schema)).exp2()).exp2()
    }
}

/// A native histogram's buckets, count and sum at one read.
#[derive(Clone, Debug)]
pub struct NativeHistogramSnapshot {
    pub(crate) classic: Option<Buckets>,
    /// The classic buckets' counts, or the count alone (the `+Inf` bucket).
    pub(crate) counts: Vec<u64>,
    pub(crate) sum: f64,
    pub(crate) native: NativeBuckets,
}

impl NativeHistogramSnapshot {
    /// The read-side view: the classic buckets (or only `+Inf`), count and sum, and the native
    /// buckets in [`HistogramValue::native`].
    pub fn value(&self) -> HistogramValue<'_> {
        let bounds = self.classic.as_ref().map_or(&[][..], Buckets::bounds);
        HistogramValue::new(bounds, &self.counts, self.sum).with_native(&self.native)
    }
}
