//! Label families: one metric per label set.
//!
//! Two representations, chosen from the label set's type:
//!
//! - **Dense**, when every label has a fixed set of values ([`LabelValue::VALUES`](crate::LabelValue::VALUES)) and there are
//!   at most [`MAX_DENSE_SERIES`] combinations: every child exists from the start (so every series
//!   shows, at 0, before its first update) and [`Family::get`] is index arithmetic returning a
//!   borrowed child: no hash, no lock, no allocation, no reference count.
//! - **Dynamic** otherwise: a table from the encoded label values to children that lookups read
//!   without a lock and without moving a reference count: [`Family::get`] hashes the values,
//!   finds them with plain loads, and returns a view of the child's cells, kept valid by a pin of
//!   the calling thread (two plain stores) until the child is dropped. A new label set takes the
//!   family's lock once; a removed child's cells are freed once no child found before the removal
//!   is left. Past the family's [limit](Family::with_limit) (default [`DEFAULT_LIMIT`]), new
//!   label sets share one overflow series whose label values are all
//!   [`OVERFLOW_LABEL_VALUE`](crate::OVERFLOW_LABEL_VALUE).
//!
//! A dynamic child costs its cells, 4 bytes of index (at most three quarters of a power of two
//! filled), and its encoded values (their UTF-8 bytes plus one byte each, a 4-byte id, a length
//! byte, padded to 4 bytes) in an arena that scrapes read in insertion order. A family's keys take
//! at most 64 MiB; a label set that would not fit counts as past the limit.
//!
//! # Examples
//!
//! ```
//! use coremeter::{Counter, DynLabels, Family};
//!
//! #[derive(coremeter::LabelValue, Clone, Copy, PartialEq, Eq, Hash)]
//! enum Method { Get, Post }
//! #[derive(coremeter::LabelSet, Clone, Copy, PartialEq, Eq, Hash)]
//! struct ByMethod { method: Method }
//!
//! let dense: Family<ByMethod, Counter> = Family::new();      // 2 children, up front
//! let dynamic = Family::<DynLabels, Counter>::with_label_names(&["user"])?; // a map
//! dense.get(&ByMethod { method: Method::Post }).inc();
//! dynamic.labels(&["ada"])?.inc();
//! assert_eq!((dense.len(), dynamic.len()), (2, 1));
//! # Ok::<(), coremeter::LabelError>(())
//! ```

mod child;
mod dense;
mod dyn_map;
mod hyperloglog;
mod label_error;
mod lookup_table;
mod storage;

use std::fmt;
use std::hash::BuildHasher;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;

use crate::label::{self, DenseIndex, LabelSet, with_key, with_key_of_strs};
use crate::metric::{Metric, sealed};
use crate::plan::{BulkRead, FamilyPlan, HeldRuns};
use crate::read::{FamilyLabels, MetricType, Names, SeriesListVersion, SeriesWriter, WordSink};
use crate::reclaim::Pin;
use crate::slab::{CellRun, LastBlock};
use crate::sync::Ordering;
use crate::sync::unmodelled::{AtomicU32, OnceLock};

pub use child::Child;
use dense::Dense;
use dyn_map::{DynMap, Overflow};
pub use label_error::LabelError;
pub(crate) use label_error::check_label_names;
pub(crate) use storage::Storage;

/// The most series a family keeps as a dense array; label sets with more fixed combinations use
/// the dynamic map.
///
/// # Examples
///
/// ```
/// assert_eq!(coremeter::family::MAX_DENSE_SERIES, 4096);
/// ```
pub const MAX_DENSE_SERIES: usize = 4096;

/// The default cardinality limit of a dynamic family (OpenTelemetry's default).
///
/// # Examples
///
/// ```
/// let f = coremeter::Family::<coremeter::DynLabels, coremeter::Counter>::with_label_names(&["id"])?;
/// for i in 0..coremeter::family::DEFAULT_LIMIT + 5 {
///     f.labels(&[&i.to_string()])?.inc();
/// }
/// assert_eq!(f.len(), coremeter::family::DEFAULT_LIMIT);
/// # Ok::<(), coremeter::LabelError>(())
/// ```
pub const DEFAULT_LIMIT: usize = 2000;

