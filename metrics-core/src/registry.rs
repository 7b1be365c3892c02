//! Registries: named metrics and custom collectors, read together.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::collect::{
    Buffers, BulkKind, BulkSink, Collector, Descriptor, FamilyLabels, Labels, Layout, MetricType,
    Number, Value, Visitor,
};
use crate::collect_error::{self, CollectError};
use crate::custom::{Collect, MetricFamily};
use crate::metric::Metric;
use crate::name;
use crate::plan;
use crate::registration::{RegistryError, check_family_name, unit_suffix};
use crate::reset::{ReadMode, Reset};
use crate::sample::{Sample, SampleList};
use crate::sync::Ordering;
use crate::sync::unmodelled::{Arc, AtomicU64, Mutex, RwLock};

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

/// The name, HELP text and naming options of a metric being registered.
///
/// The registered name is `[registry prefix_][namespace_][subsystem_]name[_unit]`: the unit is
/// appended unless the name already ends with it, as Python's client does. Type suffixes are not
/// part of it: a counter named `requests` is exposed as `requests_total`.
///
/// # Examples
///
/// ```
/// use coremeter::{Histogram, Opts, Registry};
///
/// let registry = Registry::new();
/// let opts = Opts::new("request_duration", "Time to serve a request.")
///     .namespace("shop")
///     .subsystem("http")
///     .unit("seconds");
/// registry.register(opts, Histogram::new())?;
/// assert!(registry.sample_value("shop_http_request_duration_seconds_count", &[]).is_some());
/// # Ok::<(), coremeter::RegistryError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opts {
    name: Cow<'static, str>,
    help: Cow<'static, str>,
    namespace: Option<Cow<'static, str>>,
    subsystem: Option<Cow<'static, str>>,
    unit: Option<Cow<'static, str>>,
    const_labels: Vec<(String, String)>,
    declared_at: Option<&'static str>,
}

impl Opts {
    /// A name and its HELP text (Prometheus' own lint asks for HELP on every metric).
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Opts, Registry};
    ///
    /// let registry = Registry::new();
    /// registry.register(Opts::new("jobs", "Jobs run."), Counter::new())?;
    /// assert_eq!(registry.sample_value("jobs_total", &[]), Some(0.0));
    /// # Ok::<(), coremeter::RegistryError>(())
    /// ```
    pub fn new(name: impl Into<Cow<'static, str>>, help: impl Into<Cow<'static, str>>) -> Self {
        Opts {
            name: name.into(),
            help: help.into(),
            namespace: None,
            subsystem: None,
            unit: None,
            const_labels: Vec::new(),
            declared_at: None,
        }
    }

    /// Adds a label with a fixed value to every series of this metric, after the registry's
    /// constant labels (what `#[metrics(const_labels(..))]` sets for a struct's metrics).
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Opts, Registry};
    ///
    /// let registry = Registry::new();
    /// let c = Counter::new();
    /// registry.register(Opts::new("jobs", "Jobs.").const_label("queue", "email"), c.clone())?;
    /// c.inc();
    /// assert_eq!(registry.sample_value("jobs_total", &[("queue", "email")]), Some(1.0));
    /// # Ok::<(), coremeter::RegistryError>(())
    /// ```
    pub fn const_label(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.const_labels.push((name.into(), value.into()));
        self
    }

    /// Sets the namespace, the first part of the name (after the registry's prefix).
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Gauge, Opts, Registry};
    ///
    /// let registry = Registry::new();
    /// registry.register(Opts::new("depth", "Depth.").namespace("queue"), Gauge::new())?;
    /// assert!(registry.sample_value("queue_depth", &[]).is_some());
    /// # Ok::<(), coremeter::RegistryError>(())
    /// ```
    pub fn namespace(mut self, namespace: impl Into<Cow<'static, str>>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Sets the subsystem, the part between namespace and name.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Gauge, Opts, Registry};
    ///
    /// let registry = Registry::new();
    /// let opts = Opts::new("depth", "Depth.").namespace("app").subsystem("queue");
    /// registry.register(opts, Gauge::new())?;
    /// assert!(registry.sample_value("app_queue_depth", &[]).is_some());
    /// # Ok::<(), coremeter::RegistryError>(())
    /// ```
    pub fn subsystem(mut self, subsystem: impl Into<Cow<'static, str>>) -> Self {
        self.subsystem = Some(subsystem.into());
        self
    }

    /// Sets the unit (`seconds`, `bytes`, ...): the name gets the suffix `_<unit>` unless it has
    /// it already, and the exposition declares it where the format can (OpenMetrics `# UNIT`).
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Histogram, Opts, Registry};
    ///
    /// let registry = Registry::new();
    /// registry.register(Opts::new("latency", "Latency.").unit("seconds"), Histogram::new())?;
    /// assert_eq!(registry.sample_value("latency_seconds_count", &[]), Some(0.0));
    /// # Ok::<(), coremeter::RegistryError>(())
    /// ```
    pub fn unit(mut self, unit: impl Into<Cow<'static, str>>) -> Self {
        self.unit = Some(unit.into());
        self
    }

    /// Where the metric is declared in the program (`#[derive(Metrics)]` gives
    /// `crate::module::Struct.field`): named by [`RegistryError::Duplicate`] when two families
    /// produce one sample name.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Opts, Registry, RegistryError};
    ///
    /// let registry = Registry::new();
    /// registry.register(Opts::new("jobs", "Jobs.").declared_at("app::Jobs.done"), Counter::new())?;
    /// let again = Opts::new("jobs", "Jobs.").declared_at("app::Batch.done");
    /// let err = registry.register(again, Counter::new()).unwrap_err();
    /// assert!(err.to_string().contains("app::Batch.done"));
    /// assert!(err.to_string().contains("app::Jobs.done"));
    /// # Ok::<(), RegistryError>(())
    /// ```
    pub fn declared_at(mut self, place: &'static str) -> Self {
        self.declared_at = Some(place);
        self
    }
}

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
    plan: Mutex<plan::Slot<Entry>>,
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

