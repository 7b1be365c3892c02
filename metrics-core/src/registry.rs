//! Registries: named metrics, read together.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::collect::{Collector, Descriptor, Labels, Metric, MetricType, Visitor};
use crate::name::{self, NameError};
use crate::sample::{Sample, SampleList};
use crate::sync::unmodelled::{Arc, OnceLock, RwLock};

/// The name, HELP text and naming options of a metric being registered.
///
/// The registered name is `[registry prefix_][namespace_][subsystem_]name[_unit]`: the unit is
/// appended unless the name already ends with it, as Python's client does. Type suffixes are not
/// part of it: a counter named `requests` is exposed as `requests_total`.
///
/// # Examples
///
/// ```
/// use metrics_core::{Histogram, Opts, Registry};
///
/// let registry = Registry::new();
/// let opts = Opts::new("request_duration", "Time to serve a request.")
///     .namespace("shop")
///     .subsystem("http")
///     .unit("seconds");
/// registry.register(opts, Histogram::new())?;
/// assert!(registry.sample_value("shop_http_request_duration_seconds_count", &[]).is_some());
/// # Ok::<(), metrics_core::RegistryError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opts {
    name: Cow<'static, str>,
    help: Cow<'static, str>,
    namespace: Option<Cow<'static, str>>,
    subsystem: Option<Cow<'static, str>>,
    unit: Option<Cow<'static, str>>,
}

impl Opts {
    /// A name and its HELP text (Prometheus' own lint asks for HELP on every metric).
    pub fn new(name: impl Into<Cow<'static, str>>, help: impl Into<Cow<'static, str>>) -> Self {
        Opts {
            name: name.into(),
            help: help.into(),
            namespace: None,
            subsystem: None,
            unit: None,
        }
    }

    /// Sets the namespace, the first part of the name (after the registry's prefix).
    pub fn namespace(mut self, namespace: impl Into<Cow<'static, str>>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Sets the subsystem, the part between namespace and name.
    pub fn subsystem(mut self, subsystem: impl Into<Cow<'static, str>>) -> Self {
        self.subsystem = Some(subsystem.into());
        self
    }

    /// Sets the unit (`seconds`, `bytes`, ...): the name gets the suffix `_<unit>` unless it has
    /// it already, and the exposition declares it where the format can (OpenMetrics `# UNIT`).
    pub fn unit(mut self, unit: impl Into<Cow<'static, str>>) -> Self {
        self.unit = Some(unit.into());
        self
    }
}

/// A set of named metrics that are read together, by a scrape or a test.
///
/// Registration checks the name and returns an error, never panics: an invalid name, a type
/// suffix written into the name (`_total` on a counter, `_bucket`/`_count`/`_sum` on a histogram),
/// or a name that would produce a sample name another family already produces.
///
/// A registry can add a prefix to every name and constant labels to every series; see
/// [`Registry::builder`]. Most programs use the [`default_registry`].
///
/// # Examples
///
/// ```
/// use metrics_core::{Counter, Opts, Registry, RegistryError};
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
    state: RwLock<State>,
}

#[derive(Default)]
struct State {
    families: Vec<Arc<Family>>,
    /// The type of every registered family, by name: enough to know every sample name they
    /// produce (see [`State::clash`]).
    types: HashMap<Cow<'static, str>, MetricType>,
}

impl State {
    /// The first sample name that a family `name` of type `t` would share with a registered
    /// family, if any.
    fn clash(&self, name: &str, t: MetricType) -> Option<String> {
        let produced = std::iter::once(String::from(name))
            .chain(t.suffixes().iter().map(|s| format!("{name}{s}")));
        for sample in produced {
            // Another family's own name ...
            if self.types.contains_key(sample.as_str()) {
                return Some(sample);
            }
            // ... or another family's name with one of its type's suffixes.
            for suffix in MetricType::ALL_SUFFIXES {
                let base = sample.strip_suffix(suffix);
                let owner = base.and_then(|b| self.types.get(b));
                if owner.is_some_and(|t| t.suffixes().contains(&suffix)) {
                    return Some(sample);
                }
            }
        }
        None
    }
}