/// A metric type that can be a [`Family`]'s child: every metric type of this crate except the
/// callback metrics ([`FnCounter`](crate::FnCounter), [`FnGauge`](crate::FnGauge)), whose value
/// is one callback's.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, DynLabels, Family, ChildMetric, Gauge};
///
/// // Anything generic over a family's child type takes `M: ChildMetric`.
/// fn series<M: ChildMetric>(family: &Family<DynLabels, M>) -> usize {
///     family.len()
/// }
/// let jobs = Family::<DynLabels, Counter>::with_label_names(&["queue"])?;
/// let depth = Family::<DynLabels, Gauge>::with_label_names(&["queue"])?;
/// jobs.labels(&["email"])?.inc();
/// assert_eq!((series(&jobs), series(&depth)), (1, 0));
/// # Ok::<(), coremeter::LabelError>(())
/// ```
pub trait ChildMetric: Storage {}

/// The label set of a family whose label names are given at run time
/// ([`Family::with_label_names`]) and whose values are given as strings
/// ([`Family::labels`]), as in Python's client. It has no values, so [`Family::get`] cannot be
/// called with it.
///
/// # Examples
///
/// ```
/// use coremeter::{DynLabels, Family, Gauge};
///
/// let users = Family::<DynLabels, Gauge>::with_label_names(&["plan"])?;
/// users.labels(&["pro"])?.set(12);
/// assert_eq!(users.labels(&["pro"])?.get(), 12);
/// assert_eq!(users.label_names(), ["plan"]);
/// # Ok::<(), coremeter::LabelError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DynLabels {}

impl LabelSet for DynLabels {
    const NAMES: &'static [&'static str] = &[];
    const VALUES: &'static [Option<&'static [&'static str]>] = &[];

    fn visit<V: label::LabelVisitor>(&self, _: &mut V) {
        match *self {}
    }
}

/// One metric per label set: `Family<L, M>` holds an `M` (a [`Counter`](crate::Counter),
/// [`Histogram`](crate::Histogram), ...) for each value of the label set `L`. See the
/// [module documentation](self) for the dense and dynamic representations.
///
/// Clones share their children, so a family can be registered and kept.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, Family, LabelSet, LabelValue, LabelVisitor, Opts, Registry};
///
/// #[derive(Clone, Copy)]
/// enum Method { Get, Post }
///
/// impl LabelValue for Method {
///     const VALUES: Option<&'static [&'static str]> = Some(&["GET", "POST"]);
///     fn index(&self) -> usize { *self as usize }
/// }
///
/// struct ByMethod(Method);
///
/// impl LabelSet for ByMethod {
///     const NAMES: &'static [&'static str] = &["method"];
///     const VALUES: &'static [Option<&'static [&'static str]>] = &[Method::VALUES];
///     fn visit<V: LabelVisitor>(&self, v: &mut V) { v.value(&self.0) }
/// }
///
/// let registry = Registry::new();
/// let requests: Family<ByMethod, Counter> = Family::new();
/// registry.register(Opts::new("requests", "Requests by method."), requests.clone())?;
/// requests.get(&ByMethod(Method::Get)).inc();
/// assert_eq!(registry.sample_value("requests_total", &[("method", "GET")]), Some(1.0));
/// // Dense: every series exists from the start.
/// assert_eq!(registry.sample_value("requests_total", &[("method", "POST")]), Some(0.0));
/// # Ok::<(), coremeter::RegistryError>(())
/// ```
pub struct Family<L, M: ChildMetric> {
    /// The children of a dense family; none (`len == 0`) for a dynamic family.
    dense: Dense,
    /// What the children share (kept here, not behind `shared`, so a dense `get` does not load
    /// through the `Arc`).
    config: M::Config,
    shared: crate::sync::Arc<Shared<M>>,
    _labels: PhantomData<fn(&L)>,
}

struct Shared<M: ChildMetric> {
    /// Label names given at run time ([`DynLabels`] families), boxed: most families have none.
    names: Option<Box<Box<[String]>>>,
    /// The id of the full name under which the family was first registered (see
    /// [`crate::family_name`]), 0 before: for its errors.
    registered_as: AtomicU32,
    /// The cardinality limit of a dynamic family.
    limit: AtomicU32,
    map: DynMap<M>,
}

