//! What the macros build on: the [`Metrics`] trait of a struct of metrics, the guards of
//! `#[in_progress]` and `#[count_exceptions]`, and the static registration of
//! `#[metrics(static = NAME)]`.

#[cfg(feature = "macros")]
use std::sync::atomic::{AtomicBool, Ordering};
#[cfg(feature = "macros")]
use std::sync::{Mutex, PoisonError};

use crate::{Counter, FloatCounter, FloatGauge, Gauge, Registry, RegistryError};

/// A struct of metrics that registers its fields, as `#[derive(Metrics)]` writes it.
///
/// # Examples
///
/// A hand-written implementation (the derive writes the same, with names checked at compile
/// time):
///
/// ```
/// use coremeter::{Counter, Metrics, Opts, Registry, RegistryError};
///
/// struct Jobs { done: Counter }
///
/// impl Metrics for Jobs {
///     fn register_with_prefix(&self, registry: &Registry, prefix: &str) -> Result<(), RegistryError> {
///         let name = if prefix.is_empty() { "jobs_done".to_owned() } else { format!("{prefix}_jobs_done") };
///         registry.register(Opts::new(name, "Jobs done."), self.done.clone())
///     }
/// }
///
/// let registry = Registry::new();
/// let jobs = Jobs { done: Counter::new() };
/// jobs.register(&registry)?;
/// jobs.done.inc();
/// assert_eq!(registry.sample_value("jobs_done_total", &[]), Some(1.0));
/// # Ok::<(), RegistryError>(())
/// ```
pub trait Metrics {
    /// Registers every metric in `registry`, each name preceded by `prefix` and `_` unless the
    /// prefix is empty (how a struct flattened into another gets the outer one's namespace).
    ///
    /// # Errors
    ///
    /// The first [`RegistryError`]: a name another family of the registry already produces
    /// (names are checked at compile time otherwise). Metrics registered before it stay
    /// registered.
    fn register_with_prefix(&self, registry: &Registry, prefix: &str) -> Result<(), RegistryError>;

    /// Registers every metric in `registry`.
    ///
    /// # Errors
    ///
    /// As [`register_with_prefix`](Self::register_with_prefix).
    fn register(&self, registry: &Registry) -> Result<(), RegistryError> {
        self.register_with_prefix(registry, "")
    }
}

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

/// Errors of `#[metrics(static = NAME)]` registrations into the default registry: two statics
/// (or a static and a metric registered by hand before it) that produce one sample name. Names
/// are checked at compile time within a struct, so only a clash between declarations lands
/// here; the first use of the default registry then panics with them (see
/// [`fail_on_static_errors`]).
#[cfg(feature = "macros")]
static STATIC_ERRORS: Mutex<Vec<RegistryError>> = Mutex::new(Vec::new());

/// Whether [`STATIC_ERRORS`] holds an error: read at every use of the default registry, without
/// taking the lock.
#[cfg(feature = "macros")]
static STATIC_ERROR_SEEN: AtomicBool = AtomicBool::new(false);

/// Panics if a static's registration failed: a programming error in the program's declarations
/// (two statics with one sample name), which fails loudly at the first use of the default
/// registry (a scrape, a server's start, `default_registry()`) rather than leaving one of the
/// two out of every scrape.
#[cfg(feature = "macros")]
pub(crate) fn fail_on_static_errors() {
    if !STATIC_ERROR_SEEN.load(Ordering::Acquire) {
        return;
    }
    let errors = STATIC_ERRORS.lock().unwrap_or_else(PoisonError::into_inner);
    let mut message = String::from(
        "coremeter: #[derive(Metrics)] statics clash in the default registry; rename one of each \
         pair (#[metric(name = ..)], or another namespace or subsystem):",
    );
    for error in errors.iter() {
        message.push_str("\n  - ");
        message.push_str(&error.to_string());
    }
    panic!("{message}");
}

/// What the macros' generated code calls. Not a public API: it may change in any release.
#[doc(hidden)]
#[cfg(feature = "macros")]
pub mod __private {
    pub use std::sync::LazyLock;

    pub use linkme;

    use super::{Metrics, Ordering, PoisonError, STATIC_ERROR_SEEN, STATIC_ERRORS};

    /// One function per `#[metrics(static = NAME)]`: forces the static, which registers it.
    #[linkme::distributed_slice]
    #[linkme(crate = linkme)]
    pub static STATICS: [fn()];

    /// Registers a static's value in the default registry (without forcing the other statics,
    /// which may be what is being forced), recording an error instead of panicking.
    pub fn register_static<T: Metrics>(metrics: T) -> T {
        if let Err(error) = metrics.register(crate::registry::default_registry_unforced()) {
            STATIC_ERRORS
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(error);
            STATIC_ERROR_SEEN.store(true, Ordering::Release);
        }
        metrics
    }

    /// The options of a field's metric: `name` (namespace and subsystem joined already) under
    /// the outer struct's `prefix`.
    pub fn opts(name: &'static str, help: &'static str, prefix: &str) -> crate::Opts {
        let opts = crate::Opts::new(name, help);
        if prefix.is_empty() {
            opts
        } else {
            opts.namespace(prefix.to_owned())
        }
    }

    /// `outer_inner`, or whichever is not empty.
    pub fn join(outer: &str, inner: &str) -> String {
        match (outer.is_empty(), inner.is_empty()) {
            (true, _) => inner.to_owned(),
            (_, true) => outer.to_owned(),
            _ => format!("{outer}_{inner}"),
        }
    }

