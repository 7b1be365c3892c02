//! [`NativeHistogramBuilder`], [`NativeHistogramConfig`], [`NativeHistogramError`]: a native
//! histogram's settings and their checks.

use std::fmt;

use super::{MAX_SCHEMA, MIN_SCHEMA, NativeHistogram};
use crate::buckets::Buckets;

/// The settings of a [`NativeHistogram`], from [`NativeHistogram::builder`].
///
/// # Examples
///
/// ```
/// use coremeter::{Buckets, NativeHistogram};
///
/// let h = NativeHistogram::builder()
///     .schema(5)
///     .zero_threshold(1e-9)
///     .max_buckets(200)
///     .classic_buckets(Buckets::default())
///     .build()?;
/// h.observe(0.02);
/// assert_eq!(h.get().value().native().unwrap().schema(), 5);
/// # Ok::<(), coremeter::NativeHistogramError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct NativeHistogramBuilder {
    schema: i32,
    zero_threshold: f64,
    max_buckets: usize,
    classic: Option<Buckets>,
}

/// Checked settings of a [`NativeHistogram`] ([`NativeHistogramBuilder::config`]): what every
/// child of a `Family<L, NativeHistogram>` is made with.
///
/// # Examples
///
/// ```
/// use coremeter::{DynLabels, Family, NativeHistogram};
///
/// let config = NativeHistogram::builder().schema(5).config()?;
/// let by_route: Family<DynLabels, NativeHistogram> =
///     Family::with_label_names_and_config(&["route"], config)?;
/// by_route.labels(&["/a"])?.observe(0.02);
/// assert_eq!(by_route.labels(&["/a"])?.get().value().native().unwrap().schema(), 5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct NativeHistogramConfig(pub(super) NativeHistogramBuilder);

/// A [`NativeHistogramBuilder`] setting out of range.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum NativeHistogramError {
    /// The schema is not in -4..=8.
    Schema(i32),
    /// The zero threshold is negative, NaN or infinite.
    ZeroThreshold(f64),
    /// Fewer than 1 bucket allowed.
    MaxBuckets(usize),
}

impl fmt::Display for NativeHistogramError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NativeHistogramError::Schema(s) => write!(
                f,
                "native histogram schema {s} is outside {MIN_SCHEMA}..={MAX_SCHEMA}"
            ),
            NativeHistogramError::ZeroThreshold(t) => write!(
                f,
                "native histogram zero threshold {t} is not a finite number at or above 0"
            ),
            NativeHistogramError::MaxBuckets(n) => {
                write!(f, "a native histogram needs at least 1 bucket, not {n}")
            }
        }
    }
}

impl std::error::Error for NativeHistogramError {}

impl Default for NativeHistogramBuilder {
    fn default() -> Self {
        NativeHistogramBuilder {
            schema: 3,
            // client_golang's default: 2^-128.
            zero_threshold: 2f64.powi(-128),
            max_buckets: 160,
            classic: None,
        }
    }
}

impl NativeHistogramBuilder {
    /// The finest schema, -4..=8 (default 3: 8 buckets per power of 2, each about 9% wide):
    /// each power of 2 is split into `2^schema` buckets (for negative schemas, a bucket spans
    /// `2^-schema` powers of 2).
    pub fn schema(mut self, schema: i32) -> Self {
        self.schema = schema;
        self
    }

    /// Values whose magnitude is at most this go to the zero bucket (default `2^-128`).
    pub fn zero_threshold(mut self, threshold: f64) -> Self {
        self.zero_threshold = threshold;
        self
    }

    /// The number of buckets beyond which the histogram halves its resolution (default 160, as
    /// Prometheus' and client_golang's common setting); see [the bucket
    /// limit](NativeHistogram#the-bucket-limit).
    pub fn max_buckets(mut self, max: usize) -> Self {
        self.max_buckets = max;
        self
    }

    /// Classic buckets kept beside the native ones (every observation updates both), exposed in
    /// every format: the text formats carry them, the protobuf exposition both.
    pub fn classic_buckets(mut self, buckets: Buckets) -> Self {
        self.classic = Some(buckets);
        self
    }

    /// The checked settings, for a family of native histograms
    /// ([`Family::with_config`](crate::Family::with_config)).
    ///
    /// # Errors
    ///
    /// [`NativeHistogramError`] for a schema outside -4..=8, a zero threshold that is negative
    /// or not finite, or `max_buckets(0)`.
    pub fn config(self) -> Result<NativeHistogramConfig, NativeHistogramError> {
        if !(MIN_SCHEMA..=MAX_SCHEMA).contains(&self.schema) {
            return Err(NativeHistogramError::Schema(self.schema));
        }
        if !(self.zero_threshold.is_finite() && self.zero_threshold >= 0.0) {
            return Err(NativeHistogramError::ZeroThreshold(self.zero_threshold));
        }
        if self.max_buckets == 0 {
            return Err(NativeHistogramError::MaxBuckets(0));
        }
        Ok(NativeHistogramConfig(self))
    }

    /// The histogram.
    ///
    /// # Errors
    ///
    /// As [`config`](Self::config).
    pub fn build(self) -> Result<NativeHistogram, NativeHistogramError> {
        self.config().map(NativeHistogram::with_config)
    }
}

impl NativeHistogramConfig {
    /// The default settings with classic `buckets` beside.
    #[cfg(feature = "macros")]
    pub(crate) fn with_classic(buckets: Buckets) -> Self {
        NativeHistogramConfig(NativeHistogramBuilder::default().classic_buckets(buckets))
    }

    pub(super) fn schema(&self) -> i32 {
        self.0.schema
    }

    pub(super) fn zero_threshold(&self) -> f64 {
        self.0.zero_threshold
    }

    pub(super) fn max_buckets(&self) -> usize {
        self.0.max_buckets
    }

    pub(super) fn classic(&self) -> Option<Buckets> {
        self.0.classic
    }
}