/// What one collection carries from entry to entry.
struct Pass<'a> {
    visitor: &'a mut dyn Visitor,
    mode: ReadMode<'a>,
    buffers: Box<Buffers>,
    /// The label families that overflowed, with their estimates.
    overflowed: Vec<(String, f64)>,
    /// The first custom collector that failed.
    failed: Option<CollectError>,
}

impl Pass<'_> {
    /// Reads `metric`, whose family the visitor was just given, and notes its overflow
    /// estimate if it has one.
    fn read(
        &mut self,
        descriptor: &Descriptor,
        metric: &dyn Metric,
        constant: &[(String, String)],
    ) {
        let labels = Labels::new(constant);
        let mut out = Collector::new(
            &mut *self.visitor,
            labels,
            self.mode.reborrow(),
            &mut self.buffers,
        );
        metric.collect(&mut out);
        if let Some(n) = metric.overflowed() {
            self.overflowed.push((descriptor.name.to_string(), n));
        }
    }

    /// Reads a label family of a read plan: its values in bulk from the plan's `runs` if the
    /// visitor takes them, else the long way.
    fn read_planned(&mut self, bulk: &plan::Bulk<Entry>, runs: &plan::HeldRuns) {
        let plan::Bulk {
            descriptor,
            read,
            entry,
            ..
        } = bulk;
        if !self.visitor.wants(descriptor) {
            return;
        }
        self.visitor.family(descriptor);
        let layout = Layout(read.layout);
        if self.visitor.bulk(layout) {
            let mut out = Collector::new(
                &mut *self.visitor,
                Labels::new(&[]),
                self.mode.reborrow(),
                &mut self.buffers,
            );
            let ids = runs.ids(bulk.runs.clone());
            out.values(read.kind, read.stride, read.bounds, |sink| {
                read_planned(read.kind, read.bounds, ids, sink);
            });
        } else if let Entry::Metric {
            metric, constant, ..
        } = &**entry
        {
            // The long way (the entry is touched only now: the plan spares a bulk read that
            // walk). The family's own offer of the same layout gets the answer given.
            let mut out = Collector::new(
                &mut *self.visitor,
                Labels::new(constant),
                self.mode.reborrow(),
                &mut self.buffers,
            );
            out.answered(layout, false);
            metric.collect(&mut out);
        }
    }
}