    /// Buckets the macro checked already (strictly increasing, finite, not empty).
    pub fn buckets(bounds: &[f64]) -> crate::Buckets {
        crate::Buckets::new(bounds).unwrap_or_default()
    }

    /// A `Family<DynLabels, M>` with label names the macro checked already.
    pub fn dyn_family<M: crate::FamilyMetric>(names: &[&str]) -> crate::Family<crate::DynLabels, M>
    where
        M::Config: Default,
    {
        crate::Family::with_label_names_unchecked(names, Default::default())
    }

    /// A `Family<DynLabels, M>` with label names the macro checked already and a configuration
    /// (a histogram's buckets, a state set's states).
    pub fn dyn_family_with<M: crate::FamilyMetric>(
        names: &[&str],
        config: M::Config,
    ) -> crate::Family<crate::DynLabels, M> {
        crate::Family::with_label_names_unchecked(names, config)
    }

    /// The states of a state set whose values [`assert_states`] checked at compile time.
    pub fn states<E: crate::LabelValue>() -> crate::States {
        match crate::States::of::<E>() {
            Ok(states) => states,
            Err(_) => unreachable!("assert_states checked them at compile time"),
        }
    }

    /// Fails to compile unless `E` has a fixed, non-empty set of distinct values (the states of
    /// a state set).
    pub const fn assert_states<E: crate::LabelValue>() {
        let Some(values) = E::VALUES else {
            panic!("a state set's states are the values of an enum deriving LabelValue");
        };
        assert!(!values.is_empty(), "a state set needs at least one state");
        let mut i = 0;
        while i < values.len() {
            assert!(
                !contains(values.split_at(i).0, values[i]),
                "a state set's states must be distinct"
            );
            i += 1;
        }
    }

    const fn contains(names: &[&str], wanted: &str) -> bool {
        let mut i = 0;
        while i < names.len() {
            let (a, b) = (names[i].as_bytes(), wanted.as_bytes());
            if a.len() == b.len() {
                let mut j = 0;
                while j < a.len() && a[j] == b[j] {
                    j += 1;
                }
                if j == a.len() {
                    return true;
                }
            }
            i += 1;
        }
        false
    }

    /// Fails to compile when a histogram family's label set has a label `le`.
    pub const fn assert_no_le<L: crate::LabelSet>() {
        assert!(
            !contains(L::NAMES, "le"),
            "this LabelSet has a label `le`, which histogram samples use for their buckets"
        );
    }

    /// Fails to compile when a summary or statistics family's label set has a label `quantile`.
    pub const fn assert_no_quantile<L: crate::LabelSet>() {
        assert!(
            !contains(L::NAMES, "quantile"),
            "this LabelSet has a label `quantile`, which summaries reserve"
        );
    }

    /// Runs `f` once: how `#[timed]` and `#[count_exceptions]` run a plain function's body to
    /// get its result. The closure is `FnOnce` (its kind comes from this bound), so a body that
    /// moves out of or returns borrows of what it captured borrow-checks as the function did.
    #[inline(always)]
    pub fn call_once<R, F: FnOnce() -> R>(f: F) -> R {
        f()
    }

    /// A probe of a function's return type `T`: `(&Probe::<T>::new()).__coremeter_probe()`
    /// gives [`ReturnsFuture`] when `T` is a future (through [`ProbeFuture`]), and
    /// [`Measured`] otherwise (through [`ProbeOther`], one autoref further).
    #[derive(Debug)]
    pub struct Probe<T>(std::marker::PhantomData<fn() -> T>);

    impl<T> Probe<T> {
        /// The probe.
        #[allow(clippy::new_without_default)]
        pub fn new() -> Self {
            Probe(std::marker::PhantomData)
        }
    }

    /// The answer of a [`Probe`] for a future.
    #[derive(Debug)]
    pub struct ReturnsFuture;

    /// The answer of a [`Probe`] for anything else.
    #[derive(Debug)]
    pub struct Measured;

    /// The probe's method for futures (tried first).
    pub trait ProbeFuture {
        /// [`ReturnsFuture`].
        fn __coremeter_probe(&self) -> ReturnsFuture;
    }

    impl<T: std::future::Future> ProbeFuture for Probe<T> {
        fn __coremeter_probe(&self) -> ReturnsFuture {
            ReturnsFuture
        }
    }

    /// The probe's method for anything else.
    pub trait ProbeOther {
        /// [`Measured`].
        fn __coremeter_probe(&self) -> Measured;
    }

    impl<T> ProbeOther for &Probe<T> {
        fn __coremeter_probe(&self) -> Measured {
            Measured
        }
    }

    /// What a function attribute can measure: not a future that the function only creates.
    #[diagnostic::on_unimplemented(
        message = "#[timed], #[in_progress] and #[count_exceptions] measure the work of a function, and this one returns a future: they would measure only its creation",
        label = "this return type is a future",
        note = "make it an `async fn`, or declare the return type as `impl Future<Output = ..>` or `Pin<Box<dyn Future<Output = ..> + ..>>`: the attributes then measure the future from its first poll to its completion or drop"
    )]
    pub trait Measurable {}

    impl Measurable for Measured {}

    /// Compiles when the probe's answer is [`Measurable`].
    #[inline(always)]
    pub fn measurable<M: Measurable>(_: M) {}

    /// Forces every static of the program, once.
    pub(crate) fn force_statics() {
        for force in STATICS {
            force();
        }
    }
}
