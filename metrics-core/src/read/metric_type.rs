//! [`MetricType`]: the type of a metric family, and the sample suffixes each type adds.

use std::fmt;

/// The type of a metric family, as the exposition formats name it.
///
/// # Examples
///
/// ```
/// use coremeter::{Histogram, MetricType, Opts, Registry, Visitor, Descriptor, Labels, Value};
///
/// struct Types(Vec<MetricType>);
/// impl Visitor for Types {
///     fn family(&mut self, d: &Descriptor) { self.0.push(d.metric_type()); }
///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
/// }
/// let registry = Registry::new();
/// registry.register(Opts::new("latency", "Latency."), Histogram::new())?;
/// let mut types = Types(Vec::new());
/// registry.collect(&mut types)?;
/// assert_eq!(types.0, [MetricType::Histogram]);
/// assert_eq!(MetricType::Histogram.to_string(), "histogram");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MetricType {
    /// A monotonic total, exposed with the `_total` suffix.
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// Observations counted in cumulative buckets, with their count and sum.
    Histogram,
    /// Observations summarised by their count and sum (no quantiles), as Python's `Summary`.
    Summary,
    /// Count, sum, minimum and maximum of observations (the average is their ratio).
    Statistics,
    /// A set of label pairs with the value 1 (build information, versions).
    Info,
    /// Exactly one of a fixed set of states is true.
    StateSet,
    /// A value of no known type (from custom collectors).
    Unknown,
}

impl MetricType {
    /// The name used in `# TYPE` lines of OpenMetrics. [`Statistics`](Self::Statistics) has no
    /// exposition type of its own: the encoders render it as a summary plus `_min` and `_max`
    /// gauges.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(coremeter::MetricType::Histogram.as_str(), "histogram");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::Summary => "summary",
            MetricType::Statistics => "statistics",
            MetricType::Info => "info",
            MetricType::StateSet => "stateset",
            MetricType::Unknown => "unknown",
        }
    }

    /// Every suffix any type adds to its family name.
    pub(crate) const ALL_SUFFIXES: [&'static str; 8] = [
        "_total", "_created", "_bucket", "_count", "_sum", "_min", "_max", "_info",
    ];

    /// The suffixes this type adds to its family name in the exposition (some of
    /// [`ALL_SUFFIXES`](Self::ALL_SUFFIXES)); a registry refuses a family whose sample names
    /// another family already produces.
    pub(crate) const fn suffixes(self) -> &'static [&'static str] {
        match self {
            MetricType::Counter => &["_total", "_created"],
            MetricType::Histogram => &["_bucket", "_count", "_sum", "_created"],
            MetricType::Summary => &["_count", "_sum", "_created"],
            MetricType::Statistics => &["_count", "_sum", "_min", "_max", "_created"],
            MetricType::Info => &["_info"],
            MetricType::Gauge | MetricType::StateSet | MetricType::Unknown => &[],
        }
    }

    /// Suffixes a name of this type may not end with, because the type adds them itself.
    pub(crate) const fn reserved_suffixes(self) -> &'static [&'static str] {
        match self {
            MetricType::Counter => &["_total"],
            MetricType::Histogram => &["_bucket", "_count", "_sum"],
            MetricType::Summary => &["_count", "_sum"],
            MetricType::Statistics => &["_count", "_sum", "_min", "_max"],
            MetricType::Info => &["_info"],
            MetricType::Gauge | MetricType::StateSet | MetricType::Unknown => &[],
        }
    }

    /// Label names the type uses itself in the exposition.
    pub(crate) const fn reserved_labels(self) -> &'static [&'static str] {
        match self {
            MetricType::Histogram => &["le"],
            MetricType::Summary | MetricType::Statistics => &["quantile"],
            _ => &[],
        }
    }
}

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