struct Family {
    descriptor: Descriptor,
    metric: Box<dyn Metric>,
}

impl Registry {
    /// An empty registry without prefix or constant labels.
    pub fn new() -> Self {
        Registry {
            prefix: None,
            const_labels: Vec::new(),
            state: RwLock::new(State::default()),
        }
    }

    /// A builder for a registry with a name prefix and constant labels.
    ///
    /// # Examples
    ///
    /// ```
    /// use metrics_core::{Gauge, Opts, Registry};
    ///
    /// let registry = Registry::builder()
    ///     .prefix("shop")
    ///     .const_label("region", "eu-west")
    ///     .build()?;
    /// registry.register(Opts::new("carts", "Open carts."), Gauge::new())?;
    /// assert_eq!(registry.sample_value("shop_carts", &[("region", "eu-west")]), Some(0.0));
    /// # Ok::<(), metrics_core::RegistryError>(())
    /// ```
    pub fn builder() -> RegistryBuilder {
        RegistryBuilder::default()
    }

    /// The prefix added to every name, if any.
    pub fn prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }

    /// The constant labels added to every series, in order.
    pub fn const_labels(&self) -> Labels<'_> {
        Labels::new(&self.const_labels)
    }

    /// Registers `metric` under the name and HELP of `opts`. The registry keeps the handle; keep a
    /// clone to update it (clones share their values).
    ///
    /// # Errors
    ///
    /// - [`RegistryError::InvalidName`] / [`RegistryError::InvalidUnit`]: the name (after
    ///   prefixes) or unit breaks the Prometheus data model;
    /// - [`RegistryError::ReservedSuffix`]: the name ends with a suffix the type adds itself;
    /// - [`RegistryError::Duplicate`]: a registered family already produces one of the sample
    ///   names this one would.
    pub fn register<M: Metric>(&self, opts: Opts, metric: M) -> Result<(), RegistryError> {
        let metric_type = metric.metric_type();
        let descriptor = self.descriptor(opts, metric_type)?;
        let mut state = write(&self.state);
        if let Some(name) = state.clash(&descriptor.name, metric_type) {
            return Err(RegistryError::Duplicate { name });
        }
        state.types.insert(descriptor.name.clone(), metric_type);
        state.families.push(Arc::new(Family {
            descriptor,
            metric: Box::new(metric),
        }));
        Ok(())
    }

    fn descriptor(&self, opts: Opts, metric_type: MetricType) -> Result<Descriptor, RegistryError> {
        let prefixes = [
            self.prefix.as_deref(),
            opts.namespace.as_deref(),
            opts.subsystem.as_deref(),
        ];
        let prefixes = prefixes.into_iter().flatten().filter(|p| !p.is_empty());
        let unit = match &opts.unit {
            Some(unit) => {
                name::check_unit(unit).map_err(|error| RegistryError::InvalidUnit {
                    unit: unit.to_string(),
                    error,
                })?;
                let has_it = opts
                    .name
                    .strip_suffix(&**unit)
                    .is_some_and(|r| r.ends_with('_'));
                (!has_it).then_some(&**unit)
            }
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
        name::check_metric_name(&name).map_err(|error| RegistryError::InvalidName {
            name: name.to_string(),
            error,
        })?;
        let reserved: &[&'static str] = match metric_type {
            MetricType::Counter => &["_total"],
            MetricType::Histogram => &["_bucket", "_count", "_sum"],
            MetricType::Gauge => &[],
        };
        if let Some(suffix) = reserved.iter().find(|s| name.ends_with(**s)) {
            return Err(RegistryError::ReservedSuffix {
                name: name.into_owned(),
                suffix,
                metric_type,
            });
        }
        Ok(Descriptor {
            name,
            help: opts.help,
            metric_type,
            unit: opts.unit,
        })
    }

    /// Removes the family registered under `name` (the full name, prefixes included); returns
    /// whether there was one. Handles kept elsewhere keep working but are no longer read.
    pub fn unregister(&self, name: &str) -> bool {
        let mut state = write(&self.state);
        let Some(at) = state
            .families
            .iter()
            .position(|f| f.descriptor.name == name)
        else {
            return false;
        };
        let family = state.families.remove(at);
        state.types.remove(&family.descriptor.name);
        true
    }

    /// Reads every family into `visitor`, in registration order: [`Visitor::family`] for each,
    /// then [`Visitor::series`] for each of its series, with values summed over shards.
    ///
    /// The registry's lock is held only to copy the list of families, so metrics can be
    /// registered while a collection runs (they show from the next one).
    pub fn collect(&self, visitor: &mut dyn Visitor) {
        self.collect_with(visitor, false);
    }

    /// Like [`collect`](Self::collect), but counters and histograms hand over their values and
    /// restart from 0 (gauges and callback metrics are read as usual): every update is reported
    /// by exactly one reset-on-read collection or remains in the metric. This is what
    /// `/metricsandreset` serves.
    ///
    /// # Examples
    ///
    /// ```
    /// use metrics_core::{Counter, Opts, Registry, SampleList};
    ///
    /// let registry = Registry::new();
    /// let c = Counter::new();
    /// registry.register(Opts::new("events", "Events."), c.clone())?;
    /// c.inc_by(3);
    /// let mut taken = SampleList::new();
    /// registry.collect_and_reset(&mut taken);
    /// assert_eq!(taken.samples()[0].name, "events_total");
    /// assert_eq!(taken.samples()[0].value, 3.0);
    /// assert_eq!(c.get(), 0);
    /// # Ok::<(), metrics_core::RegistryError>(())
    /// ```
    pub fn collect_and_reset(&self, visitor: &mut dyn Visitor) {
        self.collect_with(visitor, true);
    }

    fn collect_with(&self, visitor: &mut dyn Visitor, reset: bool) {
        let families: Vec<Arc<Family>> = read(&self.state).families.clone();
        let mut scratch = Vec::new();
        for family in &families {
            visitor.family(&family.descriptor);
            let labels = Labels::new(&self.const_labels);
            let mut out = Collector::new(visitor, labels, reset, &mut scratch);
            family.metric.collect(&mut out);
        }
    }

    /// Every sample as the text formats would show it (`_total`, `_bucket` with `le`, `_count`,
    /// `_sum`), with values as `f64`: for tests, debugging and simple printing. Like Python's
    /// `registry.collect()` flattened to samples.
    ///
    /// # Examples
    ///
    /// ```
    /// use metrics_core::{Histogram, Opts, Registry};
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
        self.collect(&mut list);
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
    /// use metrics_core::{Histogram, Opts, Registry};
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

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let families: Vec<String> = read(&self.state)
            .families
            .iter()
            .map(|fam| fam.descriptor.name.to_string())
            .collect();
        f.debug_struct("Registry")
            .field("prefix", &self.prefix)
            .field("const_labels", &self.const_labels)
            .field("families", &families)
            .finish()
    }
}