impl<L: LabelSet, M: ChildMetric> Family<L, M> {
    /// Whether `L` makes a dense family (decided from its type, so [`get`](Self::get) compiles to
    /// one path).
    const DENSE: bool = match label::cardinality(L::VALUES) {
        Some(n) => n >= 1 && n <= MAX_DENSE_SERIES && !L::NAMES.is_empty(),
        None => false,
    };

    /// A family with the default configuration of `M` (default buckets for histograms).
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Family};
    ///
    /// #[derive(coremeter::LabelSet)]
    /// struct Up { up: bool }
    ///
    /// let f: Family<Up, Counter> = Family::new();
    /// assert_eq!(f.len(), 2); // dense: both series exist
    /// ```
    pub fn new() -> Self
    where
        M::Config: Default,
    {
        Self::with_config(M::Config::default())
    }

    /// A family whose children share `config`: [`Buckets`](crate::Buckets) for histograms,
    /// [`States`](crate::States) for state sets, `()` otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Buckets, DynLabels, Family, Histogram, Opts, Registry};
    ///
    /// let sizes = Family::<DynLabels, Histogram>::with_label_names_and_config(
    ///     &["queue"],
    ///     Buckets::exponential(1.0, 10.0, 4)?,
    /// )?;
    /// sizes.labels(&["emails"])?.observe(250.0);
    /// assert_eq!(sizes.labels(&["emails"])?.get().value().counts(), [0, 0, 0, 1, 0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_config(config: M::Config) -> Self {
        let dense = match label::cardinality(L::VALUES) {
            Some(n) if Self::DENSE => Dense::new::<M>(n, &config),
            _ => Dense::empty(),
        };
        Family {
            dense,
            config,
            shared: crate::sync::Arc::new(Shared::new(None)),
            _labels: PhantomData,
        }
    }

    /// The child for `labels`: for a dense family a view found by index arithmetic; for a
    /// dynamic one a view found without a lock (see [`Child`]), the child created at 0 on first
    /// use (or the overflow series once the family is at its limit).
    ///
    /// # Examples
    ///
    /// ```
    /// #[derive(coremeter::LabelSet)]
    /// struct Path<'a> { path: &'a str }
    ///
    /// let f = coremeter::Family::<Path<'static>, coremeter::Counter>::new();
    /// f.get(&Path { path: "/a" }).inc();
    /// assert_eq!(f.get(&Path { path: "/a" }).get(), 1);
    /// ```
    #[inline]
    pub fn get(&self, labels: &L) -> Child<'_, M> {
        if Self::DENSE {
            let mut index = DenseIndex(0);
            labels.visit(&mut index);
            // Each digit is clamped below its radix, so the index is below the cardinality, the
            // number of children. The path makes a view and calls nothing that could take the
            // child's address, so the child stays in registers and its drop compiles away.
            Child::new(
                M::from_run(self.dense.child::<M>(index.0, &self.config), &self.config),
                None,
            )
        } else {
            let (run, pin) = self.dynamic_run(labels);
            Child::new(M::from_run(run, &self.config), pin)
        }
    }

    /// Creates the child for `labels` at 0 if it does not exist yet, so its series shows before
    /// the first update (Python's "initializing label values"); dense families have all their
    /// children from the start.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Family, Opts, Registry};
    ///
    /// #[derive(coremeter::LabelSet)]
    /// struct Path<'a> { path: &'a str }
    ///
    /// let registry = Registry::new();
    /// let f = Family::<Path<'static>, Counter>::new();
    /// registry.register(Opts::new("hits", "Hits."), f.clone())?;
    /// f.init(&Path { path: "/" });
    /// assert_eq!(registry.sample_value("hits_total", &[("path", "/")]), Some(0.0));
    /// # Ok::<(), coremeter::RegistryError>(())
    /// ```
    pub fn init(&self, labels: &L) {
        if !Self::DENSE {
            drop(self.get(labels));
        }
    }

    /// Removes the child for `labels` from a dynamic family and returns whether it existed. Its
    /// cells are freed once the last handle to it is dropped; handles kept elsewhere keep
    /// working but are no longer read. Dense families keep all their children and return
    /// `false`.
    ///
    /// # Examples
    ///
    /// ```
    /// #[derive(coremeter::LabelSet)]
    /// struct Path<'a> { path: &'a str }
    ///
    /// let f = coremeter::Family::<Path<'static>, coremeter::Counter>::new();
    /// f.get(&Path { path: "/a" }).inc();
    /// assert!(f.remove(&Path { path: "/a" }));
    /// assert!(f.is_empty());
    /// ```
    pub fn remove(&self, labels: &L) -> bool {
        !Self::DENSE && with_key(labels, |key| self.remove_key(key))
    }
}

