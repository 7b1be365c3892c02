//! Label families: one metric per label set.
//!
//! Two representations, chosen from the label set's type:
//!
//! - **Dense**, when every label has a fixed set of values ([`LabelValue::VALUES`](crate::LabelValue::VALUES)) and there are
//!   at most [`MAX_DENSE_SERIES`] combinations: every child exists from the start (so every series
//!   shows, at 0, before its first update) and [`Family::get`] is index arithmetic returning a
//!   borrowed child: no hash, no lock, no allocation, no reference count.
//! - **Dynamic** otherwise: a map from the encoded label values to children, behind a
//!   reader-writer lock. [`Family::get`] hashes the values, looks them up under the read lock and
//!   returns an owned handle (one reference-count increment) that may be kept; a new label set
//!   takes the write lock once. Past the family's [limit](Family::with_limit) (default
//!   [`DEFAULT_LIMIT`]), new label sets share one overflow series whose label values are all
//!   [`OVERFLOW_LABEL_VALUE`](crate::OVERFLOW_LABEL_VALUE).
//!
//! A dynamic child costs its cells, 4 bytes in the index, and its encoded values (their UTF-8
//! bytes plus one byte each, a 4-byte id and a length byte) in an arena that scrapes read in
//! insertion order.
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

use std::fmt;
use std::hash::BuildHasher;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::Deref;

use hashbrown::HashTable;

use crate::collect::{BulkKind, BulkSink, Collector, FamilyLabels, Layout, MetricType, Names};
use crate::label::{self, DenseIndex, LabelSet, with_key, with_key_of_strs};
use crate::metric::{Metric, sealed};
use crate::name::{self, NameError};
use crate::plan::{self, BulkRead, HeldRuns, Planned};
use crate::slab::{CELLS_PER_PAGE, CellRun, Kind, LastBlock};
use crate::sync::unmodelled::{AtomicU8, AtomicU32, OnceLock};
use crate::sync::{Ordering, RwLock, read, write};

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

pub(crate) mod child {
    use super::*;

    /// What a metric type provides to be a family's child (crate-private operations of the
    /// public, sealed [`FamilyMetric`](super::FamilyMetric)).
    pub trait Child: Metric + Clone {
        /// What every child of a family shares (a histogram's buckets, a state set's states).
        type Config: Copy + Send + Sync + fmt::Debug + 'static;
        /// Which slab its cells come from.
        const KIND: Kind;
        /// Its exposition type.
        const TYPE: MetricType;
        /// Its cells per series.
        fn cells(config: &Self::Config) -> usize;
        /// A handle over `run`.
        fn from_run(run: CellRun, config: &Self::Config) -> Self;
        /// The handle's run.
        fn run(&self) -> &CellRun;
        /// Reads the series kept in `run` (the child's cells) into `out`.
        fn collect_run(run: &CellRun, config: &Self::Config, out: &mut Collector<'_>);
        /// How the values of a family of this type are read in bulk, if they can be.
        const BULK: Option<BulkKind> = None;
        /// The bounds (for histograms) and words per series of the bulk values.
        fn bulk_layout(config: &Self::Config) -> (&'static [f64], usize) {
            let _ = config;
            (&[], 1)
        }
        /// Writes the series kept in `run` to `sink` (see [`BULK`](Self::BULK)).
        fn read_bulk(run: &CellRun, config: &Self::Config, sink: &mut BulkSink<'_>) {
            let _ = (run, config, sink);
        }
    }
}

/// A metric type that can be a [`Family`]'s child: every metric type of this crate except the
/// callback metrics ([`FnCounter`](crate::FnCounter), [`FnGauge`](crate::FnGauge)), whose value
/// is one callback's.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, DynLabels, Family, FamilyMetric, Gauge};
///
/// // Anything generic over a family's child type takes `M: FamilyMetric`.
/// fn series<M: FamilyMetric>(family: &Family<DynLabels, M>) -> usize {
///     family.len()
/// }
/// let jobs = Family::<DynLabels, Counter>::with_label_names(&["queue"])?;
/// let depth = Family::<DynLabels, Gauge>::with_label_names(&["queue"])?;
/// jobs.labels(&["email"])?.inc();
/// assert_eq!((series(&jobs), series(&depth)), (1, 0));
/// # Ok::<(), coremeter::LabelError>(())
/// ```
pub trait FamilyMetric: child::Child {}

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

/// A family's child, as [`Family::get`] returns it. It dereferences to the metric.
///
/// From a dense family it is a *view* of the family's cells: making and dropping it costs no
/// atomic operation, and it borrows the family. From a dynamic family it holds its own reference.
/// [`into_owned`](Self::into_owned) (or `clone()` on the metric) gives a handle that lives on its
/// own.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, DynLabels, Family};
///
/// let hits = Family::<DynLabels, Counter>::with_label_names(&["path"])?;
/// let child = hits.labels(&["/"])?;   // dereferences to the Counter
/// child.inc();
/// let owned: Counter = child.into_owned(); // keep it: later updates skip the lookup
/// owned.inc();
/// assert_eq!(hits.labels(&["/"])?.get(), 2);
/// # Ok::<(), coremeter::LabelError>(())
/// ```
pub struct Child<'a, M> {
    metric: M,
    _family: PhantomData<&'a ()>,
}

