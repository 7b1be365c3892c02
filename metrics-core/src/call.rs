//! What `#[timed]` records about a call: its duration, into a metric that observes it or into a
//! family labelled by the call's outcome ([`CallOutcome`]), with an optional exemplar.

use std::sync::LazyLock;

use crate::exemplar::ExemplarError;
use crate::guard::{Observe, now_raw, seconds_since};
use crate::label::{LabelSet, LabelValue, LabelVisitor};
use crate::{Child, ChildMetric, Family, Histogram, NativeHistogram, Outcome};

/// How a call ended, as the label `outcome` of a `Family<CallOutcome, _>` that `#[timed]`
/// records into: `ok` (it returned `Ok`), `error` (it returned `Err`, or panicked), `cancelled`
/// (a future dropped before it completed). Its family is dense: all three series exist at 0
/// from the start.
///
/// # Examples
///
/// ```
/// use coremeter::{CallOutcome, Family, Histogram, Metrics, timed};
///
/// #[derive(Metrics)]
/// #[metrics(namespace = "store", static = STORE)]
/// pub struct Store {
///     /// Time to run a query, by outcome.
///     #[metric(unit = "seconds")]
///     query: Family<CallOutcome, Histogram>,
/// }
///
/// #[timed(STORE.query)]
/// fn query(sql: &str) -> Result<usize, String> {
///     if sql.is_empty() { Err("empty".into()) } else { Ok(sql.len()) }
/// }
///
/// query("SELECT 1").unwrap();
/// query("").unwrap_err();
/// assert_eq!(STORE.query.get(&CallOutcome::Ok).get().value().count(), 1);
/// assert_eq!(STORE.query.get(&CallOutcome::Error).get().value().count(), 1);
/// assert_eq!(STORE.query.get(&CallOutcome::Cancelled).get().value().count(), 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallOutcome {
    /// The call returned `Ok`.
    Ok,
    /// The call returned `Err`, or panicked.
    Error,
    /// The call's future was dropped before it completed.
    Cancelled,
}

impl LabelValue for CallOutcome {
    const VALUES: Option<&'static [&'static str]> = Some(&["ok", "error", "cancelled"]);

    #[inline]
    fn index(&self) -> usize {
        *self as usize
    }
}

impl LabelSet for CallOutcome {
    const NAMES: &'static [&'static str] = &["outcome"];
    const VALUES: &'static [Option<&'static [&'static str]>] = &[<Self as LabelValue>::VALUES];

    #[inline]
    fn visit<V: LabelVisitor>(&self, visitor: &mut V) {
        visitor.value(self);
    }
}

/// What `#[timed]` can record a call into: a metric that observes ([`Observe`]: a histogram,
/// summary or statistics, or a family's child of one), or a `Family<CallOutcome, M>` of one.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not record observations: #[timed] needs a Histogram, Summary or Statistics, a family child of one, or a Family<CallOutcome, _> of one",
    label = "not a histogram, summary or statistics metric"
)]
pub trait TimedTarget {
    /// Records a call that did not complete: it panicked, or its future was dropped first.
    fn unfinished(&self, seconds: f64, cancelled: bool);
}

/// A [`TimedTarget`] that records a completed call returning `R` (an outcome family needs `R`
/// to be a `Result`).
#[diagnostic::on_unimplemented(
    message = "#[timed] into a Family<CallOutcome, _> labels calls by their `Result`, and `{R}` is not a `Result`",
    label = "this function does not return a `Result`",
    note = "time into a plain histogram instead, or return a `Result`"
)]
pub trait TimedCall<R: ?Sized>: TimedTarget {
    /// Records a call that returned `result`.
    fn finished(&self, seconds: f64, result: &R);
}

/// A [`TimedCall`] that can keep an exemplar with its observation (`#[timed(.., exemplar =
/// ..)]`): histograms, their family children, outcome families of histograms, and native
/// histograms.
#[diagnostic::on_unimplemented(
    message = "`{Self}` keeps no exemplars: #[timed(.., exemplar = ..)] needs a Histogram, a family child of one, a Family<CallOutcome, Histogram>, or a NativeHistogram",
    label = "exemplars are kept by histograms"
)]
pub trait TimedExemplar<R: ?Sized>: TimedCall<R> {
    /// Records a call that returned `result`, with `labels` as the exemplar of its observation.
    ///
    /// # Errors
    ///
    /// The [`ExemplarError`] of invalid labels; the observation is recorded regardless.
    fn finished_with_exemplar(
        &self,
        seconds: f64,
        result: &R,
        labels: &[(&str, &str)],
    ) -> Result<(), ExemplarError>;
}

impl<T: Observe + ?Sized> TimedTarget for T {
    #[inline]
    fn unfinished(&self, seconds: f64, _: bool) {
        self.observe(seconds);
    }
}

