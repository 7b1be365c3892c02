//! [`RegistryBuilder`]: a registry with a name prefix, constant and target labels.

use std::borrow::Cow;
use std::collections::HashSet;

use super::{Registry, State};
use crate::name;
use crate::plan;
use crate::read::MetricType;
use crate::registration::RegistryError;
use crate::sync::unmodelled::{Mutex, RwLock};

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
            plan: Mutex::new(plan::PlanCache::new()),
            on_collect_error: RwLock::new(None),
        })
    }
}
