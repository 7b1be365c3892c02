//! Why a render produced no exposition.

use std::fmt;

use coremeter::CollectError;

/// A render that must not be served: the registry could not be read completely, or a reset
/// scrape asked for part of a family. Nothing was reset.
///
/// # Examples
///
/// ```
/// use coremeter::{Histogram, Opts, Registry};
/// use coremeter_encode::{Encoder, Format, RenderError, Scrape};
///
/// let registry = Registry::new();
/// registry.register(Opts::new("h", "H."), Histogram::new())?;
/// let scrape = Scrape::new(Format::Text).reset(true).names(["h_count"]);
/// let error = Encoder::new().render(&registry, &scrape).unwrap_err();
/// assert!(matches!(error, RenderError::PartialReset { .. }));
/// assert_eq!(
///     error.to_string(),
///     "a reset scrape resets whole families: h_count is part of histogram h (ask for h)"
/// );
/// # Ok::<(), coremeter::RegistryError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RenderError {
    /// A custom collector failed (see [`coremeter::Registry::collect`]).
    Collect(CollectError),
    /// A reset scrape named a sample (`h_count`) that is only part of its family: resetting the
    /// family would lose the samples not returned, and resetting part of a histogram would break
    /// its count against its buckets. Ask for the family's name instead.
    PartialReset {
        /// The name asked for.
        sample: String,
        /// The family it belongs to.
        family: String,
        /// The family's type.
        metric_type: coremeter::MetricType,
    },
    /// [`render`](crate::render) makes a string, and this format is binary: use an
    /// [`Encoder`](crate::Encoder), which gives bytes.
    NotText(crate::Format),
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::Collect(e) => e.fmt(f),
            RenderError::PartialReset {
                sample,
                family,
                metric_type,
            } => write!(
                f,
                "a reset scrape resets whole families: {sample} is part of {metric_type} {family} (ask for {family})"
            ),
            RenderError::NotText(format) => {
                write!(
                    f,
                    "{format} is binary: render it with an Encoder, into bytes"
                )
            }
        }
    }
}

impl std::error::Error for RenderError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RenderError::Collect(e) => Some(e),
            RenderError::PartialReset { .. } | RenderError::NotText(_) => None,
        }
    }
}

impl From<CollectError> for RenderError {
    fn from(e: CollectError) -> Self {
        RenderError::Collect(e)
    }
}
