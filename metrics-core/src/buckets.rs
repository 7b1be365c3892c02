//! Histogram bucket bounds: the defaults, generators and validation.
//!
//! # Examples
//!
//! ```
//! use coremeter::{Histogram, buckets};
//!
//! let h = Histogram::with_buckets(&buckets::exponential(0.001, 10.0, 4)?)?;
//! assert_eq!(h.bounds(), [0.001, 0.01, 0.1, 1.0]);
//! assert_eq!(buckets::linear(0.0, 0.5, 3)?, [0.0, 0.5, 1.0]);
//! # Ok::<(), coremeter::BucketError>(())
//! ```

use std::fmt;

use std::collections::HashMap;

use crate::slab::CELLS_PER_PAGE;
use crate::sync::unmodelled::{Mutex, OnceLock};

/// Checked bucket bounds, shared by the children of a histogram family.
///
/// Bounds are interned: each distinct list is stored once for the life of the process, so a
/// histogram's handle holds a plain reference to them and copying it costs nothing. Memory grows
/// with the number of distinct bucket lists a program creates, not with the number of
/// histograms.
///
/// # Examples
///
/// ```
/// use coremeter::Buckets;
///
/// let b = Buckets::exponential(0.001, 10.0, 4)?;
/// assert_eq!(b.bounds(), [0.001, 0.01, 0.1, 1.0]);
/// assert_eq!(Buckets::default().bounds(), coremeter::buckets::DEFAULT);
/// assert!(Buckets::new(&[2.0, 1.0]).is_err());
/// # Ok::<(), coremeter::BucketError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Buckets(&'static [f64]);

impl Buckets {
    /// Checks `bounds` (see [`check`]).
    ///
    /// # Errors
    ///
    /// As [`check`].
    ///
    /// # Examples
    ///
    /// ```
    /// let b = coremeter::Buckets::new(&[0.1, 1.0])?;
    /// assert_eq!(b.bounds(), [0.1, 1.0]);
    /// # Ok::<(), coremeter::BucketError>(())
    /// ```
    pub fn new(bounds: &[f64]) -> Result<Self, BucketError> {
        check(bounds).map(|b| Buckets(intern(b)))
    }

    /// [`linear`] bounds.
    ///
    /// # Errors
    ///
    /// As [`linear`].
    ///
    /// # Examples
    ///
    /// ```
    /// let b = coremeter::Buckets::linear(10.0, 5.0, 3)?;
    /// assert_eq!(b.bounds(), [10.0, 15.0, 20.0]);
    /// # Ok::<(), coremeter::BucketError>(())
    /// ```
    pub fn linear(start: f64, width: f64, count: usize) -> Result<Self, BucketError> {
        Self::new(&linear(start, width, count)?)
    }

    /// [`exponential`] bounds.
    ///
    /// # Errors
    ///
    /// As [`exponential`].
    ///
    /// # Examples
    ///
    /// ```
    /// let b = coremeter::Buckets::exponential(1.0, 10.0, 3)?;
    /// assert_eq!(b.bounds(), [1.0, 10.0, 100.0]);
    /// # Ok::<(), coremeter::BucketError>(())
    /// ```
    pub fn exponential(start: f64, factor: f64, count: usize) -> Result<Self, BucketError> {
        Self::new(&exponential(start, factor, count)?)
    }

    /// The finite upper bounds.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(coremeter::Buckets::default().bounds(), coremeter::buckets::DEFAULT);
    /// ```
    pub fn bounds(&self) -> &'static [f64] {
        self.0
    }

    /// The buckets whose bounds are `bounds`, as [`bounds`](Self::bounds) gave them.
    pub(crate) fn interned(bounds: &'static [f64]) -> Self {
        Buckets(bounds)
    }
}

impl Default for Buckets {
    /// The [default bounds](DEFAULT).
    fn default() -> Self {
        Buckets(&DEFAULT)
    }
}

/// The one stored copy of `bounds`, made on first sight of the list.
fn intern(bounds: &[f64]) -> &'static [f64] {
    if bounds == DEFAULT {
        return &DEFAULT;
    }
    type Lists = Mutex<HashMap<Box<[u64]>, &'static [f64]>>;
    static LISTS: OnceLock<Lists> = OnceLock::new();
    let key: Box<[u64]> = bounds.iter().map(|b| b.to_bits()).collect();
    let mut lists = LISTS
        .get_or_init(Lists::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    lists.entry(key).or_insert_with(|| Box::leak(bounds.into()))
}

