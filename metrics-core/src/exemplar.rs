//! Exemplars: a sample of what was counted or observed (typically a trace id), kept per counter
//! series and per histogram bucket, exposed in OpenMetrics.
//!
//! Exemplars live outside the cells, in a table per slab block that is allocated when the
//! block's first exemplar is recorded: updates that carry no exemplar pay nothing, and handles
//! stay 16 bytes. Recording one takes that table's lock and allocates its labels, which suits
//! the sampled updates exemplars are meant for.

use std::collections::HashMap;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::name;

/// The OpenMetrics limit on an exemplar's label set: the names and values together may hold at
/// most this many UTF-8 code points.
///
/// # Examples
///
/// ```
/// let c = coremeter::Counter::new();
/// let fits = "x".repeat(coremeter::MAX_EXEMPLAR_LABEL_CHARS - "trace_id".len());
/// assert!(c.inc_with_exemplar(&[("trace_id", &fits)]).is_ok());
/// ```
pub const MAX_EXEMPLAR_LABEL_CHARS: usize = 128;

/// One exemplar: its labels, the value it stands for, and when it was recorded.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, Descriptor, Labels, Opts, Registry, Value, Visitor};
///
/// struct Trace(Option<(String, f64)>);
/// impl Visitor for Trace {
///     fn family(&mut self, _: &Descriptor) {}
///     fn series(&mut self, _: &Labels<'_>, value: &Value<'_>) {
///         if let Value::Counter(c) = value {
///             self.0 = c.exemplar.map(|e| (e.labels().map(|(n, v)| format!("{n}={v}")).collect(), e.value()));
///         }
///     }
/// }
/// let registry = Registry::new();
/// let c = Counter::new();
/// registry.register(Opts::new("orders", "Orders."), c.clone())?;
/// c.inc_by_with_exemplar(2, &[("trace_id", "abc")])?;
/// let mut trace = Trace(None);
/// registry.collect(&mut trace)?;
/// assert_eq!(trace.0, Some(("trace_id=abc".to_owned(), 2.0)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Exemplar {
    labels: Vec<(String, String)>,
    value: f64,
    timestamp: f64,
}

impl Exemplar {
    /// Checks `labels` and records an exemplar of `value` now.
    pub(crate) fn new(labels: &[(&str, &str)], value: f64) -> Result<Self, ExemplarError> {
        check_labels(labels)?;
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        Ok(Exemplar {
            labels: labels
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            value,
            timestamp,
        })
    }

    /// The label pairs (a trace id, typically).
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Descriptor, Labels, Opts, Registry, Value, Visitor};
    ///
    /// struct Exemplars(Vec<String>);
    /// impl Visitor for Exemplars {
    ///     fn family(&mut self, _: &Descriptor) {}
    ///     fn series(&mut self, _: &Labels<'_>, value: &Value<'_>) {
    ///         if let Value::Counter(c) = value && let Some(e) = c.exemplar {
    ///             self.0.push(e.labels().map(|(n, v)| format!("{n}={v}")).collect());
    ///         }
    ///     }
    /// }
    /// let registry = Registry::new();
    /// let c = Counter::new();
    /// registry.register(Opts::new("orders", "Orders."), c.clone())?;
    /// c.inc_by_with_exemplar(3, &[("trace_id", "abc")])?;
    /// let mut seen = Exemplars(Vec::new());
    /// registry.collect(&mut seen)?;
    /// assert_eq!(seen.0, ["trace_id=abc"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn labels(&self) -> impl Iterator<Item = (&str, &str)> {
        self.labels.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The value: the increment for a counter, the observation for a histogram bucket.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Descriptor, Labels, Opts, Registry, Value, Visitor};
    ///
    /// struct Exemplars(Vec<String>);
    /// impl Visitor for Exemplars {
    ///     fn family(&mut self, _: &Descriptor) {}
    ///     fn series(&mut self, _: &Labels<'_>, value: &Value<'_>) {
    ///         if let Value::Counter(c) = value && let Some(e) = c.exemplar {
    ///             self.0.push(e.value().to_string());
    ///         }
    ///     }
    /// }
    /// let registry = Registry::new();
    /// let c = Counter::new();
    /// registry.register(Opts::new("orders", "Orders."), c.clone())?;
    /// c.inc_by_with_exemplar(3, &[("trace_id", "abc")])?;
    /// let mut seen = Exemplars(Vec::new());
    /// registry.collect(&mut seen)?;
    /// assert_eq!(seen.0, ["3"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn value(&self) -> f64 {
        self.value
    }

    /// When it was recorded, in seconds since the Unix epoch.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Descriptor, Labels, Opts, Registry, Value, Visitor};
    ///
    /// struct Exemplars(Vec<String>);
    /// impl Visitor for Exemplars {
    ///     fn family(&mut self, _: &Descriptor) {}
    ///     fn series(&mut self, _: &Labels<'_>, value: &Value<'_>) {
    ///         if let Value::Counter(c) = value && let Some(e) = c.exemplar {
    ///             self.0.push((e.timestamp() > 1.7e9).to_string());
    ///         }
    ///     }
    /// }
    /// let registry = Registry::new();
    /// let c = Counter::new();
    /// registry.register(Opts::new("orders", "Orders."), c.clone())?;
    /// c.inc_by_with_exemplar(3, &[("trace_id", "abc")])?;
    /// let mut seen = Exemplars(Vec::new());
    /// registry.collect(&mut seen)?;
    /// assert_eq!(seen.0, ["true"]); // Unix seconds
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn timestamp(&self) -> f64 {
        self.timestamp
    }
}

