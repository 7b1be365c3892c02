//! Guards that measure a scope: the timer behind `start_timer` (and, with the macros,
//! `#[timed]`).

use std::time::{Duration, Instant};

/// A metric that records observations: [`Histogram`](crate::Histogram),
/// [`Summary`](crate::Summary), [`Statistics`](crate::Statistics), and references and family
/// children of them.
pub trait Observe {
    /// Records one observation.
    fn observe(&self, v: f64);
}

impl<T: Observe + ?Sized> Observe for &T {
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
/// The clock is [`Instant`] (monotonic).
///
/// # Examples
///
/// ```
/// use metrics_core::{Histogram, Timer};
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
    start: Instant,
}

impl<O: Observe> Timer<O> {
    /// Starts timing now, for `target`.
    pub fn new(target: O) -> Self {
        Timer {
            target: Some(target),
            start: Instant::now(),
        }
    }

    /// Observes the elapsed time now and returns it.
    pub fn stop(mut self) -> Duration {
        let elapsed = self.start.elapsed();
        if let Some(target) = self.target.take() {
            target.observe(elapsed.as_secs_f64());
        }
        elapsed
    }

    /// Stops the timer without observing anything.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = metrics_core::Histogram::new();
    /// h.start_timer().discard();
    /// assert_eq!(h.get().value().count(), 0);
    /// ```
    pub fn discard(mut self) {
        self.target = None;
    }
}

impl<O: Observe> Drop for Timer<O> {
    fn drop(&mut self) {
        if let Some(target) = &self.target {
            target.observe(self.start.elapsed().as_secs_f64());
        }
    }
}