/// The process-wide registry that metrics declared with `#[derive(Metrics)]` and `static` join,
/// and that the exporter serves by default.
///
/// # Examples
///
/// ```
/// use metrics_core::{Gauge, Opts, default_registry};
///
/// let up = Gauge::new();
/// default_registry().register(Opts::new("doc_example_up", "Whether the example runs."), up.clone())?;
/// up.set(1);
/// assert_eq!(default_registry().sample_value("doc_example_up", &[]), Some(1.0));
/// # Ok::<(), metrics_core::RegistryError>(())
/// ```
pub fn default_registry() -> &'static Registry {
    static DEFAULT: OnceLock<Registry> = OnceLock::new();
    DEFAULT.get_or_init(Registry::new)
}

/// Builds a [`Registry`] with a name prefix and constant labels; see [`Registry::builder`].
#[derive(Clone, Debug, Default)]
pub struct RegistryBuilder {
    prefix: Option<String>,
    const_labels: Vec<(String, String)>,
}

impl RegistryBuilder {
    /// A prefix for every metric name (joined with `_`), e.g. the application's name.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// A label added to every series of the registry, e.g. a region or a build version.
    pub fn const_label(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.const_labels.push((name.into(), value.into()));
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
    /// use metrics_core::{Registry, RegistryError};
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
        let mut seen = HashSet::new();
        for (label, _) in &self.const_labels {
            check_label(label)?;
            if !seen.insert(label.as_str()) {
                return Err(RegistryError::DuplicateLabelName {
                    name: label.clone(),
                });
            }
        }
        Ok(Registry {
            prefix: self.prefix,
            const_labels: self.const_labels,
            state: RwLock::new(State::default()),
        })
    }
}