/// Reads the runs named by `ids`, of series of `kind`, in bulk: what a label family's bulk
/// collection reads, from a read plan (see [`crate::plan`]), whose references keep the runs.
fn read_planned(kind: BulkKind, bounds: &'static [f64], ids: &[u32], sink: &mut BulkSink<'_>) {
    use crate::family::read_runs;
    let ids = ids.iter().copied();
    match kind {
        BulkKind::Counter => read_runs::<crate::Counter>(ids, &(), sink),
        BulkKind::FloatCounter => read_runs::<crate::FloatCounter>(ids, &(), sink),
        BulkKind::Gauge => read_runs::<crate::Gauge>(ids, &(), sink),
        BulkKind::FloatGauge => read_runs::<crate::FloatGauge>(ids, &(), sink),
        BulkKind::Histogram => {
            read_runs::<crate::Histogram>(ids, &crate::Buckets::interned(bounds), sink)
        }
    }
}

enum Entry {
    Metric {
        descriptor: Descriptor,
        metric: Box<dyn Metric>,
        /// The registry's constant labels, then the metric's own.
        constant: Vec<(String, String)>,
    },
    Collector {
        collector: Box<dyn Collect>,
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
            Entry::Collector { names, .. } => names.iter().any(|n| n == name),
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
            .suffixes()
            .iter()
            .map(|s| format!("{name}{s}"))
            .chain(std::iter::once(String::from(name)));
        for sample in produced {
            // Another family's own name ...
            if self.types.contains_key(sample.as_str()) {
                let family = sample.clone();
                return Some(Clash { sample, family });
            }
            // ... or another family's name with one of its type's suffixes.
            for suffix in MetricType::ALL_SUFFIXES {
                let Some(base) = sample.strip_suffix(suffix) else {
                    continue;
                };
                if self
                    .types
                    .get(base)
                    .is_some_and(|t| t.suffixes().contains(&suffix))
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
            plan: Mutex::new(plan::Slot::new()),
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
    /// use coremeter::{Collect, GaugeMetricFamily, MetricFamily, Registry};
    ///
    /// struct Uptime;
    /// impl Collect for Uptime {
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
    pub fn register_collector<C: Collect>(&self, collector: C) -> Result<(), RegistryError> {
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
        Arc::make_mut(&mut state.entries).push(Arc::new(Entry::Collector {
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
            Entry::Collector { names, .. } => {
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

    /// Reads every family into `visitor`, in registration order: [`Visitor::family`] for each,
    /// then [`Visitor::series`] for each of its series, with values summed over shards. If a label
    /// family overflowed, a gauge family [`OVERFLOW_FAMILY`] follows.
    ///
    /// The registry's lock is held only to take a reference to the list of families, so metrics
    /// can be registered while a collection runs (they show from the next one).
    ///
    /// A registry collected twice while the process' metrics keep their shape (no registration or
    /// unregistration, no label set inserted into or removed from a label family) keeps a read
    /// plan: the ids of its label families' cells, read directly by the next collections instead
    /// of through each family's structures, until the shape changes. It costs 4 bytes per series
    /// and about 160 bytes per family, and keeps the cells of a series removed meanwhile from
    /// reuse until the next collection.
    ///
    /// # Errors
    ///
    /// If a custom collector panicked: the collection went on with the other entries (the
    /// visitor saw everything else), the [error hook](Self::on_collect_error) was told, and the
    /// first failure is returned. A consumer that must be complete (an exporter) discards what
    /// it was given; [`samples`](Self::samples) keeps the rest.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Opts, Registry, SampleList};
    ///
    /// let registry = Registry::new();
    /// registry.register(Opts::new("jobs", "Jobs."), Counter::new())?;
    /// let mut list = SampleList::new();
    /// registry.collect(&mut list)?;
    /// assert_eq!(list.samples().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn collect(&self, visitor: &mut dyn Visitor) -> Result<(), CollectError> {
        self.collect_with(visitor, ReadMode::Current)
    }

    /// Like [`collect`](Self::collect), but counters, histograms, summaries and statistics report
    /// what they counted since the previous committed reset (gauges, state sets, infos, callback
    /// metrics and custom collectors are read as usual), and the returned [`Reset`], once
    /// [committed](Reset::commit), makes that the new starting point. Every update is reported by
    /// exactly one committed reset-on-read collection or remains in the metric; a reset that is
    /// dropped (the reply could not be produced) or that failed resets nothing. This is what
    /// `/metricsandreset` serves.
    ///
    /// No cell is written by the read or the commit (a reset keeps, per cell, the sum it
    /// reported from, and later reads subtract it): writers never race with a reset. One reset
    /// runs at a time in the process: this waits for a [`Reset`] not yet committed or dropped.
    ///
    /// # Errors
    ///
    /// As [`collect`](Self::collect); then nothing is reset.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Opts, Registry, SampleList};
    ///
    /// let registry = Registry::new();
    /// let c = Counter::new();
    /// registry.register(Opts::new("events", "Events."), c.clone())?;
    /// c.inc_by(3);
    /// let mut taken = SampleList::new();
    /// let reset = registry.collect_and_reset(&mut taken)?;
    /// assert_eq!(taken.samples()[0].name, "events_total");
    /// assert_eq!(taken.samples()[0].value, 3.0);
    /// assert_eq!(c.get(), 3); // not committed yet
    /// reset.commit();
    /// assert_eq!(c.get(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn collect_and_reset(&self, visitor: &mut dyn Visitor) -> Result<Reset, CollectError> {
        let mut reset = Reset::begin();
        self.collect_with(visitor, ReadMode::Reset(reset.log()))?;
        Ok(reset)
    }

    /// Calls `hook` with every failure of a custom collector during a collection (replacing the
    /// hook set before), as OpenCensus' `OnError`: to log it, count it, alert. Nothing else
    /// reports it: the panic does not reach the process' panic hook (see [`CollectError`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::{Arc, Mutex};
    /// use coremeter::{Collect, MetricFamily, Registry, SampleList};
    ///
    /// struct Broken(AtomicBool);
    /// impl Collect for Broken {
    ///     fn collect(&self) -> Vec<MetricFamily> {
    ///         if self.0.swap(true, Ordering::Relaxed) { panic!("disk gone") }
    ///         Vec::new()
    ///     }
    /// }
    /// let registry = Registry::new();
    /// registry.register_collector(Broken(AtomicBool::new(false)))?;
    /// let log = Arc::new(Mutex::new(Vec::new()));
    /// let sink = Arc::clone(&log);
    /// registry.on_collect_error(move |e| sink.lock().unwrap().push(e.message().to_owned()));
    /// assert!(registry.collect(&mut SampleList::new()).is_err());
    /// assert_eq!(*log.lock().unwrap(), ["disk gone"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_collect_error(&self, hook: impl Fn(&CollectError) + Send + Sync + 'static) {
        *write(&self.on_collect_error) = Some(Arc::new(hook));
    }

    fn collect_with(
        &self,
        visitor: &mut dyn Visitor,
        mode: ReadMode<'_>,
    ) -> Result<(), CollectError> {
        crate::sync::unmodelled::thread_local! {
            /// The buffers of the last collection on this thread (taken while one runs, so a
            /// collection from inside a visitor gets its own).
            static BUFFERS: std::cell::Cell<Option<Box<Buffers>>> = const { std::cell::Cell::new(None) };
        }
        // The shape first, then the entries: a plan made from entries read after a change was
        // made for that change's shape or an older one, never a newer one.
        let shape = plan::shape();
        let entries = Arc::clone(&read(&self.state).entries);
        let (current, stale, make) = {
            let mut slot = lock(&self.plan);
            let stable = slot.seen == Some(shape);
            slot.seen = Some(shape);
            match &slot.plan {
                Some(p) if p.shape == shape => (Some(Arc::clone(p)), None, false),
                _ => (None, slot.plan.take(), stable),
            }
        };
        // Its references go now, not while the lock is held.
        drop(stale);
        let mut pass = Pass {
            visitor,
            mode,
            buffers: BUFFERS.with(std::cell::Cell::take).unwrap_or_default(),
            overflowed: Vec::new(),
            failed: None,
        };
        if let Some(p) = &current {
            for item in &p.items {
                match item {
                    plan::Item::Entry(entry) => self.collect_entry(entry, &mut pass, None),
                    plan::Item::Bulk(bulk) => pass.read_planned(bulk, &p.runs),
                }
            }
        } else {
            let mut made = make.then(|| plan::Plan::new(shape));
            for entry in entries.iter() {
                self.collect_entry(entry, &mut pass, made.as_mut());
            }
            // Kept only if nothing changed while it was made (and no collection that started
            // later stored one already).
            if let Some(mut made) = made.filter(|p| !p.partial && plan::shape() == shape) {
                made.shrink_to_fit();
                let mut slot = lock(&self.plan);
                if slot.plan.as_ref().is_none_or(|p| p.shape < shape) {
                    let stale = slot.plan.replace(Arc::new(made));
                    drop(slot);
                    drop(stale);
                }
            }
        }
        self.collect_overflowed(pass.visitor, pass.overflowed);
        BUFFERS.with(|b| b.set(Some(pass.buffers)));
        match pass.failed {
            Some(error) => {
                let hook = read(&self.on_collect_error).clone();
                if let Some(hook) = hook {
                    hook(&error);
                }
                Err(error)
            }
            None => Ok(()),
        }
    }

    /// Whether the registry holds a read plan (see [`crate::plan`]).
    #[cfg(test)]
    pub(crate) fn has_plan(&self) -> bool {
        lock(&self.plan).plan.is_some()
    }

    /// Collects one entry the long way, recording it in `plan` if one is being made.
    fn collect_entry(
        &self,
        entry: &Arc<Entry>,
        pass: &mut Pass<'_>,
        plan: Option<&mut plan::Plan<Entry>>,
    ) {
        match &**entry {
            Entry::Metric {
                descriptor,
                metric,
                constant,
            } => {
                if !pass.visitor.wants(descriptor) {
                    if let Some(plan) = plan {
                        // Not read, so not recorded: a plan made now would read this family
                        // the long way until the shape changes.
                        plan.partial = true;
                    }
                    return;
                }
                pass.visitor.family(descriptor);
                pass.read(descriptor, &**metric, constant);
                if let Some(plan) = plan {
                    plan.push(entry, metric.plan().map(|p| (descriptor, p)));
                }
            }
            Entry::Collector {
                collector,
                type_name,
                names,
            } => {
                match collect_error::catch(type_name, || collector.collect()) {
                    Ok(families) => {
                        for family in families {
                            self.collect_custom(pass.visitor, &family, names);
                        }
                    }
                    Err(error) => {
                        pass.failed.get_or_insert(error);
                    }
                }
                if let Some(plan) = plan {
                    plan.push(entry, None);
                }
            }
        }
    }

    /// Emits the overflow self-metric for the label families that overflowed.
    fn collect_overflowed(&self, visitor: &mut dyn Visitor, overflowed: Vec<(String, f64)>) {
        let overflow = Descriptor {
            name: Cow::Borrowed(OVERFLOW_FAMILY),
            help: Cow::Borrowed(
                "Distinct label sets folded into a label family's overflow series (estimate).",
            ),
            metric_type: MetricType::Gauge,
            unit: None,
            registration: 0,
        };
        if !overflowed.is_empty() && visitor.wants(&overflow) {
            visitor.family(&overflow);
            for (family, n) in overflowed {
                let pair = [("family".to_owned(), family)];
                let labels = Labels::new(&self.const_labels).with(FamilyLabels::Pairs(&pair));
                visitor.series(&labels, &Value::Gauge(Number::Float(n.round())));
            }
        }
    }

    /// Emits one family of a custom collector, unless it is new and its names clash.
    fn collect_custom(
        &self,
        visitor: &mut dyn Visitor,
        family: &MetricFamily,
        registered: &[String],
    ) {
        let d = &family.descriptor;
        let name = self.prefixed(&d.name);
        if !registered.iter().any(|n| *n == name) {
            let clashes = read(&self.state).clash(&name, d.metric_type).is_some();
            let labels_ok = self
                .check_labels(unique(family.label_names()), d.metric_type)
                .is_ok();
            if clashes || !labels_ok || name::check_metric_name(&name).is_err() {
                return;
            }
        }
        let descriptor = Descriptor {
            name: Cow::Owned(name.into_owned()),
            registration: 0,
            ..d.clone()
        };
        if !visitor.wants(&descriptor) {
            return;
        }
        visitor.family(&descriptor);
        for sample in &family.samples {
            let labels = Labels::new(&self.const_labels).with(FamilyLabels::Pairs(&sample.labels));
            visitor.series(&labels, &sample.value.view());
        }
    }

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
                Entry::Collector { names, .. } => names.clone(),
            })
            .collect();
        f.debug_struct("Registry")
            .field("prefix", &self.prefix)
            .field("const_labels", &self.const_labels)
            .field("families", &families)
            .finish()
    }
}

/// Builds a [`Registry`] with a name prefix and constant labels; see [`Registry::builder`].
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, Opts, Registry};
///
/// let registry = Registry::builder()
///     .prefix("shop")
///     .const_label("region", "eu-west")
///     .target_label("service", "checkout")
///     .build()?;
/// let orders = Counter::new();
/// registry.register(Opts::new("orders", "Orders placed."), orders.clone())?;
/// orders.inc();
/// assert_eq!(registry.sample_value("shop_orders_total", &[("region", "eu-west")]), Some(1.0));
/// assert_eq!(registry.target_labels(), [("service".to_owned(), "checkout".to_owned())]);
/// # Ok::<(), coremeter::RegistryError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct RegistryBuilder {
    prefix: Option<String>,
    const_labels: Vec<(String, String)>,
    target_labels: Vec<(String, String)>,
}