impl<L: LabelSet, M: ChildMetric> Family<L, M> {
    /// Runs `op` (one of this crate's updates, never user code) on the child for `labels`, a
    /// view found as [`get`](Self::get) finds it.
    #[inline]
    pub(crate) fn apply(&self, labels: &L, op: impl FnOnce(&M)) {
        if Self::DENSE {
            op(&self.get(labels));
        } else {
            let (run, _pin) = self.dynamic_run(labels);
            op(&M::from_run(run, &self.config));
        }
    }

    /// The run of a dynamic family's child for `labels`: a view found without a lock, with the
    /// pin that keeps it, or an owned run from under the lock. Each path gives back only a run
    /// and a pin, and the caller makes the child in its registers: a child passed back through
    /// memory cost 8 to 10 ns more (a store-forwarding stall; measured).
    #[inline(always)]
    fn dynamic_run(&self, labels: &L) -> (CellRun, Option<Pin>) {
        match with_key(labels, |key| self.find_pinned(key)) {
            Some((id, pin)) => (self.view(id), Some(pin)),
            None => (
                with_key(labels, |key| self.run_locked(hash(key), key)),
                None,
            ),
        }
    }

    /// A view of the run `id`, which the caller keeps alive (a pin or a lock).
    #[inline]
    fn view(&self, id: u32) -> CellRun {
        ManuallyDrop::new(CellRun::from_id(id)).view(0)
    }
}