/// Checks an exemplar's labels: valid, distinct names, values without a NUL, and at most
/// [`MAX_EXEMPLAR_LABEL_CHARS`] code points in all.
fn check_labels(labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
    let mut chars = 0;
    for (i, (n, v)) in labels.iter().enumerate() {
        name::check_label_name(n).map_err(|error| ExemplarError::InvalidLabelName {
            name: (*n).to_owned(),
            error,
        })?;
        if labels[..i].iter().any(|(m, _)| m == n) {
            return Err(ExemplarError::DuplicateLabelName {
                name: (*n).to_owned(),
            });
        }
        // Prometheus' OpenMetrics parser (2.42) rejects the whole scrape for a NUL in an
        // exemplar's label value (`expected label value, got "INVALID"`), though not in a
        // series' label value; every other character it takes (exporter/tests/exemplars.rs).
        if v.contains('\0') {
            return Err(ExemplarError::InvalidLabelValue {
                name: (*n).to_owned(),
            });
        }
        chars += n.chars().count() + v.chars().count();
    }
    if chars > MAX_EXEMPLAR_LABEL_CHARS {
        return Err(ExemplarError::TooLong { chars });
    }
    Ok(())
}

/// Why an exemplar was refused (the update itself is still made).
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, ExemplarError, MAX_EXEMPLAR_LABEL_CHARS};
///
/// let c = Counter::new();
/// let long = "x".repeat(MAX_EXEMPLAR_LABEL_CHARS);
/// let err = c.inc_with_exemplar(&[("trace_id", &long)]).unwrap_err();
/// assert!(matches!(err, ExemplarError::TooLong { .. }));
/// assert_eq!(c.get(), 0, "a refused update is not counted");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExemplarError {
    /// A label name breaks the data model.
    InvalidLabelName {
        /// The name.
        name: String,
        /// What is wrong with it.
        error: name::NameError,
    },
    /// A label name appears twice.
    DuplicateLabelName {
        /// The name.
        name: String,
    },
    /// A label value holds a NUL character, which makes Prometheus reject the whole scrape.
    InvalidLabelValue {
        /// The label's name.
        name: String,
    },
    /// The names and values hold more than [`MAX_EXEMPLAR_LABEL_CHARS`] code points.
    TooLong {
        /// How many they hold.
        chars: usize,
    },
}

impl fmt::Display for ExemplarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExemplarError::InvalidLabelName { name, error } => {
                write!(f, "exemplar {}", error.describe("label", name))
            }
            ExemplarError::DuplicateLabelName { name } => {
                write!(f, "exemplar label name {name:?} is given more than once")
            }
            ExemplarError::InvalidLabelValue { name } => write!(
                f,
                "exemplar label {name:?} has a NUL character in its value, which makes \
                 Prometheus reject the whole scrape"
            ),
            ExemplarError::TooLong { chars } => write!(
                f,
                "exemplar labels hold {chars} characters, more than the {MAX_EXEMPLAR_LABEL_CHARS} \
                 OpenMetrics allows"
            ),
        }
    }
}

impl std::error::Error for ExemplarError {}

/// The exemplars of one slab block, by cell offset (a counter's cell, a histogram's bucket).
#[derive(Debug, Default)]
pub(crate) struct ExemplarTable {
    by_cell: HashMap<u32, Exemplar>,
}

impl ExemplarTable {
    pub(crate) fn get(&self, cell: u32) -> Option<&Exemplar> {
        self.by_cell.get(&cell)
    }

    pub(crate) fn set(&mut self, cell: u32, exemplar: Exemplar) {
        self.by_cell.insert(cell, exemplar);
    }

    /// Forgets the exemplars of cells `start..end` (a freed run).
    pub(crate) fn clear(&mut self, start: u32, end: u32) {
        if !self.by_cell.is_empty() {
            self.by_cell
                .retain(|&cell, _| !(start..end).contains(&cell));
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn label_limits() {
        assert!(Exemplar::new(&[("trace_id", "abc")], 1.0).is_ok());
        let long = "é".repeat(MAX_EXEMPLAR_LABEL_CHARS - 1);
        assert!(Exemplar::new(&[("a", &long)], 1.0).is_ok());
        let err = Exemplar::new(&[("ab", &long)], 1.0).unwrap_err();
        assert_eq!(err, ExemplarError::TooLong { chars: 129 });
        assert_eq!(
            err.to_string(),
            "exemplar labels hold 129 characters, more than the 128 OpenMetrics allows"
        );
        assert!(matches!(
            Exemplar::new(&[("a", "1"), ("a", "2")], 1.0),
            Err(ExemplarError::DuplicateLabelName { .. })
        ));
        assert!(matches!(
            Exemplar::new(&[("1a", "x")], 1.0),
            Err(ExemplarError::InvalidLabelName { .. })
        ));
        assert!(Exemplar::new(&[], 1.0).is_ok());
        let err = Exemplar::new(&[("trace_id", "a\0b")], 1.0).unwrap_err();
        assert_eq!(
            err,
            ExemplarError::InvalidLabelValue {
                name: "trace_id".into()
            }
        );
        assert!(err.to_string().contains("NUL"));
        assert!(Exemplar::new(&[("trace_id", "\u{1}\t\n\"\\\u{7f}é")], 1.0).is_ok());
    }
}
