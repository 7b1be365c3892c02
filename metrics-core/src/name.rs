//! Validation of metric and label names per the Prometheus data model, as `const fn`s so that
//! names known at compile time can be checked in a `const`.
//!
//! - Metric names: `[a-zA-Z_:][a-zA-Z0-9_:]*` (colons are meant for recording rules).
//! - Label names: `[a-zA-Z_][a-zA-Z0-9_]*`, and names starting with `__` are reserved.
//! - Units: `[a-zA-Z0-9_]+`, since a unit becomes the last part of a metric name.
//!
//! # Examples
//!
//! ```
//! use coremeter::name::{check_label_name, check_metric_name, check_unit};
//!
//! // const fns: usable in constants, checked at compile time.
//! const _: () = assert!(check_metric_name("http_requests").is_ok());
//! assert!(check_label_name("le").is_ok());
//! assert!(check_unit("seconds").is_ok());
//! assert!(check_metric_name("http-requests").is_err());
//! ```

use std::fmt;

/// Why a name is not valid.
///
/// # Examples
///
/// ```
/// use coremeter::name::{NameError, check_label_name, check_metric_name};
///
/// assert_eq!(check_metric_name("http_requests"), Ok(()));
/// assert_eq!(check_metric_name(""), Err(NameError::Empty));
/// assert_eq!(check_metric_name("a-b"), Err(NameError::InvalidChar { index: 1 }));
/// assert_eq!(check_label_name("__x"), Err(NameError::ReservedPrefix));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameError {
    /// The name is empty.
    Empty,
    /// The byte at `index` may not appear there (names are ASCII; digits may not come first).
    InvalidChar {
        /// The byte offset of the offending character.
        index: usize,
    },
    /// The label name starts with `__`, which Prometheus reserves for its own labels.
    ReservedPrefix,
}

impl NameError {
    /// Describes the error for `name`, quoting the offending character.
    pub(crate) fn describe(self, kind: &str, name: &str) -> String {
        match self {
            NameError::Empty => format!("{kind} name is empty"),
            NameError::InvalidChar { index } => {
                let ch = name[index..].chars().next().unwrap_or('?');
                let allowed = match kind {
                    "metric" => "letters, digits, '_' and ':', not starting with a digit",
                    "label" => "letters, digits and '_', not starting with a digit",
                    _ => "letters, digits and '_'",
                };
                format!(
                    "invalid {kind} name {name:?}: character {ch:?} at byte {index} is not allowed ({allowed})"
                )
            }
            NameError::ReservedPrefix => {
                format!("invalid {kind} name {name:?}: names starting with \"__\" are reserved")
            }
        }
    }
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::Empty => f.write_str("name is empty"),
            NameError::InvalidChar { index } => {
                write!(f, "character at byte {index} is not allowed in a name")
            }
            NameError::ReservedPrefix => f.write_str("names starting with \"__\" are reserved"),
        }
    }
}

impl std::error::Error for NameError {}

/// What a kind of name may contain besides letters and `_` (digits are allowed after the first
/// character in every kind).
#[derive(Clone, Copy)]
enum Charset {
    /// Metric names: also `:`.
    Metric,
    /// Label names: nothing more.
    Label,
    /// Units: also a digit first.
    Unit,
}

const fn check_chars(name: &str, charset: Charset) -> Result<(), NameError> {
    let bytes = name.as_bytes();
    if bytes.is_empty() {
        return Err(NameError::Empty);
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let ok = b.is_ascii_alphabetic()
            || b == b'_'
            || (b.is_ascii_digit() && (i > 0 || matches!(charset, Charset::Unit)))
            || (b == b':' && matches!(charset, Charset::Metric));
        if !ok {
            return Err(NameError::InvalidChar { index: i });
        }
        i += 1;
    }
    Ok(())
}

/// Checks a metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
///
/// # Errors
///
/// [`NameError::Empty`] or [`NameError::InvalidChar`].
///
/// # Examples
///
/// ```
/// use coremeter::name::{NameError, check_metric_name};
///
/// assert_eq!(check_metric_name("http_requests"), Ok(()));
/// assert_eq!(check_metric_name("2xx"), Err(NameError::InvalidChar { index: 0 }));
/// // Usable in constants:
/// const _: () = assert!(check_metric_name("job:latency:rate5m").is_ok());
/// ```
pub const fn check_metric_name(name: &str) -> Result<(), NameError> {
    check_chars(name, Charset::Metric)
}

/// Checks a label name: `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`.
///
/// # Errors
///
/// [`NameError::Empty`], [`NameError::InvalidChar`] or [`NameError::ReservedPrefix`].
///
/// # Examples
///
/// ```
/// use coremeter::name::{NameError, check_label_name};
///
/// assert_eq!(check_label_name("method"), Ok(()));
/// assert_eq!(check_label_name("__name__"), Err(NameError::ReservedPrefix));
/// assert_eq!(check_label_name("a-b"), Err(NameError::InvalidChar { index: 1 }));
/// ```
pub const fn check_label_name(name: &str) -> Result<(), NameError> {
    if let Err(e) = check_chars(name, Charset::Label) {
        return Err(e);
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[0] == b'_' && bytes[1] == b'_' {
        return Err(NameError::ReservedPrefix);
    }
    Ok(())
}

/// Checks a unit: `[a-zA-Z0-9_]+` (it becomes the name's last part, after a `_`).
///
/// # Errors
///
/// [`NameError::Empty`] or [`NameError::InvalidChar`].
///
/// # Examples
///
/// ```
/// use coremeter::name::check_unit;
///
/// assert!(check_unit("seconds").is_ok());
/// assert!(check_unit("m/s").is_err());
/// ```
pub const fn check_unit(unit: &str) -> Result<(), NameError> {
    check_chars(unit, Charset::Unit)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn metric_names() {
        for ok in ["a", "_", ":", "a1", "a_b:c", "A", "_1"] {
            assert_eq!(check_metric_name(ok), Ok(()), "{ok}");
        }
        assert_eq!(check_metric_name(""), Err(NameError::Empty));
        assert_eq!(
            check_metric_name("1a"),
            Err(NameError::InvalidChar { index: 0 })
        );
        assert_eq!(
            check_metric_name("a-b"),
            Err(NameError::InvalidChar { index: 1 })
        );
        assert_eq!(
            check_metric_name("aé"),
            Err(NameError::InvalidChar { index: 1 })
        );
        assert_eq!(
            check_metric_name("a b"),
            Err(NameError::InvalidChar { index: 1 })
        );
    }

    #[test]
    fn label_names() {
        assert_eq!(check_label_name("_a"), Ok(()));
        assert_eq!(check_label_name("__"), Err(NameError::ReservedPrefix));
        assert_eq!(
            check_label_name("a:b"),
            Err(NameError::InvalidChar { index: 1 })
        );
        assert_eq!(
            check_label_name("9"),
            Err(NameError::InvalidChar { index: 0 })
        );
    }

    #[test]
    fn units() {
        assert_eq!(check_unit("seconds"), Ok(()));
        assert_eq!(check_unit("2xx"), Ok(()));
        assert_eq!(check_unit(""), Err(NameError::Empty));
        assert_eq!(check_unit("a:b"), Err(NameError::InvalidChar { index: 1 }));
    }

    #[test]
    fn descriptions_quote_the_character() {
        let msg = NameError::InvalidChar { index: 1 }.describe("metric", "aé");
        assert!(msg.contains("'é' at byte 1"), "{msg}");
    }
}
