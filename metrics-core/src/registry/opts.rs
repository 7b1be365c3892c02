//! [`Opts`]: the name, HELP text and naming options of a metric being registered.

use std::borrow::Cow;

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
    pub(super) name: Cow<'static, str>,
    pub(super) help: Cow<'static, str>,
    pub(super) namespace: Option<Cow<'static, str>>,
    pub(super) subsystem: Option<Cow<'static, str>>,
    pub(super) unit: Option<Cow<'static, str>>,
    pub(super) const_labels: Vec<(String, String)>,
    pub(super) declared_at: Option<&'static str>,
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
    /// `crate::module::Struct.field`): named by [`RegistryError::Duplicate`](crate::RegistryError::Duplicate) when two families
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
