//! Guards that measure a scope: the timer behind `start_timer` (and, with the macros,
//! `#[timed]`).

use std::sync::OnceLock;
use std::time::Duration;

/// The process's clock, calibrated once.
fn clock() -> &'static quanta::Clock {
    static CLOCK: OnceLock<quanta::Clock> = OnceLock::new();
    CLOCK.get_or_init(quanta::Clock::new)
}

/// A raw reading of the clock, to start timing.
#[inline]
pub(crate) fn now_raw() -> u64 {
    clock().raw()
}

/// The nanoseconds since `start` (a [`now_raw`] reading).
#[inline]
fn nanos_since(start: u64) -> u64 {
    let clock = clock();
    clock.delta_as_nanos(start, clock.raw())
}

/// The seconds since `start` (a [`now_raw`] reading), converted with a multiplication (a
/// division, or a `Duration`'s conversion, cost ~4 ns more per timer here).
#[inline]
pub(crate) fn seconds_since(start: u64) -> f64 {
    nanos_since(start) as f64 * 1e-9
}

/// A metric that records observations: [`Histogram`](crate::Histogram),
/// [`Summary`](crate::Summary), [`Statistics`](crate::Statistics), and references and family
/// children of them.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not record observations: #[timed] and timers need a Histogram, Summary or Statistics",
    label = "not a histogram, summary or statistics metric"
)]
///
/// # Examples
///
/// ```
/// use coremeter::{Observe, Statistics, Summary, Timer};
///
/// fn record(target: &impl Observe, seconds: f64) {
///     target.observe(seconds);
/// }
/// let (s, st) = (Summary::new(), Statistics::new());
/// record(&s, 0.25);
/// record(&st, 0.25);
/// drop(Timer::new(&st));
/// assert_eq!(s.get().count, 1);
/// assert_eq!(st.get().count, 2);
/// ```
pub trait Observe {
    /// Records one observation.
    fn observe(&self, v: f64);
}

impl<T: Observe + ?Sized> Observe for &T {
    fn observe(&self, v: f64) {
        (**self).observe(v);
    }
}

impl<T: Observe, F: FnOnce() -> T> Observe for std::sync::LazyLock<T, F> {
    fn observe(&self, v: f64) {
        (**self).observe(v);
    }
}

impl<M: Observe> Observe for crate::Child<'_, M> {
    fn observe(&self, v: f64) {
        (**self).observe(v);
    }
}

/// Observes the seconds since it was started into its target when dropped, including on early
/// return and unwinding, unless [stopped](Self::stop) or [discarded](Self::discard) first.
///
/// The clock is [`quanta`]'s: the CPU's time-stamp counter, calibrated against the OS's
/// monotonic clock, when the TSC is invariant; the OS clock otherwise (the first timer of the
/// process calibrates it). On the machine of `benches/README.md`, reading it twice costs 24 ns
/// against 71 ns for two `std::time::Instant::now()`, and a whole timer into a histogram 51 ns
/// against 83 ns.
///
/// # Examples
///
/// ```
/// use coremeter::{Histogram, Timer};
///
/// let h = Histogram::new();
/// {
///     let _t = h.start_timer();
/// }
/// let owned = Timer::new(h.clone()); // a timer that owns its target
/// let elapsed = owned.stop();
/// assert_eq!(h.get().value().count(), 2);
/// assert!(elapsed.as_secs_f64() >= 0.0);
/// ```
#[must_use = "the timer observes when dropped; dropping it at once measures nothing"]
#[derive(Debug)]
pub struct Timer<O: Observe> {
    target: Option<O>,
    /// Raw clock reading (TSC ticks, or nanoseconds of the OS clock).
    start: u64,
}

impl<O: Observe> Timer<O> {
    /// Starts timing now, for `target`.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Histogram, Timer};
    ///
    /// let h = Histogram::new();
    /// let timer = Timer::new(h.clone()); // owns its target: can be sent or stored
    /// drop(timer);
    /// assert_eq!(h.get().value().count(), 1);
    /// ```
    pub fn new(target: O) -> Self {
        Timer {
            target: Some(target),
            start: now_raw(),
        }
    }

    /// Observes the elapsed time now and returns it.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::Histogram::new();
    /// let elapsed = h.start_timer().stop();
    /// assert_eq!(h.get().value().sum(), elapsed.as_secs_f64());
    /// ```
    pub fn stop(mut self) -> Duration {
        let elapsed = self.elapsed();
        if let Some(target) = self.target.take() {
            target.observe(elapsed.as_secs_f64());
        }
        elapsed
    }

    fn elapsed(&self) -> Duration {
        Duration::from_nanos(nanos_since(self.start))
    }

    /// Stops the timer without observing anything.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::Histogram::new();
    /// h.start_timer().discard();
    /// assert_eq!(h.get().value().count(), 0);
    /// ```
    pub fn discard(mut self) {
        self.target = None;
    }
}

impl<O: Observe> Drop for Timer<O> {
    #[inline]
    fn drop(&mut self) {
        if let Some(target) = &self.target {
            target.observe(seconds_since(self.start));
        }
    }
}
