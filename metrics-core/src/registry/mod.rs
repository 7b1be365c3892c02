//! Registries: named metrics and custom collectors, read together.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;

mod builder;
mod collection;
mod opts;

use crate::collect_error::CollectError;
use crate::custom::Collector;
use crate::metric::Metric;
use crate::name;
use crate::plan;
use crate::read::{Descriptor, Labels, MetricType, SampleSuffix};
use crate::registration::{RegistryError, check_family_name, unit_suffix};
use crate::sample::{Sample, SampleList};

use crate::sync::Ordering;
use crate::sync::unmodelled::{Arc, AtomicU64, Mutex, RwLock};
pub use builder::RegistryBuilder;
pub use opts::Opts;

/// The family every registry adds when a label family folds label sets into its overflow
/// series: a gauge with a `family` label, valued at the estimated number of distinct label sets
/// folded. Its name is reserved in every registry.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, DynLabels, Family, OVERFLOW_FAMILY, Opts, Registry};
///
/// let registry = Registry::new();
/// let f = Family::<DynLabels, Counter>::with_label_names(&["user"])?.with_limit(1);
/// registry.register(Opts::new("logins", "Logins."), f.clone())?;
/// for user in ["ada", "grace", "edsger"] {
///     f.labels(&[user])?.inc();
/// }
/// assert_eq!(registry.sample_value(OVERFLOW_FAMILY, &[("family", "logins")]), Some(2.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const OVERFLOW_FAMILY: &str = "coremeter_family_overflow_label_sets";

/// A set of named metrics and custom collectors that are read together, by a scrape or a test.
///
/// Registration checks names and returns an error, never panics: an invalid name or label name,
/// a type suffix written into the name (`_total` on a counter, `_bucket`/`_count`/`_sum` on a
/// histogram), a label the type uses itself (`le`, `quantile`) or that is also a constant label,
/// or a name that would produce a sample name another family already produces.
///
/// A registry can add a prefix to every name and constant labels to every series; see
/// [`Registry::builder`]. Most programs use the [`default_registry`](crate::default_registry).
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, Opts, Registry, RegistryError};
///
/// let registry = Registry::new();
/// let jobs = Counter::new();
/// registry.register(Opts::new("jobs", "Jobs run."), jobs.clone())?;
/// jobs.inc();
/// assert_eq!(registry.sample_value("jobs_total", &[]), Some(1.0));
///
/// let again = registry.register(Opts::new("jobs", "Again."), Counter::new());
/// assert!(matches!(again, Err(RegistryError::Duplicate { .. })));
/// # Ok::<(), RegistryError>(())
/// ```
pub struct Registry {
    prefix: Option<String>,
    const_labels: Vec<(String, String)>,
    target_labels: Vec<(String, String)>,
    state: RwLock<State>,
    /// The read plan for the current shape, if made (see [`crate::plan`]).
    plan: Mutex<plan::PlanCache<Entry>>,
    /// Told when a custom collector fails (see [`Registry::on_collect_error`]).
    on_collect_error: RwLock<Option<ErrorHook>>,
}

type ErrorHook = Arc<dyn Fn(&CollectError) + Send + Sync>;

struct State {
    /// Shared with the collections running (each holds the list it started with): registering
    /// copies the list only while one runs, and a collection takes one reference, not one per
    /// family.
    entries: Arc<Vec<Arc<Entry>>>,
    /// The type of every registered family, by name: enough to know every sample name they
    /// produce (see [`State::clash`]).
    types: HashMap<Cow<'static, str>, MetricType>,
    /// Where the families registered with [`Opts::declared_at`] are declared, by name.
    declared: HashMap<Cow<'static, str>, &'static str>,
}

/// A sample name that a new family would share with a registered one.
struct Clash {
    /// The sample name.
    sample: String,
    /// The registered family that produces it.
    family: String,
}

