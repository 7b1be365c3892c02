//! What `#[count_exceptions]` builds on: a counter that can [`CountFailure`]s, and the
//! [`FailureGuard`] that counts a panic or a failed [`Outcome`].

use crate::{Counter, FloatCounter};

/// A counter that counts failures.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot count failures: #[count_exceptions] needs a Counter or FloatCounter",
    label = "not a counter"
)]
///
/// # Examples
///
/// ```
/// use coremeter::{CountFailure, Counter};
///
/// let failures = Counter::new();
/// failures.count();
/// assert_eq!(failures.get(), 1);
/// ```
pub trait CountFailure {
    /// Adds 1.
    fn count(&self);
}

impl CountFailure for Counter {
    fn count(&self) {
        self.inc();
    }
}

impl CountFailure for FloatCounter {
    fn count(&self) {
        self.inc();
    }
}

impl<T: CountFailure + ?Sized> CountFailure for &T {
    fn count(&self) {
        (**self).count();
    }
}

impl<T: CountFailure, F: FnOnce() -> T> CountFailure for std::sync::LazyLock<T, F> {
    fn count(&self) {
        (**self).count();
    }
}

impl<T: CountFailure> CountFailure for crate::Child<'_, T> {
    fn count(&self) {
        (**self).count();
    }
}

/// Counts a failure of the scope it guards, as `#[count_exceptions]` does:
///
/// - a panic: the guard is dropped while the thread unwinds, and counts 1 (unless made with
///   `on_panic = false`);
/// - an error: [`check`](Self::check) looks at the scope's result and counts 1 for an `Err`
///   (unless made with `on_err = false`);
/// - anything else, including a future dropped before it completes (cancelled), counts nothing.
///
/// Each failure counts exactly once: a panic while a result is checked is not possible, and a
/// checked result disarms the panic count.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, FailureGuard};
///
/// let failures = Counter::new();
/// let parse = |s: &str| {
///     let guard = FailureGuard::new(&failures, true, true);
///     guard.check(s.parse::<u32>())
/// };
/// assert!(parse("12").is_ok());
/// assert!(parse("x").is_err());
/// assert!(std::panic::catch_unwind(|| {
///     let _guard = FailureGuard::new(&failures, true, true);
///     panic!("boom");
/// }).is_err());
/// assert_eq!(failures.get(), 2);
/// ```
#[must_use = "a failure is counted when the guard is dropped during a panic, or by check()"]
#[derive(Debug)]
pub struct FailureGuard<T> {
    counter: T,
    /// `T`'s [`CountFailure::count`] (the struct holds no bound, so that a counter of the wrong
    /// type is one error, at `new`).
    count: fn(&T),
    on_panic: bool,
    on_err: bool,
    armed: bool,
}

impl<T: CountFailure> FailureGuard<T> {
    /// A guard counting into `counter`: panics if `on_panic`, `Err` results if `on_err`.
    ///
    /// # Examples
    ///
    /// ```
    /// let errors = coremeter::Counter::new();
    /// let guard = coremeter::FailureGuard::new(&errors, true, true);
    /// drop(guard); // no panic, nothing checked: nothing counted
    /// assert_eq!(errors.get(), 0);
    /// ```
    pub fn new(counter: T, on_panic: bool, on_err: bool) -> Self {
        FailureGuard {
            counter,
            count: T::count,
            on_panic,
            on_err,
            armed: true,
        }
    }

    /// Counts `result` if it is a failure (an `Err`, when counting errors), then returns it;
    /// the guard is spent.
    ///
    /// # Examples
    ///
    /// ```
    /// let errors = coremeter::Counter::new();
    /// let guard = coremeter::FailureGuard::new(&errors, true, true);
    /// let result: Result<(), &str> = guard.check(Err("no"));
    /// assert!(result.is_err());
    /// assert_eq!(errors.get(), 1);
    /// ```
    #[inline]
    pub fn check<R: Outcome>(mut self, result: R) -> R {
        self.armed = false;
        if self.on_err && result.is_failure() {
            count_failure(&self.counter);
        }
        result
    }
}

/// Counts one failure, out of line: the success path of a guarded function stays as small as
/// the function itself (inlined, a `LazyLock` target's first-use code made the function's frame
/// larger: 11.8 ns against 9.9 ns per `Ok` call in `benches/benches/attributes.rs`).
#[cold]
#[inline(never)]
fn count_failure<T: CountFailure>(counter: &T) {
    counter.count();
}

impl<T> Drop for FailureGuard<T> {
    fn drop(&mut self) {
        if self.armed && self.on_panic && std::thread::panicking() {
            (self.count)(&self.counter);
        }
    }
}

/// The result of a scope guarded by [`FailureGuard`]: `Result` is a failure when it is `Err`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `Result`: #[count_exceptions] counts `Err` returns, and #[timed] into a Family<CallOutcome, _> labels calls by their `Result`",
    label = "this function does not return a `Result`",
    note = "#[count_exceptions(PATH, on = \"panic\")] counts panics only; #[timed] into a plain histogram needs no `Result`"
)]
///
/// # Examples
///
/// ```
/// use coremeter::Outcome;
///
/// assert!(Err::<(), &str>("no").is_failure());
/// assert!(!Ok::<u8, ()>(1).is_failure());
/// ```
pub trait Outcome {
    /// Whether this result is a failure.
    fn is_failure(&self) -> bool;
}

impl<T, E> Outcome for Result<T, E> {
    fn is_failure(&self) -> bool {
        self.is_err()
    }
}