impl<M: FamilyMetric> Child<'_, M> {
    fn new(metric: M) -> Self {
        Child {
            metric,
            _family: PhantomData,
        }
    }

    /// A handle to the child that lives on its own (a clone if this is a view).
    ///
    /// # Examples
    ///
    /// ```
    /// #[derive(coremeter::LabelSet)]
    /// struct Path<'a> { path: &'a str }
    ///
    /// let f = coremeter::Family::<Path<'static>, coremeter::Counter>::new();
    /// let c: coremeter::Counter = f.get(&Path { path: "/" }).into_owned();
    /// c.inc();
    /// assert_eq!(f.get(&Path { path: "/" }).get(), 1);
    /// ```
    pub fn into_owned(self) -> M {
        if self.metric.run().is_view() {
            self.metric.clone()
        } else {
            self.metric
        }
    }
}

impl<M> Deref for Child<'_, M> {
    type Target = M;

    #[inline(always)]
    fn deref(&self) -> &M {
        &self.metric
    }
}

impl<M: fmt::Debug> fmt::Debug for Child<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.metric.fmt(f)
    }
}

/// The children of a dense family: runs of cells, each holding as many children as fit a shard
/// page (a power of two, see [`per_run_shift`]), `M::cells` cells per child. The first run is
/// kept inline, so finding a child of a small family costs the same loads as an unlabeled metric.
struct Dense {
    first: CellRun,
    rest: Box<[CellRun]>,
    len: usize,
}

/// Children per run of a dense family, as a power of two: the most whose `stride` cells each fit
/// one shard page. A constant for every metric type whose cell count does not depend on its
/// configuration, so the index arithmetic folds.
#[inline(always)]
fn per_run_shift(stride: usize) -> u32 {
    (CELLS_PER_PAGE / stride).max(1).ilog2()
}

impl Dense {
    /// The children of a dynamic family: none. `first` is a clone of one process-wide one-cell
    /// run, so that dense and dynamic families have the same layout and a dense `get` has no
    /// fallback path at all.
    fn empty() -> Self {
        #[cfg(not(loom))]
        let first = {
            static NONE: OnceLock<CellRun> = OnceLock::new();
            NONE.get_or_init(|| CellRun::new(1)).clone()
        };
        // Loom rebuilds the slab for every execution: no run may outlive one.
        #[cfg(loom)]
        let first = CellRun::new(1);
        Dense {
            first,
            rest: Box::default(),
            len: 0,
        }
    }

    fn new<M: FamilyMetric>(len: usize, config: &M::Config) -> Self {
        let stride = M::cells(config);
        let per_run = 1usize << per_run_shift(stride);
        let run = |k: usize| CellRun::new_in(M::KIND, per_run.min(len - k * per_run) * stride);
        Dense {
            first: run(0),
            rest: (1..len.div_ceil(per_run)).map(run).collect(),
            len,
        }
    }

