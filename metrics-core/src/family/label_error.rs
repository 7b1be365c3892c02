//! [`LabelError`]: a label name or value a family cannot take, and the check of run-time label
//! names.

use std::fmt;

use crate::name::{self, NameError};
use crate::read::MetricType;

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
