//! The process-wide registry, and the link-time registration of `#[metrics(static = NAME)]`
//! structs into it (with the other items the macros' generated code calls, [`__private`]).

#[cfg(feature = "macros")]
use std::sync::atomic::{AtomicBool, Ordering};
#[cfg(feature = "macros")]
use std::sync::{Mutex, PoisonError};

use crate::Registry;
#[cfg(feature = "macros")]
use crate::RegistryError;
use crate::sync::unmodelled::OnceLock;

/// The process-wide registry that metrics declared with `#[derive(Metrics)]` and `static` join,
/// and that the exporter serves by default.
///
/// # Examples
///
/// ```
/// use coremeter::{Gauge, Opts, default_registry};
///
/// let up = Gauge::new();
/// default_registry().register(Opts::new("doc_example_up", "Whether the example runs."), up.clone())?;
/// up.set(1);
/// assert_eq!(default_registry().sample_value("doc_example_up", &[]), Some(1.0));
/// # Ok::<(), coremeter::RegistryError>(())
/// ```
///
/// Its first use registers every `#[metrics(static = NAME)]` struct of the program (they are
/// collected at link time), so a scrape shows their series, at 0, before any is used.
///
/// # Panics
///
/// When two `#[metrics(static = NAME)]` structs produce one sample name (a programming error in
/// the program's declarations): the message names the sample name and both declarations. It
/// panics at every call, so the first scrape or server start fails, not a later one.
pub fn default_registry() -> &'static Registry {
    #[cfg(feature = "macros")]
    {
        static STATICS: std::sync::Once = std::sync::Once::new();
        STATICS.call_once(__private::force_statics);
        fail_on_static_errors();
    }
    default_registry_unforced()
}

/// The default registry without registering the statics (what a static's own registration
/// uses, while the statics are being registered).
pub(crate) fn default_registry_unforced() -> &'static Registry {
    static DEFAULT: OnceLock<Registry> = OnceLock::new();
    DEFAULT.get_or_init(Registry::new)
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

    use super::{Ordering, PoisonError, STATIC_ERROR_SEEN, STATIC_ERRORS};
    use crate::Metrics;

    /// One function per `#[metrics(static = NAME)]`: forces the static, which registers it.
    #[linkme::distributed_slice]
    #[linkme(crate = linkme)]
    pub static STATICS: [fn()];

    /// Registers a static's value in the default registry (without forcing the other statics,
    /// which may be what is being forced), recording an error instead of panicking.
    pub fn register_static<T: Metrics>(metrics: T) -> T {
        if let Err(error) = metrics.register(super::default_registry_unforced()) {
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

    /// A native histogram's configuration: the defaults with classic buckets the macro checked
    /// already (`#[metric(buckets = ..)]` on a `NativeHistogram` or a family of them).
    pub fn native_classic(bounds: &[f64]) -> crate::NativeHistogramConfig {
        crate::NativeHistogramConfig::with_classic(buckets(bounds))
    }

    /// A `Family<DynLabels, M>` with label names the macro checked already.
    pub fn dyn_family<M: crate::ChildMetric>(names: &[&str]) -> crate::Family<crate::DynLabels, M>
    where
        M::Config: Default,
    {
        crate::Family::with_label_names_unchecked(names, Default::default())
    }

    /// A `Family<DynLabels, M>` with label names the macro checked already and a configuration
    /// (a histogram's buckets, a state set's states).
    pub fn dyn_family_with<M: crate::ChildMetric>(
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
