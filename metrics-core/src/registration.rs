//! What a registration checks of a name, and [`RegistryError`], what it returns when a check
//! fails (shared by the registry and the custom collectors' family builders).

use std::fmt;

use crate::family::LabelError;
use crate::name::{self, NameError};
use crate::read::MetricType;

/// Checks `unit` and returns the suffix `name` still needs: `None` when it ends with `_<unit>`
/// already.
pub(crate) fn unit_suffix<'u>(name: &str, unit: &'u str) -> Result<Option<&'u str>, RegistryError> {
    name::check_unit(unit).map_err(|error| RegistryError::InvalidUnit {
        unit: unit.to_owned(),
        error,
    })?;
    let has_it = name.strip_suffix(unit).is_some_and(|r| r.ends_with('_'));
    Ok((!has_it).then_some(unit))
}

/// Checks a family's full name: valid, and not ending with a suffix its type adds itself.
pub(crate) fn check_family_name(name: &str, metric_type: MetricType) -> Result<(), RegistryError> {
    name::check_metric_name(name).map_err(|error| RegistryError::InvalidName {
        name: name.to_owned(),
        error,
    })?;
    match metric_type.sample_suffixes().find(|s| name.ends_with(*s)) {
        Some(suffix) => Err(RegistryError::ReservedSuffix {
            name: name.to_owned(),
            suffix,
            metric_type,
        }),
        None => Ok(()),
    }
}

/// Why a registration or registry was refused.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, Gauge, Opts, Registry, RegistryError};
///
/// let registry = Registry::new();
/// let err = registry.register(Opts::new("requests_total", "Requests."), Counter::new()).unwrap_err();
/// assert!(matches!(err, RegistryError::ReservedSuffix { suffix: "_total", .. }));
/// assert!(err.to_string().contains("register it as \"requests\""));
/// registry.register(Opts::new("requests", "Requests."), Counter::new())?;
/// // A gauge named `requests_total` would expose a sample the counter already exposes.
/// let err = registry.register(Opts::new("requests_total", "Clash."), Gauge::new()).unwrap_err();
/// assert!(matches!(err, RegistryError::Duplicate { .. }));
/// let err = registry.register(Opts::new("bad-name", "Dash."), Gauge::new()).unwrap_err();
/// assert!(matches!(err, RegistryError::InvalidName { .. }));
/// # Ok::<(), RegistryError>(())
/// ```
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
    /// The same label name is given twice (in a metric, or in a metric and the registry's
    /// constant labels).
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
        /// The sample name both would produce, as the exposition writes it (`x_total` for two
        /// counters `x`).
        name: String,
        /// The registered family that produces it.
        registered: String,
        /// Where the new family and the registered one are declared, for those registered with
        /// [`Opts::declared_at`](crate::Opts::declared_at) (as `#[derive(Metrics)]` registers its fields).
        declarations: (Option<&'static str>, Option<&'static str>),
    },
    /// Label values do not fit label names (from a custom collector's family).
    Labels(LabelError),
}

impl From<LabelError> for RegistryError {
    fn from(e: LabelError) -> Self {
        match e {
            LabelError::InvalidName { name, error } => {
                RegistryError::InvalidLabelName { name, error }
            }
            LabelError::ReservedName { name, .. } => RegistryError::ReservedLabelName { name },
            LabelError::DuplicateName { name } => RegistryError::DuplicateLabelName { name },
            other => RegistryError::Labels(other),
        }
    }
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
            RegistryError::Duplicate {
                name,
                registered,
                declarations,
            } => {
                write!(
                    f,
                    "duplicate metric: samples named {name:?} would come from this family and \
                     from the registered family {registered:?}"
                )?;
                match declarations {
                    (Some(new), Some(old)) => {
                        write!(f, " (declared at {new}, and at {old})")
                    }
                    (Some(new), None) => write!(f, " (this one declared at {new})"),
                    (None, Some(old)) => write!(f, " (that one declared at {old})"),
                    (None, None) => Ok(()),
                }
            }
            RegistryError::Labels(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for RegistryError {}