/// Writes a kind's in-place updates of a family (in the kind's own file).
macro_rules! in_place {
    ($m:ty { $($(#[$doc:meta])* fn $name:ident($($arg:ident: $t:ty),*) => $call:ident;)* }) => {
        /// In-place updates: the same as `get(labels).op(..)`, in one call (the same lookup,
        /// the same cost; see `benches/README.md`).
        impl<L: $crate::label::LabelSet> $crate::family::Family<L, $m> {
            $(
                $(#[$doc])*
                #[inline]
                pub fn $name(&self, labels: &L $(, $arg: $t)*) {
                    self.apply(labels, |m| m.$call($($arg),*));
                }
            )*
        }
    };
}
pub(crate) use in_place;

impl<L: LabelSet, M: ChildMetric> Default for Family<L, M>
where
    M::Config: Default,
{
    fn default() -> Self {
        Self::new()
    }
}

impl<M: ChildMetric> Family<DynLabels, M> {
    /// A dynamic family whose label names are given at run time, with the default configuration
    /// of `M`; its children are found with [`labels`](Self::labels), as in Python's client.
    ///
    /// # Errors
    ///
    /// [`LabelError`] for an invalid or duplicate name, or one the metric type uses itself
    /// (`le` for histograms, `quantile` for summaries and statistics).
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, DynLabels, Family, LabelError};
    ///
    /// let requests = Family::<DynLabels, Counter>::with_label_names(&["method", "code"])?;
    /// requests.labels(&["GET", "200"])?.inc();
    /// assert_eq!(requests.labels(&["GET", "200"])?.get(), 1);
    /// let wrong = requests.labels(&["GET"]).unwrap_err();
    /// assert!(matches!(wrong, LabelError::Count { got: 1, .. }));
    /// assert!(Family::<DynLabels, Counter>::with_label_names(&["a", "a"]).is_err());
    /// # Ok::<(), LabelError>(())
    /// ```
    pub fn with_label_names<S: AsRef<str>>(names: &[S]) -> Result<Self, LabelError>
    where
        M::Config: Default,
    {
        Self::with_label_names_and_config(names, M::Config::default())
    }

    /// [`with_label_names`](Self::with_label_names) with a configuration for the children (see
    /// [`with_config`](Family::with_config)).
    ///
    /// # Errors
    ///
    /// As [`with_label_names`](Self::with_label_names).
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Buckets, DynLabels, Family, Histogram};
    ///
    /// let f = Family::<DynLabels, Histogram>::with_label_names_and_config(&["queue"], Buckets::linear(1.0, 1.0, 2)?)?;
    /// assert_eq!(f.labels(&["a"])?.bounds(), [1.0, 2.0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_label_names_and_config<S: AsRef<str>>(
        names: &[S],
        config: M::Config,
    ) -> Result<Self, LabelError> {
        let names: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
        check_label_names(&names, M::TYPE)?;
        Ok(Self::with_label_names_unchecked(&names, config))
    }

    /// [`with_label_names_and_config`](Self::with_label_names_and_config) for names checked
    /// already (by the derive, at compile time).
    pub(crate) fn with_label_names_unchecked(names: &[&str], config: M::Config) -> Self {
        let names = Box::new(names.iter().map(|n| (*n).to_owned()).collect());
        Family {
            dense: Dense::empty(),
            config,
            shared: crate::sync::Arc::new(Shared::new(Some(names))),
            _labels: PhantomData,
        }
    }
}

impl<L: LabelSet, M: ChildMetric> Family<L, M> {
    /// Sets the cardinality limit of a dynamic family: once it holds `limit` label sets, new
    /// ones share the overflow series (existing ones keep theirs). Lowering it does not remove
    /// children. Dense families have no limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, DynLabels, Family};
    ///
    /// let f = Family::<DynLabels, Counter>::with_label_names(&["id"])?.with_limit(2);
    /// for id in ["a", "b", "c"] {
    ///     f.labels(&[id])?.inc();
    /// }
    /// assert_eq!(f.len(), 2); // "c" went to the overflow series
    /// # Ok::<(), coremeter::LabelError>(())
    /// ```
    pub fn with_limit(self, limit: usize) -> Self {
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        // Relaxed: the limit is a threshold read under the map's lock.
        self.shared.limit.store(limit, Ordering::Relaxed);
        self
    }

    /// The label names, in order.
    ///
    /// # Examples
    ///
    /// ```
    /// let f = coremeter::Family::<coremeter::DynLabels, coremeter::Counter>::with_label_names(&["method", "code"])?;
    /// assert_eq!(f.label_names(), ["method", "code"]);
    /// # Ok::<(), coremeter::LabelError>(())
    /// ```
    pub fn label_names(&self) -> Vec<&str> {
        match &self.shared.names {
            Some(names) => names.iter().map(String::as_str).collect(),
            None => L::NAMES.to_vec(),
        }
    }

    fn names(&self) -> Names<'_> {
        match &self.shared.names {
            Some(names) => Names::Owned(names),
            None => Names::Static(L::NAMES),
        }
    }

    /// The child for label values given as strings, in the order of the label names (Python's
    /// `labels("GET", "200")`).
    ///
    /// # Errors
    ///
    /// [`LabelError::Count`] if there are not as many values as label names;
    /// [`LabelError::UnknownValue`] if a label with a fixed set of values gets another value.
    ///
    /// # Examples
    ///
    /// ```
    /// let f = coremeter::Family::<coremeter::DynLabels, coremeter::Counter>::with_label_names(&["method"])?;
    /// f.labels(&["GET"])?.inc();
    /// assert!(f.labels(&["GET", "extra"]).is_err());
    /// # Ok::<(), coremeter::LabelError>(())
    /// ```
    #[inline(always)]
    pub fn labels(&self, values: &[&str]) -> Result<Child<'_, M>, LabelError> {
        // Label values found in a dynamic family were checked when they went in. Inlined, so
        // that the child is made in the caller's registers (a child passed back through memory
        // cost 10 ns more, a store-forwarding stall; measured).
        let found = match self.dense.len == 0 && values.len() == self.names().len() {
            true => with_key_of_strs(values, |key| self.find_pinned(key)),
            false => None,
        };
        let (run, pin) = match found {
            Some((id, pin)) => (self.view(id), Some(pin)),
            None => (self.labels_checked(values).map_err(|e| *e)?, None),
        };
        Ok(Child::new(M::from_run(run, &self.config), pin))
    }

    /// [`labels`](Self::labels) for values not (yet) in a dynamic family, or a dense one: the
    /// run, or the error boxed (a result of 16 bytes comes back in registers).
    #[inline(never)]
    fn labels_checked(&self, values: &[&str]) -> Result<CellRun, Box<LabelError>> {
        match self.dense_index_of(values)? {
            Some(index) => Ok(self.dense.child::<M>(index, &self.config)),
            None => Ok(with_key_of_strs(values, |key| {
                self.run_locked(hash(key), key)
            })),
        }
    }

    /// [`init`](Self::init) for values given as strings.
    ///
    /// # Errors
    ///
    /// As [`labels`](Self::labels).
    ///
    /// # Examples
    ///
    /// ```
    /// let f = coremeter::Family::<coremeter::DynLabels, coremeter::Counter>::with_label_names(&["method"])?;
    /// f.init_labels(&["POST"])?;
    /// assert_eq!(f.len(), 1);
    /// # Ok::<(), coremeter::LabelError>(())
    /// ```
    pub fn init_labels(&self, values: &[&str]) -> Result<(), LabelError> {
        self.labels(values).map(drop)
    }

    /// [`remove`](Self::remove) for values given as strings.
    ///
    /// # Errors
    ///
    /// As [`labels`](Self::labels).
    ///
    /// # Examples
    ///
    /// ```
    /// let f = coremeter::Family::<coremeter::DynLabels, coremeter::Counter>::with_label_names(&["method"])?;
    /// f.labels(&["GET"])?.inc();
    /// assert_eq!(f.remove_labels(&["GET"]), Ok(true));
    /// assert_eq!(f.remove_labels(&["GET"]), Ok(false));
    /// # Ok::<(), coremeter::LabelError>(())
    /// ```
    pub fn remove_labels(&self, values: &[&str]) -> Result<bool, LabelError> {
        match self.dense_index_of(values)? {
            Some(_) => Ok(false),
            None => Ok(with_key_of_strs(values, |key| self.remove_key(key))),
        }
    }

    /// Removes every child of a dynamic family (and its overflow series), as
    /// [`remove`](Self::remove) does one.
    ///
    /// # Examples
    ///
    /// ```
    /// let f = coremeter::Family::<coremeter::DynLabels, coremeter::Counter>::with_label_names(&["method"])?;
    /// f.labels(&["GET"])?.inc();
    /// f.clear();
    /// assert!(f.is_empty());
    /// # Ok::<(), coremeter::LabelError>(())
    /// ```
    pub fn clear(&self) {
        self.shared.map.write().clear();
    }

    /// The number of children: all of a dense family's, the label sets a dynamic family holds
    /// (not counting the overflow series).
    ///
    /// # Examples
    ///
    /// ```
    /// let f = coremeter::Family::<coremeter::DynLabels, coremeter::Gauge>::with_label_names(&["q"])?;
    /// f.labels(&["a"])?.set(1);
    /// assert_eq!(f.len(), 1);
    /// # Ok::<(), coremeter::LabelError>(())
    /// ```
    pub fn len(&self) -> usize {
        match self.dense.len {
            0 => self.shared.map.read().live as usize,
            n => n,
        }
    }

    /// Whether the family has no children.
    ///
    /// # Examples
    ///
    /// ```
    /// let f = coremeter::Family::<coremeter::DynLabels, coremeter::Gauge>::with_label_names(&["q"])?;
    /// assert!(f.is_empty());
    /// # Ok::<(), coremeter::LabelError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks string values and, for a dense family, finds their index.
    fn dense_index_of(&self, values: &[&str]) -> Result<Option<usize>, LabelError> {
        let names = self.names();
        if values.len() != names.len() {
            return Err(LabelError::Count {
                family: crate::family_name::name(self.shared.registered_as.load(Ordering::Relaxed))
                    .map(str::to_owned),
                names: self.label_names().into_iter().map(str::to_owned).collect(),
                got: values.len(),
            });
        }
        let mut index = 0;
        for (i, &value) in values.iter().enumerate() {
            let Some(set) = L::VALUES.get(i).copied().flatten() else {
                continue;
            };
            let Some(digit) = set.iter().position(|s| *s == value) else {
                return Err(LabelError::UnknownValue {
                    label: names.get(i).to_owned(),
                    value: value.to_owned(),
                });
            };
            index = index * set.len() + digit;
        }
        Ok((self.dense.len > 0).then_some(index))
    }

    /// Looks `key` up in the dynamic map without a lock: the run id of its child, kept while the
    /// pin lives.
    #[inline(always)]
    fn find_pinned(&self, key: &[u8]) -> Option<(u32, Pin)> {
        let pin = Pin::new()?;
        let id = self.shared.map.find_pinned(hash(key), key, &pin)?;
        Some((id, pin))
    }

    /// The run of the child for `key` under the map's lock, owned (a new key, the overflow
    /// series, or a thread that cannot pin), inserting the key (or using the overflow series) if
    /// new.
    #[cold]
    fn run_locked(&self, hash: u64, key: &[u8]) -> CellRun {
        let shared = &*self.shared;
        {
            let map = shared.map.read();
            if let Some(slot) = map.find(hash, key) {
                return CellRun::clone_from_id(slot);
            }
            // Relaxed: see `with_limit`.
            if map.live >= shared.limit.load(Ordering::Relaxed)
                && let Some(overflow) = &map.overflow
            {
                overflow.folded.add(hash);
                return overflow.child.run().clone();
            }
        }
        let mut map = shared.map.write();
        if let Some(slot) = map.find(hash, key) {
            return CellRun::clone_from_id(slot);
        }
        let overflow_key = is_overflow_key(key, self.names().len());
        // A key that does not fit (a family's keys take at most 64 MiB) counts as past the limit.
        if overflow_key || map.live >= shared.limit.load(Ordering::Relaxed) || !map.fits(key) {
            if map.overflow.is_none() {
                map.changed();
            }
            let overflow = map.overflow.get_or_insert_with(|| {
                Box::new(Overflow {
                    child: new_child::<M>(&self.config),
                    folded: hyperloglog::HyperLogLog::new(),
                })
            });
            if !overflow_key {
                overflow.folded.add(hash);
            }
            return overflow.child.run().clone();
        }
        let run = CellRun::new_in(M::KIND, M::cells(&self.config));
        // The map keeps a reference of its own, as a run id.
        map.insert(hash, key, run.clone().into_id());
        run
    }

    fn remove_key(&self, key: &[u8]) -> bool {
        self.shared.map.write().remove(hash(key), key)
    }

    /// Collects a dense family: children in index order, labels from the fixed sets. Its
    /// series never change, so its version is always the same.
    fn collect_dense(&self, dense: &Dense, out: &mut SeriesWriter<'_>) {
        let config = &self.config;
        let (names, sets) = (self.names(), L::VALUES);
        out.family(
            M::shape(config),
            Some(SeriesListVersion(0)),
            |sink| {
                for i in 0..dense.len {
                    M::read(&dense.child::<M>(i, config), config, sink);
                }
            },
            (0..dense.len as u32).map(|index| FamilyLabels::Dense { names, sets, index }),
        );
    }

    /// Collects a dynamic family under its read lock: children in insertion order, then the
    /// overflow series. The lock keeps children from being removed (and their cells freed)
    /// while they are read.
    fn collect_dynamic(&self, out: &mut SeriesWriter<'_>) {
        let map = self.shared.map.read();
        let (config, names) = (&self.config, self.names());
        let overflow = map.overflow.as_ref().map(|o| o.child.run());
        out.family(
            M::shape(config),
            Some(SeriesListVersion(map.version)),
            |sink| {
                // The map holds the runs' references (it drops them only under the write lock).
                read_runs::<M>(map.entries().map(|(slot, _)| slot), config, sink);
                if let Some(run) = overflow {
                    M::read(run, config, sink);
                }
            },
            map.entries()
                .map(|(_, key)| FamilyLabels::Encoded { names, key })
                .chain(overflow.map(|_| FamilyLabels::Overflow { names })),
        );
    }
}