/// The default bounds, as Python's `prometheus_client` (tuned for request latencies in seconds,
/// 5 ms to 10 s); `+Inf` is implied.
///
/// # Examples
///
/// ```
/// assert_eq!(coremeter::Histogram::new().bounds(), coremeter::buckets::DEFAULT);
/// ```
pub const DEFAULT: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// The most finite bounds a histogram can have: its buckets, the implied `+Inf` bucket and its
/// sum must fit one shard page of the slab.
///
/// # Examples
///
/// ```
/// let too_many: Vec<f64> = (0..=coremeter::buckets::MAX_BOUNDS).map(|i| i as f64).collect();
/// assert!(coremeter::Histogram::with_buckets(&too_many).is_err());
/// ```
pub const MAX_BOUNDS: usize = CELLS_PER_PAGE - 2;

/// `count` bounds `start, start + width, start + 2 * width, ...`.
///
/// # Errors
///
/// [`BucketError::InvalidParameter`] if `count` is 0, `width` is not positive, or a parameter
/// or result is not finite.
///
/// # Examples
///
/// ```
/// use coremeter::buckets;
///
/// assert_eq!(buckets::linear(10.0, 5.0, 3)?, [10.0, 15.0, 20.0]);
/// assert!(buckets::linear(1.0, 0.0, 3).is_err());
/// # Ok::<(), coremeter::BucketError>(())
/// ```
pub fn linear(start: f64, width: f64, count: usize) -> Result<Vec<f64>, BucketError> {
    if count == 0 {
        return Err(BucketError::InvalidParameter("count must be at least 1"));
    }
    if !(width > 0.0 && width.is_finite()) {
        return Err(BucketError::InvalidParameter(
            "width must be positive and finite",
        ));
    }
    if !start.is_finite() {
        return Err(BucketError::InvalidParameter("start must be finite"));
    }
    let bounds: Vec<f64> = (0..count).map(|i| start + width * i as f64).collect();
    check(&bounds)?;
    Ok(bounds)
}

/// `count` bounds `start, start * factor, start * factor^2, ...`.
///
/// # Errors
///
/// [`BucketError::InvalidParameter`] if `count` is 0, `start` is not positive, `factor` is not
/// above 1, or a parameter or result is not finite.
///
/// # Examples
///
/// ```
/// use coremeter::buckets;
///
/// assert_eq!(buckets::exponential(0.001, 10.0, 3)?, [0.001, 0.01, 0.1]);
/// assert!(buckets::exponential(0.0, 2.0, 3).is_err());
/// # Ok::<(), coremeter::BucketError>(())
/// ```
pub fn exponential(start: f64, factor: f64, count: usize) -> Result<Vec<f64>, BucketError> {
    if count == 0 {
        return Err(BucketError::InvalidParameter("count must be at least 1"));
    }
    if !(start > 0.0 && start.is_finite()) {
        return Err(BucketError::InvalidParameter(
            "start must be positive and finite",
        ));
    }
    if !(factor > 1.0 && factor.is_finite()) {
        return Err(BucketError::InvalidParameter(
            "factor must be greater than 1 and finite",
        ));
    }
    // Multiply from `start` each time, as Go's and Python's clients do, so the bounds read the
    // same as theirs.
    let bounds: Vec<f64> = (0..count).map(|i| start * factor.powi(i as i32)).collect();
    check(&bounds)?;
    Ok(bounds)
}

/// Checks bounds for a histogram and returns them without a trailing `+Inf` (which is implied and
/// may be given).
///
/// # Errors
///
/// See [`BucketError`]: no finite bound, a bound that is NaN or infinite (other than a trailing
/// `+Inf`), bounds that are not strictly increasing, or more than [`MAX_BOUNDS`].
///
/// # Examples
///
/// ```
/// use coremeter::{BucketError, buckets};
///
/// assert_eq!(buckets::check(&[0.1, 1.0, f64::INFINITY])?, [0.1, 1.0]);
/// assert_eq!(
///     buckets::check(&[1.0, 1.0]),
///     Err(BucketError::NotIncreasing { index: 1, previous: 1.0, value: 1.0 }),
/// );
/// # Ok::<(), BucketError>(())
/// ```
pub fn check(bounds: &[f64]) -> Result<&[f64], BucketError> {
    let finite = match bounds {
        [rest @ .., last] if *last == f64::INFINITY => rest,
        all => all,
    };
    if finite.is_empty() {
        return Err(BucketError::Empty);
    }
    if finite.len() > MAX_BOUNDS {
        return Err(BucketError::TooMany {
            count: finite.len(),
            max: MAX_BOUNDS,
        });
    }
    for (index, &value) in finite.iter().enumerate() {
        if !value.is_finite() {
            return Err(BucketError::NotFinite { index, value });
        }
        if index > 0 && value <= finite[index - 1] {
            return Err(BucketError::NotIncreasing {
                index,
                previous: finite[index - 1],
                value,
            });
        }
    }
    Ok(finite)
}