/// Checks a label name, including the names histograms and summaries reserve.
pub(crate) fn check_label(label: &str) -> Result<(), RegistryError> {
    name::check_label_name(label).map_err(|error| RegistryError::InvalidLabelName {
        name: label.to_owned(),
        error,
    })?;
    if label == "le" || label == "quantile" {
        return Err(RegistryError::ReservedLabelName {
            name: label.to_owned(),
        });
    }
    Ok(())
}

/// Why a registration or registry was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryError {
    /// The metric name (prefixes and unit included) breaks the data model.
    InvalidName {
        /// The full name.
        name: String,
        /// What is wrong with it.
        error: NameError,
    },
    /// The unit is not `[a-zA-Z0-9_]+`.
    InvalidUnit {
        /// The unit.
        unit: String,
        /// What is wrong with it.
        error: NameError,
    },
    /// A label name breaks the data model.
    InvalidLabelName {
        /// The label name.
        name: String,
        /// What is wrong with it.
        error: NameError,
    },
    /// A label name is one that histograms (`le`) or summaries (`quantile`) use.
    ReservedLabelName {
        /// The label name.
        name: String,
    },
    /// The same label name is given twice.
    DuplicateLabelName {
        /// The label name.
        name: String,
    },
    /// The name ends with a suffix that its type adds in the exposition.
    ReservedSuffix {
        /// The full name.
        name: String,
        /// The suffix, e.g. `_total`.
        suffix: &'static str,
        /// The metric's type.
        metric_type: MetricType,
    },
    /// Another registered family already produces this sample name.
    Duplicate {
        /// The name both would produce.
        name: String,
    },
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::InvalidName { name, error } => {
                f.write_str(&error.describe("metric", name))
            }
            RegistryError::InvalidUnit { unit, error } => {
                f.write_str(&error.describe("unit", unit))
            }
            RegistryError::InvalidLabelName { name, error } => {
                f.write_str(&error.describe("label", name))
            }
            RegistryError::ReservedLabelName { name } => write!(
                f,
                "label name {name:?} is reserved for histogram buckets and summary quantiles"
            ),
            RegistryError::DuplicateLabelName { name } => {
                write!(f, "label name {name:?} is given more than once")
            }
            RegistryError::ReservedSuffix {
                name,
                suffix,
                metric_type,
            } => write!(
                f,
                "{metric_type} name {name:?} ends with {suffix:?}, which the exposition adds to \
                 {metric_type} samples: register it as {:?}",
                &name[..name.len() - suffix.len()]
            ),
            RegistryError::Duplicate { name } => write!(
                f,
                "duplicate metric: a registered family already produces samples named {name:?}"
            ),
        }
    }
}

impl std::error::Error for RegistryError {}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}