impl RegistryBuilder {
    /// A prefix for every metric name (joined with `_`), e.g. the application's name.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = coremeter::Registry::builder().prefix("app").build()?;
    /// assert_eq!(registry.prefix(), Some("app"));
    /// # Ok::<(), coremeter::RegistryError>(())
    /// ```
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// A label added to every series of the registry, e.g. a region or a build version.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Gauge, Opts, Registry};
    ///
    /// let registry = Registry::builder().const_label("host", "web-1").build()?;
    /// registry.register(Opts::new("up", "Up."), Gauge::new())?;
    /// assert_eq!(registry.sample_value("up", &[("host", "web-1")]), Some(0.0));
    /// # Ok::<(), coremeter::RegistryError>(())
    /// ```
    pub fn const_label(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.const_labels.push((name.into(), value.into()));
        self
    }

    /// A label describing the target as a whole (service name, version, host), exposed once as
    /// `target_info{...} 1` (an OpenMetrics info family named `target`) instead of on every
    /// series. The name `target_info` is then reserved.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = coremeter::Registry::builder().target_label("version", "1.2").build()?;
    /// assert_eq!(registry.target_labels(), [("version".to_owned(), "1.2".to_owned())]);
    /// # Ok::<(), coremeter::RegistryError>(())
    /// ```
    pub fn target_label(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.target_labels.push((name.into(), value.into()));
        self
    }

