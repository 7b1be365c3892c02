//! What `#[in_progress]` builds on: a gauge that [`Track`]s what is in progress, and the
//! [`InProgress`] guard that adds 1 while it lives.

use crate::{FloatGauge, Gauge};

/// A gauge that counts what is in progress: [`InProgress`] adds 1 when made and takes it back
/// when dropped.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot count what is in progress: #[in_progress] needs a Gauge or FloatGauge",
    label = "not a gauge"
)]
///
/// # Examples
///
/// ```
/// use coremeter::{FloatGauge, InProgress, Track};
///
/// let g = FloatGauge::new();
/// g.enter();
/// assert_eq!(g.get(), 1.0);
/// g.exit();
/// let _guard = InProgress::new(&g);
/// assert_eq!(g.get(), 1.0);
/// ```
pub trait Track {
    /// Adds 1.
    fn enter(&self);
    /// Takes 1 back.
    fn exit(&self);
}

impl Track for Gauge {
    fn enter(&self) {
        self.inc();
    }
    fn exit(&self) {
        self.dec();
    }
}

impl Track for FloatGauge {
    fn enter(&self) {
        self.inc();
    }
    fn exit(&self) {
        self.dec();
    }
}

impl<T: Track + ?Sized> Track for &T {
    fn enter(&self) {
        (**self).enter();
    }
    fn exit(&self) {
        (**self).exit();
    }
}

impl<T: Track, F: FnOnce() -> T> Track for std::sync::LazyLock<T, F> {
    fn enter(&self) {
        (**self).enter();
    }
    fn exit(&self) {
        (**self).exit();
    }
}

impl<T: Track> Track for crate::Child<'_, T> {
    fn enter(&self) {
        (**self).enter();
    }
    fn exit(&self) {
        (**self).exit();
    }
}

/// Adds 1 to a gauge now and takes it back when dropped: on return, `?`, unwinding, and (in an
/// `async fn`) when the future is dropped before it completes. What `#[in_progress]` uses.
///
/// # Examples
///
/// ```
/// use coremeter::{Gauge, InProgress};
///
/// let in_flight = Gauge::new();
/// {
///     let _guard = InProgress::new(&in_flight);
///     assert_eq!(in_flight.get(), 1);
/// }
/// assert_eq!(in_flight.get(), 0);
/// ```
#[must_use = "the gauge goes back down when the guard is dropped"]
#[derive(Debug)]
pub struct InProgress<T: Track> {
    gauge: T,
}

impl<T: Track> InProgress<T> {
    /// Adds 1 to `gauge` until the guard is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = coremeter::Gauge::new();
    /// let guard = coremeter::InProgress::new(&g);
    /// assert_eq!(g.get(), 1);
    /// drop(guard);
    /// assert_eq!(g.get(), 0);
    /// ```
    pub fn new(gauge: T) -> Self {
        gauge.enter();
        InProgress { gauge }
    }
}

impl<T: Track> Drop for InProgress<T> {
    fn drop(&mut self) {
        self.gauge.exit();
    }
}