enum Entry {
    Metric {
        descriptor: Descriptor,
        metric: Box<dyn Metric>,
        /// The registry's constant labels, then the metric's own.
        constant: Vec<(String, String)>,
    },
    SeriesWriter {
        collector: Box<dyn Collector>,
        /// Its type's name, for errors.
        type_name: &'static str,
        /// The (prefixed) family names it produced at registration.
        names: Vec<String>,
    },
}

impl Entry {
    fn owns(&self, name: &str) -> bool {
        match self {
            Entry::Metric { descriptor, .. } => descriptor.name == name,
            Entry::SeriesWriter { names, .. } => names.iter().any(|n| n == name),
        }
    }
}

impl State {
    fn new() -> Self {
        State {
            entries: Arc::new(Vec::new()),
            types: HashMap::from([(Cow::Borrowed(OVERFLOW_FAMILY), MetricType::Gauge)]),
            declared: HashMap::new(),
        }
    }

    /// The first sample name that a family `name` of type `t` would share with a registered
    /// family, if any: the names its type adds suffixes to first (what the exposition shows:
    /// `x_total` for a counter `x`), then the bare name.
    fn clash(&self, name: &str, t: MetricType) -> Option<Clash> {
        let produced = t
            .produced_suffixes()
            .map(|s| format!("{name}{s}"))
            .chain(std::iter::once(String::from(name)));
        for sample in produced {
            // Another family's own name ...
            if self.types.contains_key(sample.as_str()) {
                let family = sample.clone();
                return Some(Clash { sample, family });
            }
            // ... or another family's name with one of its type's suffixes.
            for suffix in SampleSuffix::ALL.map(SampleSuffix::as_str) {
                let Some(base) = sample.strip_suffix(suffix).filter(|_| !suffix.is_empty()) else {
                    continue;
                };
                if self
                    .types
                    .get(base)
                    .is_some_and(|t| t.produced_suffixes().any(|s| s == suffix))
                {
                    let family = base.to_owned();
                    return Some(Clash { sample, family });
                }
            }
        }
        None
    }

    /// The error of a clash, naming where both families are declared when that is known.
    fn duplicate(&self, clash: Clash, declared_at: Option<&'static str>) -> RegistryError {
        RegistryError::Duplicate {
            declarations: (
                declared_at,
                self.declared.get(clash.family.as_str()).copied(),
            ),
            name: clash.sample,
            registered: clash.family,
        }
    }
}

impl Registry {
    /// An empty registry without prefix or constant labels.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = coremeter::Registry::new();
    /// assert!(registry.samples().is_empty());
    /// ```
    pub fn new() -> Self {
        Registry {
            prefix: None,
            const_labels: Vec::new(),
            target_labels: Vec::new(),
            state: RwLock::new(State::new()),
            plan: Mutex::new(plan::PlanCache::new()),
            on_collect_error: RwLock::new(None),
        }
    }

    /// A builder for a registry with a name prefix and constant labels.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Gauge, Opts, Registry};
    ///
    /// let registry = Registry::builder()
    ///     .prefix("shop")
    ///     .const_label("region", "eu-west")
    ///     .build()?;
    /// registry.register(Opts::new("carts", "Open carts."), Gauge::new())?;
    /// assert_eq!(registry.sample_value("shop_carts", &[("region", "eu-west")]), Some(0.0));
    /// # Ok::<(), coremeter::RegistryError>(())
    /// ```
    pub fn builder() -> RegistryBuilder {
        RegistryBuilder::default()
    }