    /// Checks the prefix and labels and builds the registry.
    ///
    /// # Errors
    ///
    /// [`RegistryError::InvalidName`] for a prefix that cannot start a metric name;
    /// [`RegistryError::InvalidLabelName`], [`RegistryError::ReservedLabelName`] (`le`,
    /// `quantile`, which histograms and summaries use) or [`RegistryError::DuplicateLabelName`]
    /// for a constant label.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Registry, RegistryError};
    ///
    /// let err = Registry::builder().const_label("le", "1").build().unwrap_err();
    /// assert_eq!(err.to_string(), "label name \"le\" is reserved for histogram buckets and summary quantiles");
    /// ```
    pub fn build(self) -> Result<Registry, RegistryError> {
        if let Some(prefix) = &self.prefix {
            name::check_metric_name(prefix).map_err(|error| RegistryError::InvalidName {
                name: prefix.clone(),
                error,
            })?;
        }
        for (i, (label, _)) in self.target_labels.iter().enumerate() {
            name::check_label_name(label).map_err(|error| RegistryError::InvalidLabelName {
                name: label.clone(),
                error,
            })?;
            if self.target_labels[..i].iter().any(|(l, _)| l == label) {
                return Err(RegistryError::DuplicateLabelName {
                    name: label.clone(),
                });
            }
        }
        let mut seen = HashSet::new();
        for (label, _) in &self.const_labels {
            name::check_label_name(label).map_err(|error| RegistryError::InvalidLabelName {
                name: label.clone(),
                error,
            })?;
            if label == "le" || label == "quantile" {
                return Err(RegistryError::ReservedLabelName {
                    name: label.clone(),
                });
            }
            if !seen.insert(label.as_str()) {
                return Err(RegistryError::DuplicateLabelName {
                    name: label.clone(),
                });
            }
        }
        let mut state = State::new();
        if !self.target_labels.is_empty() {
            state
                .types
                .insert(Cow::Borrowed("target"), MetricType::Info);
        }
        Ok(Registry {
            prefix: self.prefix,
            const_labels: self.const_labels,
            target_labels: self.target_labels,
            state: RwLock::new(state),
            plan: Mutex::new(plan::Slot::new()),
            on_collect_error: RwLock::new(None),
        })
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