/// Reads the runs named by `ids` in bulk, each a series of `M`; the caller's store (a family's
/// map, a read plan) holds their references while they are read.
#[inline(always)]
pub(crate) fn read_runs<M: ChildMetric>(
    ids: impl IntoIterator<Item = u32>,
    config: &M::Config,
    sink: &mut WordSink<'_>,
) {
    let mut last = LastBlock::default();
    for id in ids {
        M::read(&CellRun::view_of_id(id, &mut last), config, sink);
    }
}

fn new_child<M: ChildMetric>(config: &M::Config) -> M {
    M::from_run(CellRun::new_in(M::KIND, M::cells(config)), config)
}

/// Whether every value of the key is the overflow value (such a label set always goes to the
/// overflow series, so it cannot appear twice).
fn is_overflow_key(key: &[u8], labels: usize) -> bool {
    labels > 0 && label::decode(key).all(|v| v == crate::OVERFLOW_LABEL_VALUE)
}

#[inline]
fn hash(key: &[u8]) -> u64 {
    static STATE: OnceLock<foldhash::fast::RandomState> = OnceLock::new();
    // `hash_one`, whose length prefix costs a last multiply that mixes the high bits (which the
    // overflow's HyperLogLog and the lookup table's slot tags use): without it the HyperLogLog
    // test failed.
    STATE.get_or_init(Default::default).hash_one(key)
}