    /// The prefix added to every name, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = coremeter::Registry::builder().prefix("shop").build()?;
    /// assert_eq!(registry.prefix(), Some("shop"));
    /// # Ok::<(), coremeter::RegistryError>(())
    /// ```
    pub fn prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }

    /// The constant labels added to every series, in order.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = coremeter::Registry::builder().const_label("zone", "eu").build()?;
    /// assert_eq!(registry.const_labels().iter().collect::<Vec<_>>(), [("zone", "eu")]);
    /// # Ok::<(), coremeter::RegistryError>(())
    /// ```
    pub fn const_labels(&self) -> Labels<'_> {
        Labels::new(&self.const_labels)
    }

    /// The labels that describe the target as a whole (service, version, host), exposed once as
    /// OpenMetrics' `target_info` rather than on every series; empty unless set with
    /// [`RegistryBuilder::target_label`].
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = coremeter::Registry::builder().target_label("service", "api").build()?;
    /// assert_eq!(registry.target_labels()[0].1, "api");
    /// # Ok::<(), coremeter::RegistryError>(())
    /// ```
    pub fn target_labels(&self) -> &[(String, String)] {
        &self.target_labels
    }

    /// Registers `metric` under the name and HELP of `opts`. The registry keeps the handle; keep a
    /// clone to update it (clones share their values).
    ///
    /// # Errors
    ///
    /// - [`RegistryError::InvalidName`] / [`RegistryError::InvalidUnit`]: the name (after
    ///   prefixes) or unit breaks the Prometheus data model (a state set's name must also be a
    ///   valid label name: it labels the states);
    /// - [`RegistryError::ReservedSuffix`]: the name ends with a suffix the type adds itself;
    /// - [`RegistryError::InvalidLabelName`], [`RegistryError::ReservedLabelName`],
    ///   [`RegistryError::DuplicateLabelName`]: a label name of the metric (a family's) is
    ///   invalid, used by the type itself, repeated, or also a constant label of the registry;
    /// - [`RegistryError::Duplicate`]: a registered family already produces one of the sample
    ///   names this one would.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Opts, Registry};
    ///
    /// let registry = Registry::new();
    /// let c = Counter::new();
    /// registry.register(Opts::new("jobs", "Jobs."), c.clone())?;
    /// c.inc();
    /// assert_eq!(registry.sample_value("jobs_total", &[]), Some(1.0));
    /// # Ok::<(), coremeter::RegistryError>(())
    /// ```
    pub fn register<M: Metric>(&self, mut opts: Opts, metric: M) -> Result<(), RegistryError> {
        let metric_type = metric.metric_type();
        let own_constants = std::mem::take(&mut opts.const_labels);
        let opts_declared_at = opts.declared_at;
        let descriptor = self.descriptor(opts, metric_type)?;
        let mut labels = metric.label_names();
        labels.extend(own_constants.iter().map(|(n, _)| n.clone()));
        if metric_type == MetricType::StateSet {
            name::check_label_name(&descriptor.name).map_err(|error| {
                RegistryError::InvalidName {
                    name: descriptor.name.to_string(),
                    error,
                }
            })?;
            labels.push(descriptor.name.to_string());
        }
        self.check_labels(labels.iter().map(String::as_str), metric_type)?;
        let mut state = write(&self.state);
        if let Some(clash) = state.clash(&descriptor.name, metric_type) {
            return Err(state.duplicate(clash, opts_declared_at));
        }
        state.types.insert(descriptor.name.clone(), metric_type);
        metric.registered_as(&descriptor.name);
        if let Some(place) = opts_declared_at {
            state.declared.insert(descriptor.name.clone(), place);
        }
        let mut constant = self.const_labels.clone();
        constant.extend(own_constants);
        Arc::make_mut(&mut state.entries).push(Arc::new(Entry::Metric {
            descriptor,
            metric: Box::new(metric),
            constant,
        }));
        plan::reshaped();
        Ok(())
    }

    /// Registers a custom collector. It is collected once now: the families it produces are
    /// checked as [`register`](Self::register) checks a metric and their names reserved (with the
    /// registry's prefix). At each scrape, families it produces under other names are included
    /// only if no registered family produces their sample names.
    ///
    /// # Errors
    ///
    /// As [`register`](Self::register), for any of the families.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Collector, GaugeMetricFamily, MetricFamily, Registry};
    ///
    /// struct Uptime;
    /// impl Collector for Uptime {
    ///     fn collect(&self) -> Vec<MetricFamily> {
    ///         let mut g = GaugeMetricFamily::new("uptime_seconds", "Uptime.", &[]).expect("valid");
    ///         g.add_metric(&[], 12.5).expect("no labels");
    ///         vec![g.into()]
    ///     }
    /// }
    /// let registry = Registry::new();
    /// registry.register_collector(Uptime)?;
    /// assert_eq!(registry.sample_value("uptime_seconds", &[]), Some(12.5));
    /// # Ok::<(), coremeter::RegistryError>(())
    /// ```
    pub fn register_collector<C: Collector>(&self, collector: C) -> Result<(), RegistryError> {
        let families = collector.collect();
        let mut checked: Vec<(Cow<'static, str>, MetricType)> = Vec::new();
        for family in &families {
            let d = &family.descriptor;
            let name = self.prefixed(&d.name);
            name::check_metric_name(&name).map_err(|error| RegistryError::InvalidName {
                name: name.to_string(),
                error,
            })?;
            self.check_labels(unique(family.label_names()), d.metric_type)?;
            if checked.iter().any(|(n, _)| n == &name) {
                return Err(RegistryError::Duplicate {
                    name: name.to_string(),
                    registered: name.into_owned(),
                    declarations: (None, None),
                });
            }
            checked.push((Cow::Owned(name.into_owned()), d.metric_type));
        }
        let mut state = write(&self.state);
        for (name, t) in &checked {
            if let Some(clash) = state.clash(name, *t) {
                return Err(state.duplicate(clash, None));
            }
        }
        let names = checked.iter().map(|(n, _)| n.to_string()).collect();
        state.types.extend(checked);
        Arc::make_mut(&mut state.entries).push(Arc::new(Entry::SeriesWriter {
            collector: Box::new(collector),
            type_name: std::any::type_name::<C>(),
            names,
        }));
        plan::reshaped();
        Ok(())
    }

    /// Checks a metric's label names: valid, not used by its type, not repeated, not a constant
    /// label of this registry.
    fn check_labels<'n>(
        &self,
        names: impl Iterator<Item = &'n str>,
        t: MetricType,
    ) -> Result<(), RegistryError> {
        let names: Vec<&str> = names.collect();
        crate::family::check_label_names(&names, t)?;
        if let Some(n) = names
            .iter()
            .find(|n| self.const_labels.iter().any(|(c, _)| c == *n))
        {
            return Err(RegistryError::DuplicateLabelName {
                name: (*n).to_owned(),
            });
        }
        Ok(())
    }

    fn prefixed<'a>(&self, name: &'a str) -> Cow<'a, str> {
        match &self.prefix {
            Some(p) => Cow::Owned(format!("{p}_{name}")),
            None => Cow::Borrowed(name),
        }
    }

    fn descriptor(&self, opts: Opts, metric_type: MetricType) -> Result<Descriptor, RegistryError> {
        let prefixes = [
            self.prefix.as_deref(),
            opts.namespace.as_deref(),
            opts.subsystem.as_deref(),
        ];
        let prefixes = prefixes.into_iter().flatten().filter(|p| !p.is_empty());
        let unit = match &opts.unit {
            Some(unit) => unit_suffix(&opts.name, unit)?,
            None => None,
        };
        // A static name with nothing to add stays borrowed: no allocation.
        let name: Cow<'static, str> = if prefixes.clone().next().is_none() && unit.is_none() {
            opts.name
        } else {
            let mut name = String::new();
            for part in prefixes {
                name.push_str(part);
                name.push('_');
            }
            name.push_str(&opts.name);
            if let Some(unit) = unit {
                name.push('_');
                name.push_str(unit);
            }
            Cow::Owned(name)
        };
        check_family_name(&name, metric_type)?;
        // Relaxed: the counter only has to hand out distinct numbers.
        static REGISTRATIONS: AtomicU64 = AtomicU64::new(1);
        Ok(Descriptor {
            name,
            help: opts.help,
            metric_type,
            unit: opts.unit,
            registration: REGISTRATIONS.fetch_add(1, Ordering::Relaxed),
        })
    }

    /// Removes the family registered under `name` (the full name, prefixes included), or the
    /// collector that produced it; returns whether there was one. Handles kept elsewhere keep
    /// working but are no longer read.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Opts, Registry};
    ///
    /// let registry = Registry::new();
    /// registry.register(Opts::new("jobs", "Jobs."), Counter::new())?;
    /// assert!(registry.unregister("jobs"));
    /// assert!(!registry.unregister("jobs"));
    /// assert_eq!(registry.sample_value("jobs_total", &[]), None);
    /// # Ok::<(), coremeter::RegistryError>(())
    /// ```
    pub fn unregister(&self, name: &str) -> bool {
        let mut state = write(&self.state);
        let Some(at) = state.entries.iter().position(|e| e.owns(name)) else {
            return false;
        };
        let entry = Arc::make_mut(&mut state.entries).remove(at);
        plan::reshaped();
        match &*entry {
            Entry::Metric { descriptor, .. } => {
                state.types.remove(&descriptor.name);
                state.declared.remove(&descriptor.name);
            }
            Entry::SeriesWriter { names, .. } => {
                for n in names {
                    state.types.remove(n.as_str());
                }
            }
        }
        drop(state);
        // The plan holds the entry: let it go now, not at the next collection.
        let stale = lock(&self.plan).plan.take();
        drop(stale);
        true
    }
}