/// Why a list of bucket bounds was refused.
///
/// # Examples
///
/// ```
/// use coremeter::{BucketError, Histogram};
///
/// assert!(matches!(Histogram::with_buckets(&[]), Err(BucketError::Empty)));
/// assert!(matches!(Histogram::with_buckets(&[1.0, f64::NAN]), Err(BucketError::NotFinite { .. })));
/// assert!(matches!(Histogram::with_buckets(&[2.0, 1.0]), Err(BucketError::NotIncreasing { .. })));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum BucketError {
    /// No finite bound was given.
    Empty,
    /// A bound is NaN or infinite (only a last `+Inf` is allowed, and it is implied anyway).
    NotFinite {
        /// Its position.
        index: usize,
        /// The bound.
        value: f64,
    },
    /// A bound is not greater than the one before it.
    NotIncreasing {
        /// Its position.
        index: usize,
        /// The bound before it.
        previous: f64,
        /// The bound.
        value: f64,
    },
    /// More bounds than a histogram can hold.
    TooMany {
        /// How many were given.
        count: usize,
        /// The limit, [`MAX_BOUNDS`].
        max: usize,
    },
    /// A parameter of [`linear`] or [`exponential`] is out of range.
    InvalidParameter(&'static str),
}

impl fmt::Display for BucketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BucketError::Empty => {
                f.write_str("a histogram needs at least one finite bucket bound (+Inf is implied)")
            }
            BucketError::NotFinite { index, value } => write!(
                f,
                "bucket bound {index} is {value}: bounds must be finite (+Inf is implied)"
            ),
            BucketError::NotIncreasing {
                index,
                previous,
                value,
            } => write!(
                f,
                "bucket bounds must be strictly increasing, but bound {index} ({value}) is not \
                 greater than bound {} ({previous})",
                index - 1
            ),
            BucketError::TooMany { count, max } => {
                write!(
                    f,
                    "{count} bucket bounds given, at most {max} are supported"
                )
            }
            BucketError::InvalidParameter(why) => write!(f, "invalid bucket parameters: {why}"),
        }
    }
}

impl std::error::Error for BucketError {}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn default_buckets_are_valid() {
        assert_eq!(check(&DEFAULT), Ok(&DEFAULT[..]));
    }

    #[test]
    fn bounds_are_interned() {
        let a = Buckets::new(&[1.0, 2.5]).unwrap();
        let b = Buckets::new(&[1.0, 2.5, f64::INFINITY]).unwrap();
        assert!(std::ptr::eq(a.bounds(), b.bounds()));
        assert!(!std::ptr::eq(
            a.bounds(),
            Buckets::new(&[1.0, 2.0]).unwrap().bounds()
        ));
    }

    #[test]
    fn errors() {
        assert_eq!(check(&[]), Err(BucketError::Empty));
        assert_eq!(check(&[f64::INFINITY]), Err(BucketError::Empty));
        assert_eq!(
            check(&[1.0, f64::NAN])
                .map_err(|e| matches!(e, BucketError::NotFinite { index: 1, .. })),
            Err(true)
        );
        assert_eq!(
            check(&[f64::NEG_INFINITY, 1.0])
                .map_err(|e| matches!(e, BucketError::NotFinite { index: 0, .. })),
            Err(true)
        );
        assert_eq!(
            check(&[2.0, 1.0]),
            Err(BucketError::NotIncreasing {
                index: 1,
                previous: 2.0,
                value: 1.0
            })
        );
        let many: Vec<f64> = (0..=MAX_BOUNDS).map(|i| i as f64).collect();
        assert_eq!(
            check(&many),
            Err(BucketError::TooMany {
                count: MAX_BOUNDS + 1,
                max: MAX_BOUNDS
            })
        );
        assert!(check(&many[..MAX_BOUNDS]).is_ok());
        assert!(linear(0.0, 1.0, 0).is_err());
        assert!(linear(0.0, f64::NAN, 2).is_err());
        assert!(exponential(1.0, 1.0, 2).is_err());
        assert!(exponential(-1.0, 2.0, 2).is_err());
        // Overflows to +Inf: refused rather than silently truncated.
        assert!(matches!(
            exponential(1e300, 1e10, 3),
            Err(BucketError::NotFinite { index: 1, .. })
        ));
    }
}