impl<T: Observe + ?Sized, R: ?Sized> TimedCall<R> for T {
    #[inline]
    fn finished(&self, seconds: f64, _: &R) {
        self.observe(seconds);
    }
}

impl<M: ChildMetric + Observe> TimedTarget for Family<CallOutcome, M> {
    #[inline]
    fn unfinished(&self, seconds: f64, cancelled: bool) {
        let outcome = if cancelled {
            CallOutcome::Cancelled
        } else {
            CallOutcome::Error
        };
        self.get(&outcome).observe(seconds);
    }
}

impl<M: ChildMetric + Observe, R: Outcome + ?Sized> TimedCall<R> for Family<CallOutcome, M> {
    #[inline]
    fn finished(&self, seconds: f64, result: &R) {
        self.get(&CallOutcome::of(result)).observe(seconds);
    }
}

pub(crate) mod keeps_exemplar {
    use crate::ExemplarError;

    /// What keeps an exemplar with an observation itself (a histogram, a native histogram, and
    /// what derefs to one): the [`TimedExemplar`](super::TimedExemplar) of each, through one
    /// blanket impl as [`Observe`](crate::Observe) gives their `TimedCall`. Public only as a
    /// bound; nothing outside this crate can name it.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` keeps no exemplars: #[timed(.., exemplar = ..)] needs a Histogram, a family child of one, a Family<CallOutcome, Histogram>, or a NativeHistogram",
        label = "exemplars are kept by histograms"
    )]
    pub trait KeepsExemplar {
        /// Records `v` with `labels` as its exemplar.
        fn observe_with_exemplar(
            &self,
            v: f64,
            labels: &[(&str, &str)],
        ) -> Result<(), ExemplarError>;
    }
}
use keeps_exemplar::KeepsExemplar;

impl<T: KeepsExemplar + Observe + ?Sized, R: ?Sized> TimedExemplar<R> for T {
    fn finished_with_exemplar(
        &self,
        seconds: f64,
        _: &R,
        labels: &[(&str, &str)],
    ) -> Result<(), ExemplarError> {
        KeepsExemplar::observe_with_exemplar(self, seconds, labels)
    }
}

impl KeepsExemplar for Histogram {
    fn observe_with_exemplar(&self, v: f64, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        Histogram::observe_with_exemplar(self, v, labels)
    }
}

impl KeepsExemplar for NativeHistogram {
    fn observe_with_exemplar(&self, v: f64, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        NativeHistogram::observe_with_exemplar(self, v, labels)
    }
}

impl<M: ChildMetric + KeepsExemplar> KeepsExemplar for Child<'_, M> {
    fn observe_with_exemplar(&self, v: f64, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        (**self).observe_with_exemplar(v, labels)
    }
}

impl<T: KeepsExemplar, F: FnOnce() -> T> KeepsExemplar for LazyLock<T, F> {
    fn observe_with_exemplar(&self, v: f64, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        (**self).observe_with_exemplar(v, labels)
    }
}

impl<R: Outcome + ?Sized> TimedExemplar<R> for Family<CallOutcome, Histogram> {
    fn finished_with_exemplar(
        &self,
        seconds: f64,
        result: &R,
        labels: &[(&str, &str)],
    ) -> Result<(), ExemplarError> {
        self.get(&CallOutcome::of(result))
            .observe_with_exemplar(seconds, labels)
    }
}

impl CallOutcome {
    /// `Error` for a failed result, `Ok` otherwise.
    fn of<R: Outcome + ?Sized>(result: &R) -> CallOutcome {
        if result.is_failure() {
            CallOutcome::Error
        } else {
            CallOutcome::Ok
        }
    }
}

/// What [`ExemplarLabels::with_labels`] calls with the labels.
pub type WithLabels<'f> = dyn FnMut(&[(&str, &str)]) + 'f;

