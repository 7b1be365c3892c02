//! Counters and gauges whose value is computed by a callback at scrape time (Python's
//! `Gauge.set_function`).

use std::fmt;

use crate::metric::{Metric, sealed};
use crate::read::{CounterValue, MetricType, Number, SeriesWriter, Value};

/// A gauge whose value is computed by a callback each time it is read, for values owned by
/// something else: a queue's length, a pool's idle connections, a cache's size.
///
/// The callback runs on the scraping thread, once per read. It must be quick and must not
/// register metrics or scrape a registry itself.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use coremeter::{FnGauge, Number};
///
/// let queue = Arc::new(Mutex::new(vec![1, 2, 3]));
/// let q = Arc::clone(&queue);
/// let queue_length = FnGauge::new(move || q.lock().unwrap().len());
/// assert_eq!(queue_length.get(), Number::UInt(3));
/// queue.lock().unwrap().pop();
/// assert_eq!(queue_length.get(), Number::UInt(2));
/// ```
pub struct FnGauge<F> {
    f: F,
}

impl<F, T> FnGauge<F>
where
    F: Fn() -> T + Send + Sync + 'static,
    T: Into<Number>,
{
    /// A gauge that reads `f`.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{FnGauge, Number};
    ///
    /// let g = FnGauge::new(|| 42i64);
    /// assert_eq!(g.get(), Number::Int(42));
    /// ```
    pub fn new(f: F) -> Self {
        FnGauge { f }
    }

    /// Calls the callback.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{FnGauge, Number};
    ///
    /// let g = FnGauge::new(|| 0.5f64);
    /// assert_eq!(g.get(), Number::Float(0.5));
    /// ```
    pub fn get(&self) -> Number {
        (self.f)().into()
    }
}

impl<F> fmt::Debug for FnGauge<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnGauge").finish_non_exhaustive()
    }
}

impl<F> sealed::Sealed for FnGauge<F> {}

impl<F, T> Metric for FnGauge<F>
where
    F: Fn() -> T + Send + Sync + 'static,
    T: Into<Number>,
{
    fn metric_type(&self) -> MetricType {
        MetricType::Gauge
    }

    fn collect(&self, out: &mut SeriesWriter<'_>) {
        out.series(&Value::Gauge(self.get()));
    }
}

/// A counter whose value is computed by a callback each time it is read, for monotonic totals
/// kept by something else (bytes a socket library has sent, a cache's lifetime hits).
///
/// The callback must return a value that never decreases. A reset-on-read scrape
/// (`/metricsandreset`) cannot reset a value this library does not own: it reads it like a normal
/// scrape. Otherwise as [`FnGauge`].
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use coremeter::{FnCounter, Number};
///
/// let sent = Arc::new(AtomicU64::new(0));
/// let s = Arc::clone(&sent);
/// let bytes_sent = FnCounter::new(move || s.load(Ordering::Relaxed));
/// sent.fetch_add(1500, Ordering::Relaxed);
/// assert_eq!(bytes_sent.get(), Number::UInt(1500));
/// ```
pub struct FnCounter<F> {
    f: F,
}

impl<F, T> FnCounter<F>
where
    F: Fn() -> T + Send + Sync + 'static,
    T: Into<Number>,
{
    /// A counter that reads `f`.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{FnCounter, Number};
    ///
    /// let c = FnCounter::new(|| 7u64);
    /// assert_eq!(c.get(), Number::UInt(7));
    /// ```
    pub fn new(f: F) -> Self {
        FnCounter { f }
    }

    /// Calls the callback.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{FnCounter, Number};
    ///
    /// let c = FnCounter::new(|| 7u64);
    /// assert_eq!(c.get().as_f64(), 7.0);
    /// ```
    pub fn get(&self) -> Number {
        (self.f)().into()
    }
}

impl<F> fmt::Debug for FnCounter<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnCounter").finish_non_exhaustive()
    }
}

impl<F> sealed::Sealed for FnCounter<F> {}

impl<F, T> Metric for FnCounter<F>
where
    F: Fn() -> T + Send + Sync + 'static,
    T: Into<Number>,
{
    fn metric_type(&self) -> MetricType {
        MetricType::Counter
    }

    fn collect(&self, out: &mut SeriesWriter<'_>) {
        out.series(&Value::Counter(CounterValue {
            value: self.get(),
            exemplar: None,
        }));
    }
}