impl Registry {
    /// Every sample as the text formats would show it (`_total`, `_bucket` with `le`, `_count`,
    /// `_sum`, ...), with values as `f64`: for tests, debugging and simple printing. Like
    /// Python's `registry.collect()` flattened to samples. The samples of a custom collector that
    /// fails are missing (see [`collect`](Self::collect)).
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Histogram, Opts, Registry};
    ///
    /// let registry = Registry::new();
    /// let h = Histogram::with_buckets(&[1.0])?;
    /// registry.register(Opts::new("size", "Sizes."), h.clone())?;
    /// h.observe(0.5);
    /// let names: Vec<String> = registry.samples().into_iter().map(|s| s.name).collect();
    /// assert_eq!(names, ["size_bucket", "size_bucket", "size_count", "size_sum"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn samples(&self) -> Vec<Sample> {
        let mut list = SampleList::new();
        // A failing collector's samples are missing; the hook was told.
        let _ = self.collect(&mut list);
        list.into_samples()
    }

    /// The value of the sample named `name` (with its suffix: `requests_total`,
    /// `latency_bucket`, `latency_count`) whose labels are exactly `labels` (in any order, the
    /// registry's constant labels included), or `None`: Python's `get_sample_value`. An `le`
    /// label matches numerically (`"1"` and `"1.0"` are the same bound; `"+Inf"` is the last).
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Histogram, Opts, Registry};
    ///
    /// let registry = Registry::new();
    /// let h = Histogram::with_buckets(&[0.5, 1.0])?;
    /// registry.register(Opts::new("latency", "Latency."), h.clone())?;
    /// h.observe(0.7);
    /// assert_eq!(registry.sample_value("latency_bucket", &[("le", "0.5")]), Some(0.0));
    /// assert_eq!(registry.sample_value("latency_bucket", &[("le", "1")]), Some(1.0));
    /// assert_eq!(registry.sample_value("latency_bucket", &[("le", "+Inf")]), Some(1.0));
    /// assert_eq!(registry.sample_value("latency_sum", &[]), Some(0.7));
    /// assert_eq!(registry.sample_value("latency_sum", &[("x", "y")]), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sample_value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.samples()
            .into_iter()
            .find(|s| s.name == name && s.has_labels(labels))
            .map(|s| s.value)
    }
}

/// Distinct names, in first-seen order.
fn unique<'a>(names: impl Iterator<Item = &'a str>) -> impl Iterator<Item = &'a str> {
    let mut seen = HashSet::new();
    names.filter(move |n| seen.insert(*n))
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let families: Vec<String> = read(&self.state)
            .entries
            .iter()
            .flat_map(|e| match &**e {
                Entry::Metric { descriptor, .. } => vec![descriptor.name.to_string()],
                Entry::SeriesWriter { names, .. } => names.clone(),
            })
            .collect();
        f.debug_struct("Registry")
            .field("prefix", &self.prefix)
            .field("const_labels", &self.const_labels)
            .field("families", &families)
            .finish()
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