/// The labels of an exemplar, as `#[timed(.., exemplar = EXPR)]` takes them: a pair
/// `(name, value)`, an array or `Vec` of pairs, or an `Option` of one of these (`None`: no
/// exemplar for this call). Names and values are anything that is `AsRef<str>`.
///
/// # Examples
///
/// ```
/// use coremeter::ExemplarLabels;
///
/// let mut seen = Vec::new();
/// ("trace_id", String::from("4bf92f")).with_labels(&mut |labels| seen.push(labels.len()));
/// [("trace_id", "4bf92f"), ("span_id", "00f067")].with_labels(&mut |l| seen.push(l.len()));
/// None::<(&str, &str)>.with_labels(&mut |l| seen.push(l.len()));
/// assert_eq!(seen, [1, 2]);
/// ```
pub trait ExemplarLabels {
    /// Calls `f` with the labels, unless there are none to keep.
    fn with_labels(&self, f: &mut WithLabels<'_>);
}

impl<K: AsRef<str>, V: AsRef<str>> ExemplarLabels for (K, V) {
    fn with_labels(&self, f: &mut WithLabels<'_>) {
        f(&[(self.0.as_ref(), self.1.as_ref())]);
    }
}

impl<K: AsRef<str>, V: AsRef<str>, const N: usize> ExemplarLabels for [(K, V); N] {
    fn with_labels(&self, f: &mut WithLabels<'_>) {
        f(&self.each_ref().map(|(k, v)| (k.as_ref(), v.as_ref())));
    }
}

impl<K: AsRef<str>, V: AsRef<str>> ExemplarLabels for Vec<(K, V)> {
    fn with_labels(&self, f: &mut WithLabels<'_>) {
        let labels: Vec<(&str, &str)> =
            self.iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
        f(&labels);
    }
}

impl<E: ExemplarLabels> ExemplarLabels for Option<E> {
    fn with_labels(&self, f: &mut WithLabels<'_>) {
        if let Some(e) = self {
            e.with_labels(f);
        }
    }
}

impl<E: ExemplarLabels + ?Sized> ExemplarLabels for &E {
    fn with_labels(&self, f: &mut WithLabels<'_>) {
        (**self).with_labels(f);
    }
}

/// The guard `#[timed]` makes when a call starts: [`finish`](Self::finish) records a completed
/// call (with its result, for an outcome family); dropped unfinished, it records a panic (while
/// unwinding) or a cancelled future. Written by hand, it measures the same:
///
/// ```
/// use coremeter::{CallOutcome, CallTimer, Family, Histogram};
///
/// let latency: Family<CallOutcome, Histogram> = Family::new();
/// let parse = |s: &str| {
///     let timer = CallTimer::start(&latency);
///     let result = s.parse::<u32>();
///     timer.finish(&result);
///     result
/// };
/// parse("7").unwrap();
/// parse("x").unwrap_err();
/// drop(CallTimer::start(&latency)); // neither finished nor panicking: cancelled
/// for outcome in [CallOutcome::Ok, CallOutcome::Error, CallOutcome::Cancelled] {
///     assert_eq!(latency.get(&outcome).get().value().count(), 1);
/// }
/// ```
#[must_use = "the call is recorded by finish(), or when the guard is dropped"]
#[derive(Debug)]
pub struct CallTimer<'a, T: ?Sized, E = ()> {
    target: &'a T,
    /// Raw clock reading (see [`Timer`](crate::Timer)).
    start: u64,
    exemplar: E,
    /// `target`'s [`TimedTarget::unfinished`] while the call is not finished, `None` after
    /// (the struct holds no bound, so that a target of the wrong type is one error, at `start`).
    unfinished: Option<fn(&T, f64, bool)>,
}

impl<'a, T: TimedTarget + ?Sized> CallTimer<'a, T> {
    /// Starts timing a call now, into `target`.
    #[inline]
    pub fn start(target: &'a T) -> Self {
        CallTimer::begin(target, ())
    }

    /// Records the completed call that returned `result`.
    #[inline]
    pub fn finish<R: ?Sized>(mut self, result: &R)
    where
        T: TimedCall<R>,
    {
        self.unfinished = None;
        self.target.finished(self.seconds(), result);
    }
}

impl<'a, T: TimedTarget + ?Sized, E: ExemplarLabels> CallTimer<'a, T, E> {
    /// Starts timing a call now, into `target`, to be observed with `exemplar` as the exemplar
    /// of its observation when the call completes.
    #[inline]
    pub fn start_with_exemplar(target: &'a T, exemplar: E) -> Self {
        CallTimer::begin(target, exemplar)
    }

    /// Records the completed call that returned `result`, with the exemplar given at the start
    /// (if it has labels); an exemplar whose labels are invalid is left out, the observation is
    /// recorded regardless.
    #[inline]
    pub fn finish_with_exemplar<R: ?Sized>(mut self, result: &R)
    where
        T: TimedExemplar<R>,
    {
        self.unfinished = None;
        let seconds = self.seconds();
        let target = self.target;
        let mut observed = false;
        self.exemplar.with_labels(&mut |labels| {
            observed = true;
            // An invalid exemplar is dropped; the observation is made either way.
            let _ = target.finished_with_exemplar(seconds, result, labels);
        });
        if !observed {
            target.finished(seconds, result);
        }
    }
}

impl<'a, T: TimedTarget + ?Sized, E> CallTimer<'a, T, E> {
    #[inline]
    fn begin(target: &'a T, exemplar: E) -> Self {
        CallTimer {
            target,
            start: now_raw(),
            exemplar,
            unfinished: Some(T::unfinished),
        }
    }
}

impl<T: ?Sized, E> CallTimer<'_, T, E> {
    #[inline]
    fn seconds(&self) -> f64 {
        seconds_since(self.start)
    }
}

impl<T: ?Sized, E> Drop for CallTimer<'_, T, E> {
    #[inline]
    fn drop(&mut self) {
        if let Some(unfinished) = self.unfinished {
            unfinished(self.target, self.seconds(), !std::thread::panicking());
        }
    }
}