impl<M: ChildMetric> Shared<M> {
    fn new(names: Option<Box<Box<[String]>>>) -> Self {
        Shared {
            names,
            registered_as: AtomicU32::new(0),
            limit: AtomicU32::new(DEFAULT_LIMIT as u32),
            map: DynMap::new(),
        }
    }
}

impl<L, M: ChildMetric> Clone for Family<L, M> {
    fn clone(&self) -> Self {
        Family {
            dense: self.dense.clone(),
            config: self.config,
            shared: crate::sync::Arc::clone(&self.shared),
            _labels: PhantomData,
        }
    }
}

impl<L: LabelSet, M: ChildMetric> fmt::Debug for Family<L, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Family")
            .field("labels", &self.label_names())
            .field("dense", &(self.dense.len > 0))
            .field("len", &self.len())
            .finish()
    }
}

impl<L, M: ChildMetric> sealed::Sealed for Family<L, M> {
    /// A dynamic family of a kind read in bulk, without an overflow series (whose estimate
    /// changes without a change of shape): its runs in the order a collection reads them.
    fn plan(&self) -> Option<FamilyPlan> {
        let shape = M::shape(&self.config);
        if self.dense.len > 0 || !shape.offered() {
            return None;
        }
        let map = self.shared.map.read();
        if map.overflow.is_some() {
            return None;
        }
        let mut runs = HeldRuns::default();
        for (slot, _) in map.entries() {
            runs.hold(slot);
        }
        Some(FamilyPlan {
            read: BulkRead {
                version: map.version,
                shape,
            },
            runs,
        })
    }

    fn overflowed(&self) -> Option<f64> {
        if self.dense.len > 0 {
            return None;
        }
        let map = self.shared.map.read();
        map.overflow.as_ref().map(|o| o.folded.estimate())
    }
}

impl<L: LabelSet + 'static, M: ChildMetric> Metric for Family<L, M> {
    fn metric_type(&self) -> MetricType {
        M::TYPE
    }

    fn collect(&self, out: &mut SeriesWriter<'_>) {
        if self.dense.len > 0 {
            self.collect_dense(&self.dense, out);
        } else {
            self.collect_dynamic(out);
        }
    }

    fn label_names(&self) -> Vec<String> {
        Family::label_names(self)
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    fn registered_as(&self, name: &str) {
        if self.shared.registered_as.load(Ordering::Relaxed) == 0 {
            let id = crate::family_name::intern(name);
            // The first registration names the family; a concurrent one may lose the race.
            let _ = self.shared.registered_as.compare_exchange(
                0,
                id,
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
    }
}