    /// A view of child `i` (`i < len`).
    #[inline(always)]
    fn child<M: FamilyMetric>(&self, i: usize, config: &M::Config) -> CellRun {
        let stride = M::cells(config);
        let shift = per_run_shift(stride);
        let run = match i >> shift {
            0 => &self.first,
            chunk => self.rest.get(chunk - 1).unwrap_or(&self.first),
        };
        run.view((i & ((1 << shift) - 1)) * stride)
    }
}

impl Clone for Dense {
    fn clone(&self) -> Self {
        Dense {
            first: self.first.clone(),
            rest: self.rest.clone(),
            len: self.len,
        }
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
pub struct Family<L, M: FamilyMetric> {
    /// The children of a dense family; none (`len == 0`) for a dynamic family.
    dense: Dense,
    /// What the children share (kept here, not behind `shared`, so a dense `get` does not load
    /// through the `Arc`).
    config: M::Config,
    shared: crate::sync::Arc<Shared<M>>,
    _labels: PhantomData<fn(&L)>,
}

struct Shared<M: FamilyMetric> {
    /// Label names given at run time ([`DynLabels`] families), boxed: most families have none.
    names: Option<Box<Box<[String]>>>,
    /// The id of the full name under which the family was first registered (see
    /// [`crate::family_name`]), 0 before: for its errors.
    registered_as: AtomicU32,
    /// The cardinality limit of a dynamic family.
    limit: AtomicU32,
    map: RwLock<DynMap<M>>,
}

impl<L: LabelSet, M: FamilyMetric> Family<L, M> {
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

    /// The child for `labels`: for a dense family a borrowed child found by index arithmetic;
    /// for a dynamic one an owned handle, created at 0 on first use (or the overflow series once
    /// the family is at its limit).
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
            Child::new(M::from_run(
                self.dense.child::<M>(index.0, &self.config),
                &self.config,
            ))
        } else {
            with_key(labels, |key| self.get_key(key))
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
            let _ = with_key(labels, |key| self.get_key(key));
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

impl<L: LabelSet, M: FamilyMetric> Family<L, M> {
    /// Runs `op` (one of this crate's updates, never user code) on the child for `labels`:
    /// for a dynamic family on a view of it, under the map's read lock, so no reference count
    /// moves.
    #[inline]
    pub(crate) fn apply(&self, labels: &L, op: impl FnOnce(&M)) {
        if Self::DENSE {
            op(&self.get(labels));
        } else {
            with_key(labels, |key| self.apply_key(key, op));
        }
    }

    fn apply_key(&self, key: &[u8], op: impl FnOnce(&M)) {
        let hash = hash(key);
        {
            let map = read(&self.shared.map);
            if let Some(slot) = map.find(hash, key) {
                // The map's reference keeps the run alive while its read lock is held.
                let run = ManuallyDrop::new(CellRun::from_id(slot));
                op(&M::from_run(run.view(0), &self.config));
                return;
            }
        }
        op(&self.get_key(key));
    }
}

/// Writes a kind's in-place updates of a family (in the kind's own file).
macro_rules! in_place {
    ($m:ty { $($(#[$doc:meta])* fn $name:ident($($arg:ident: $t:ty),*) => $call:ident;)* }) => {
        /// In-place updates: the same as `get(labels).op(..)`, but a dynamic family updates the
        /// child under its read lock instead of making an owned handle, which saves the two
        /// reference-count operations of a handle (see `benches/README.md`). Only this crate's
        /// update runs under the lock.
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

impl<L: LabelSet, M: FamilyMetric> Default for Family<L, M>
where
    M::Config: Default,
{
    fn default() -> Self {
        Self::new()
    }
}

impl<M: FamilyMetric> Family<DynLabels, M> {
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

impl<L: LabelSet, M: FamilyMetric> Family<L, M> {
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
    pub fn labels(&self, values: &[&str]) -> Result<Child<'_, M>, LabelError> {
        match self.dense_index_of(values)? {
            Some(index) => Ok(Child::new(M::from_run(
                self.dense.child::<M>(index, &self.config),
                &self.config,
            ))),
            None => Ok(with_key_of_strs(values, |key| self.get_key(key))),
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
        let mut map = write(&self.shared.map);
        map.clear();
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
            0 => read(&self.shared.map).live as usize,
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

    /// Looks `key` up in the dynamic map, inserting it (or using the overflow series) if new.
    fn get_key(&self, key: &[u8]) -> Child<'_, M> {
        let hash = hash(key);
        let shared = &*self.shared;
        {
            let map = read(&shared.map);
            if let Some(slot) = map.find(hash, key) {
                return Child::new(M::from_run(CellRun::clone_from_id(slot), &self.config));
            }
            // Relaxed: see `with_limit`.
            if map.live >= shared.limit.load(Ordering::Relaxed)
                && let Some(overflow) = &map.overflow
            {
                overflow.folded.add(hash);
                return Child::new(overflow.child.clone());
            }
        }
        let mut map = write(&shared.map);
        if let Some(slot) = map.find(hash, key) {
            return Child::new(M::from_run(CellRun::clone_from_id(slot), &self.config));
        }
        let overflow_key = is_overflow_key(key, self.names().len());
        if overflow_key || map.live >= shared.limit.load(Ordering::Relaxed) {
            if map.overflow.is_none() {
                map.changed();
            }
            let overflow = map.overflow.get_or_insert_with(|| {
                Box::new(Overflow {
                    child: new_child::<M>(&self.config),
                    folded: Hll::new(),
                })
            });
            if !overflow_key {
                overflow.folded.add(hash);
            }
            return Child::new(overflow.child.clone());
        }
        let child = new_child::<M>(&self.config);
        // The map keeps a reference of its own, as a run id.
        map.insert(hash, key, child.run().clone().into_id());
        Child::new(child)
    }

    fn remove_key(&self, key: &[u8]) -> bool {
        let mut map = write(&self.shared.map);
        map.remove(hash(key), key)
    }

    /// Collects a dense family: children in index order, labels from the fixed sets. Its
    /// series never change, so its layout is always the same.
    fn collect_dense(&self, dense: &Dense, out: &mut Collector<'_>) {
        let config = &self.config;
        if let Some(kind) = M::BULK
            && out.bulk(Layout(0))
        {
            let (bounds, stride) = M::bulk_layout(config);
            out.values(kind, stride, bounds, |sink| {
                for i in 0..dense.len {
                    M::read_bulk(&dense.child::<M>(i, config), config, sink);
                }
            });
            return;
        }
        let (names, sets) = (self.names(), L::VALUES);
        let first = FamilyLabels::Dense {
            names,
            sets,
            index: 0,
        };
        out.with_labels(first, |out| {
            for i in 0..dense.len {
                let index = i as u32;
                out.set_own(FamilyLabels::Dense { names, sets, index });
                M::collect_run(&dense.child::<M>(i, config), config, out);
            }
        });
    }

    /// Collects a dynamic family under its read lock: children in insertion order, then the
    /// overflow series. The lock keeps children from being removed (and their cells freed)
    /// while they are read.
    fn collect_dynamic(&self, out: &mut Collector<'_>) {
        let shared = &*self.shared;
        let map = read(&shared.map);
        let config = &self.config;
        if let Some(kind) = M::BULK
            && out.bulk(Layout(map.version))
        {
            let (bounds, stride) = M::bulk_layout(config);
            out.values(kind, stride, bounds, |sink| {
                // The map holds the runs' references (see below).
                read_runs::<M>(map.entries().map(|(slot, _)| slot), config, sink);
                if let Some(overflow) = &map.overflow {
                    M::read_bulk(overflow.child.run(), config, sink);
                }
            });
            return;
        }
        let names = self.names();
        out.with_labels(FamilyLabels::Encoded { names, key: &[] }, |out| {
            for (slot, key) in map.entries() {
                out.set_own(FamilyLabels::Encoded { names, key });
                // The map holds a reference to the run (it is only dropped under the write
                // lock), so this borrowed handle needs none of its own.
                let run = ManuallyDrop::new(CellRun::from_id(slot));
                M::collect_run(&run, config, out);
            }
            if let Some(overflow) = &map.overflow {
                out.set_own(FamilyLabels::Overflow { names });
                overflow.child.collect(out);
            }
        });
    }
}

/// Reads the runs named by `ids` in bulk, each a series of `M`; the caller's store (a family's
/// map, a read plan) holds their references while they are read.
#[inline(always)]
pub(crate) fn read_runs<M: FamilyMetric>(
    ids: impl IntoIterator<Item = u32>,
    config: &M::Config,
    sink: &mut BulkSink<'_>,
) {
    let mut last = LastBlock::default();
    for id in ids {
        M::read_bulk(&CellRun::view_of_id(id, &mut last), config, sink);
    }
}

fn new_child<M: FamilyMetric>(config: &M::Config) -> M {
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
    STATE.get_or_init(Default::default).hash_one(key)
}

impl<M: FamilyMetric> Shared<M> {
    fn new(names: Option<Box<Box<[String]>>>) -> Self {
        Shared {
            names,
            registered_as: AtomicU32::new(0),
            limit: AtomicU32::new(DEFAULT_LIMIT as u32),
            map: RwLock::new(DynMap::new()),
        }
    }
}

impl<L, M: FamilyMetric> Clone for Family<L, M> {
    fn clone(&self) -> Self {
        Family {
            dense: self.dense.clone(),
            config: self.config,
            shared: crate::sync::Arc::clone(&self.shared),
            _labels: PhantomData,
        }
    }
}

impl<L: LabelSet, M: FamilyMetric> fmt::Debug for Family<L, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Family")
            .field("labels", &self.label_names())
            .field("dense", &(self.dense.len > 0))
            .field("len", &self.len())
            .finish()
    }
}

impl<L, M: FamilyMetric> sealed::Sealed for Family<L, M> {
    /// A dynamic family of a kind read in bulk, without an overflow series (whose estimate
    /// changes without a change of shape): its runs in the order a collection reads them.
    fn plan(&self) -> Option<Planned> {
        let kind = M::BULK?;
        if self.dense.len > 0 {
            return None;
        }
        let map = read(&self.shared.map);
        if map.overflow.is_some() {
            return None;
        }
        let (bounds, stride) = M::bulk_layout(&self.config);
        let mut runs = HeldRuns::default();
        for (slot, _) in map.entries() {
            runs.hold(slot);
        }
        Some(Planned {
            read: BulkRead {
                layout: map.version,
                kind,
                stride,
                bounds,
            },
            runs,
        })
    }

    fn overflowed(&self) -> Option<f64> {
        if self.dense.len > 0 {
            return None;
        }
        let map = read(&self.shared.map);
        map.overflow.as_ref().map(|o| o.folded.estimate())
    }
}

impl<L: LabelSet + 'static, M: FamilyMetric> Metric for Family<L, M> {
    fn metric_type(&self) -> MetricType {
        M::TYPE
    }

    fn collect(&self, out: &mut Collector<'_>) {
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

/// Checks run-time label names: the data model, no duplicates, none the type uses.
pub(crate) fn check_label_names(names: &[&str], t: MetricType) -> Result<(), LabelError> {
    for (i, &n) in names.iter().enumerate() {
        name::check_label_name(n).map_err(|error| LabelError::InvalidName {
            name: n.to_owned(),
            error,
        })?;
        if t.reserved_labels().contains(&n) {
            return Err(LabelError::ReservedName {
                name: n.to_owned(),
                metric_type: t,
            });
        }
        if names[..i].contains(&n) {
            return Err(LabelError::DuplicateName { name: n.to_owned() });
        }
    }
    Ok(())
}

/// Why label names or values were refused.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, DynLabels, Family, LabelError};
///
/// let f = Family::<DynLabels, Counter>::with_label_names(&["method", "code"])?;
/// let registry = coremeter::Registry::new();
/// registry.register(coremeter::Opts::new("requests", "Requests."), f.clone())?;
/// assert_eq!(
///     f.labels(&["GET"]).unwrap_err().to_string(),
///     "family \"requests\" has 2 label names [\"method\", \"code\"], and 1 label values were given",
/// );
/// assert!(matches!(
///     Family::<DynLabels, Counter>::with_label_names(&["__name"]),
///     Err(LabelError::InvalidName { .. })
/// ));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LabelError {
    /// A label name breaks the data model.
    InvalidName {
        /// The name.
        name: String,
        /// What is wrong with it.
        error: NameError,
    },
    /// A label name that the metric type uses itself.
    ReservedName {
        /// The name.
        name: String,
        /// The type that uses it.
        metric_type: MetricType,
    },
    /// A label name given twice.
    DuplicateName {
        /// The name.
        name: String,
    },
    /// Not as many values as label names.
    Count {
        /// The family's full name, once a registry has taken it.
        family: Option<String>,
        /// Its label names, in order (as many values are expected).
        names: Vec<String>,
        /// How many values were given.
        got: usize,
    },
    /// A value outside a label's fixed set of values.
    UnknownValue {
        /// The label.
        label: String,
        /// The value.
        value: String,
    },
}

impl fmt::Display for LabelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LabelError::InvalidName { name, error } => f.write_str(&error.describe("label", name)),
            LabelError::ReservedName { name, metric_type } => {
                write!(
                    f,
                    "label name {name:?} is used by {metric_type} series themselves"
                )
            }
            LabelError::DuplicateName { name } => {
                write!(f, "label name {name:?} is given more than once")
            }
            LabelError::Count { family, names, got } => {
                match family {
                    Some(family) => write!(f, "family {family:?}")?,
                    None => f.write_str("a family not registered yet")?,
                }
                write!(
                    f,
                    " has {} label names {names:?}, and {got} label values were given",
                    names.len()
                )
            }
            LabelError::UnknownValue { label, value } => {
                write!(f, "{value:?} is not one of the values of label {label:?}")
            }
        }
    }
}

impl std::error::Error for LabelError {}

/// The children of a dynamic family: encoded keys in an arena, found through a hash index.
///
/// Arena entry: `[run id: u32 LE, u32::MAX once removed][key length: LEB128][key bytes]`; the
/// index holds each live entry's offset.
struct DynMap<M> {
    index: HashTable<u32>,
    arena: Vec<u8>,
    /// Changes with every change of the list of series (see `Layout`).
    version: u64,
    live: u32,
    /// Bytes of removed entries, reclaimed by compaction.
    garbage: u32,
    overflow: Option<Box<Overflow<M>>>,
}

/// A family's overflow series and how many distinct label sets went to it.
struct Overflow<M> {
    child: M,
    folded: Hll,
}

const REMOVED: u32 = u32::MAX;

impl<M> DynMap<M> {
    fn new() -> Self {
        DynMap {
            index: HashTable::new(),
            arena: Vec::new(),
            version: 0,
            live: 0,
            garbage: 0,
            overflow: None,
        }
    }

    /// The run id and key of the entry at `at`, and where the next entry starts.
    #[inline]
    fn entry(arena: &[u8], at: usize) -> (u32, &[u8], usize) {
        let (id, rest) = arena[at..].split_at(4);
        let id = u32::from_le_bytes([id[0], id[1], id[2], id[3]]);
        let (len, skip) = match rest[0] {
            short @ 0..0x80 => (usize::from(short), 1),
            _ => read_len(rest),
        };
        let start = at + 4 + skip;
        (id, &arena[start..start + len], start + len)
    }

    /// The run id of the entry for `key`, if there is one.
    #[inline]
    fn find(&self, hash: u64, key: &[u8]) -> Option<u32> {
        let arena = &self.arena;
        let at = *self
            .index
            .find(hash, |&at| same_key(Self::entry(arena, at as usize).1, key))?;
        let at = at as usize;
        Some(u32::from_le_bytes([
            arena[at],
            arena[at + 1],
            arena[at + 2],
            arena[at + 3],
        ]))
    }

    /// Records a change of the list of series: a new layout, a new shape (see [`crate::plan`]).
    fn changed(&mut self) {
        self.version += 1;
        plan::reshaped();
    }

    fn insert(&mut self, hash: u64, key: &[u8], id: u32) {
        self.changed();
        let at = self.arena.len();
        let needed = 4 + 5 + key.len();
        if self.arena.capacity() - at < needed {
            // Grow by half, not double: the arena is the bulk of a dynamic family's memory.
            let extra = needed.max(self.arena.capacity() / 2);
            self.arena.reserve_exact(extra);
        }
        self.arena.extend_from_slice(&id.to_le_bytes());
        write_len(&mut self.arena, key.len());
        self.arena.extend_from_slice(key);
        let arena = &self.arena;
        self.index.insert_unique(hash, at as u32, |&at| {
            self::hash(Self::entry(arena, at as usize).1)
        });
        self.live += 1;
    }

    fn remove(&mut self, hash: u64, key: &[u8]) -> bool {
        let arena = &self.arena;
        let Ok(found) = self
            .index
            .find_entry(hash, |&at| Self::entry(arena, at as usize).1 == key)
        else {
            return false;
        };
        let (at, _) = found.remove();
        self.changed();
        let at = at as usize;
        let (id, _, next) = Self::entry(&self.arena, at);
        self.arena[at..at + 4].copy_from_slice(&REMOVED.to_le_bytes());
        self.live -= 1;
        self.garbage += (next - at) as u32;
        // The map's reference: the cells are freed once no handle is left.
        drop(CellRun::from_id(id));
        if self.garbage as usize > self.arena.len() / 2 {
            self.compact();
        }
        true
    }

    /// Rewrites the arena without removed entries and rebuilds the index.
    fn compact(&mut self) {
        let old = std::mem::take(&mut self.arena);
        self.arena.reserve_exact(old.len() - self.garbage as usize);
        self.index.clear();
        let mut at = 0;
        while at < old.len() {
            let (id, key, next) = Self::entry(&old, at);
            if id != REMOVED {
                self.insert(hash(key), key, id);
                self.live -= 1;
            }
            at = next;
        }
        self.garbage = 0;
    }

    fn clear(&mut self) {
        for (id, _) in self.entries() {
            drop(CellRun::from_id(id));
        }
        self.index = HashTable::new();
        self.arena = Vec::new();
        self.changed();
        self.live = 0;
        self.garbage = 0;
        self.overflow = None;
    }

    /// Live entries, in insertion order.
    fn entries(&self) -> impl Iterator<Item = (u32, &[u8])> {
        let arena = &self.arena;
        let mut at = 0;
        std::iter::from_fn(move || {
            while at < arena.len() {
                let (id, key, next) = Self::entry(arena, at);
                at = next;
                if id != REMOVED {
                    return Some((id, key));
                }
            }
            None
        })
    }
}

impl<M> Drop for DynMap<M> {
    fn drop(&mut self) {
        for (id, _) in self.entries() {
            drop(CellRun::from_id(id));
        }
    }
}

/// Whether two keys are equal: keys of up to 32 bytes (most label values) with overlapping
/// 8-byte comparisons instead of a call to `memcmp`.
#[inline(always)]
fn same_key(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let n = a.len();
    let word = |s: &[u8], at: usize| {
        u64::from_ne_bytes(
            s.get(at..at + 8)
                .and_then(|w| w.try_into().ok())
                .unwrap_or([0; 8]),
        )
    };
    let eq = |at: usize| word(a, at) == word(b, at);
    match n {
        0..8 => a == b,
        8..=16 => eq(0) && eq(n - 8),
        17..=32 => eq(0) && eq(8) && eq(n - 16) && eq(n - 8),
        _ => a == b,
    }
}

fn write_len(out: &mut Vec<u8>, mut len: usize) {
    while len >= 0x80 {
        out.push((len as u8) | 0x80);
        len >>= 7;
    }
    out.push(len as u8);
}

/// Reads a LEB128 length at the start of `bytes`: (length, bytes it took).
fn read_len(bytes: &[u8]) -> (usize, usize) {
    let mut len = 0;
    for (i, &b) in bytes.iter().enumerate() {
        len |= usize::from(b & 0x7F) << (7 * i);
        if b < 0x80 {
            return (len, i + 1);
        }
    }
    (len, bytes.len())
}

/// A HyperLogLog sketch of the label sets folded into an overflow series: 1,024 one-byte
/// registers (standard error about 3%), updated with atomic maxima so that overflowed updates
/// need only the map's read lock.
struct Hll {
    registers: Box<[AtomicU8]>,
}

impl Hll {
    const BITS: u32 = 10;

    fn new() -> Self {
        Hll {
            registers: (0..1 << Self::BITS).map(|_| AtomicU8::new(0)).collect(),
        }
    }

    fn add(&self, hash: u64) {
        let register = &self.registers[(hash >> (64 - Self::BITS)) as usize];
        // The rank of the first 1 bit in the rest of the hash (a sentinel bit bounds it).
        let rest = (hash << Self::BITS) | (1 << (Self::BITS - 1));
        let rank = rest.leading_zeros() as u8 + 1;
        // Relaxed: a register is an independent maximum; reads tolerate any staleness.
        if register.load(std::sync::atomic::Ordering::Relaxed) < rank {
            register.fetch_max(rank, std::sync::atomic::Ordering::Relaxed);
        }
    }

    fn estimate(&self) -> f64 {
        let m = self.registers.len() as f64;
        let (mut sum, mut zeros) = (0.0, 0usize);
        for r in self.registers.iter() {
            let r = r.load(std::sync::atomic::Ordering::Relaxed);
            sum += 1.0 / f64::from(1u32 << r.min(31));
            zeros += usize::from(r == 0);
        }
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let raw = alpha * m * m / sum;
        if raw <= 2.5 * m && zeros > 0 {
            // Linear counting is more accurate for small counts.
            m * (m / zeros as f64).ln()
        } else {
            raw
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn lengths_round_trip() {
        for len in [0, 1, 127, 128, 300, 16_383, 16_384, 1 << 21] {
            let mut v = vec![9];
            write_len(&mut v, len);
            assert_eq!(read_len(&v[1..]), (len, v.len() - 1));
        }
    }

    #[test]
    fn same_key_compares_every_byte() {
        let base: Vec<u8> = (0..40).collect();
        for n in 0..40 {
            let a = &base[..n];
            assert!(same_key(a, a));
            for i in 0..n {
                let mut b = a.to_vec();
                b[i] ^= 1;
                assert!(!same_key(a, &b), "{n} {i}");
            }
            assert!(!same_key(a, &base[..n + 1]));
        }
    }

    #[test]
    fn hll_is_within_five_standard_errors() {
        // 1,024 registers: a standard error of 1.04 / 32 = 3.25%, under a hash seeded anew in
        // each process; within 5 of them, chance fails about once in a million runs (10% failed
        // 2 runs in 200 when measured).
        let bound = 5.0 * 1.04 / 32.0;
        for n in [10u64, 1_000, 100_000] {
            let h = Hll::new();
            for i in 0..n {
                h.add(hash(&i.to_le_bytes()));
            }
            let e = h.estimate();
            assert!((e - n as f64).abs() <= bound * n as f64, "{n}: {e}");
        }
        assert_eq!(Hll::new().estimate(), 0.0);
    }

    #[test]
    fn map_insert_remove_compact() {
        let mut map = DynMap::<crate::Counter>::new();
        let runs: Vec<CellRun> = (0..10).map(|_| CellRun::new(1)).collect();
        let keys: Vec<Vec<u8>> = (0..10)
            .map(|i| with_key_of_strs(&[&format!("v{i}")], <[u8]>::to_vec))
            .collect();
        for (run, key) in runs.iter().zip(&keys) {
            map.insert(hash(key), key, run.clone().into_id());
        }
        assert_eq!(map.live, 10);
        for (run, key) in runs.iter().zip(&keys) {
            assert_eq!(map.find(hash(key), key), Some(run.id()));
        }
        for key in &keys[..6] {
            assert!(map.remove(hash(key), key));
            assert!(!map.remove(hash(key), key));
        }
        // More than half garbage: compacted.
        assert_eq!(map.garbage, 0);
        assert_eq!(map.live, 4);
        let left: Vec<u32> = map.entries().map(|(id, _)| id).collect();
        assert_eq!(left, runs[6..].iter().map(CellRun::id).collect::<Vec<_>>());
        for (run, key) in runs[6..].iter().zip(&keys[6..]) {
            assert_eq!(map.find(hash(key), key), Some(run.id()));
        }
        assert_eq!(map.find(hash(&keys[0]), &keys[0]), None);
    }
}
