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

    /// The samples the exposition formats write for each series of a family of this type: the
    /// one table of sample suffixes, which the registry's name checks, the encoders and
    /// [`SampleList`](crate::SampleList) read. (`_created`, which OpenMetrics allows beside the
    /// samples of counters, histograms and summaries, is not written; the registry still
    /// keeps it free, see `produced_suffixes`.)
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{MetricType, SampleSuffix};
    ///
    /// assert_eq!(MetricType::Counter.samples(), [SampleSuffix::Total]);
    /// let names: Vec<&str> = MetricType::Histogram.samples().iter().map(|s| s.as_str()).collect();
    /// assert_eq!(names, ["_bucket", "_count", "_sum"]);
    /// assert_eq!(MetricType::Gauge.samples(), [SampleSuffix::Plain]);
    /// ```
    pub const fn samples(self) -> &'static [SampleSuffix] {
        use SampleSuffix::*;
        match self {
            MetricType::Counter => &[Total],
            MetricType::Histogram => &[Bucket, Count, Sum],
            MetricType::Summary => &[Count, Sum],
            MetricType::Statistics => &[Count, Sum, Min, Max],
            MetricType::Info => &[Info],
            MetricType::Gauge | MetricType::StateSet | MetricType::Unknown => &[Plain],
        }
    }

    /// The suffixes of its [`samples`](Self::samples): a name of this type may not end with
    /// one (the type adds it itself).
    pub(crate) fn sample_suffixes(self) -> impl Iterator<Item = &'static str> {
        let samples = self.samples().iter().filter(|s| **s != SampleSuffix::Plain);
        samples.map(|s| s.as_str())
    }

    /// The suffixes a family of this type may produce sample names with: its samples' and
    /// `_created` for the types OpenMetrics gives one. A registry refuses a family whose sample
    /// names another family may produce.
    pub(crate) fn produced_suffixes(self) -> impl Iterator<Item = &'static str> {
        let created = matches!(
            self,
            MetricType::Counter
                | MetricType::Histogram
                | MetricType::Summary
                | MetricType::Statistics
        );
        self.sample_suffixes()
            .chain(created.then_some(SampleSuffix::Created.as_str()))
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

/// The suffix of a sample name: what a family's name is followed by in one of its samples (see
/// [`MetricType::samples`]).
///
/// # Examples
///
/// ```
/// use coremeter::SampleSuffix;
///
/// assert_eq!(SampleSuffix::Bucket.as_str(), "_bucket");
/// assert_eq!(SampleSuffix::Plain.as_str(), "");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SampleSuffix {
    /// No suffix: the family's name (gauges, state sets, unknown).
    Plain,
    /// `_total`: a counter's value.
    Total,
    /// `_created`: when a series started (OpenMetrics; reserved, not written).
    Created,
    /// `_bucket`: a histogram's cumulative bucket, with `le`.
    Bucket,
    /// `_count`: the number of observations.
    Count,
    /// `_sum`: the sum of observations.
    Sum,
    /// `_min`: the smallest observation (statistics).
    Min,
    /// `_max`: the largest observation (statistics).
    Max,
    /// `_info`: an info series.
    Info,
}

impl SampleSuffix {
    /// Every suffix.
    pub const ALL: [SampleSuffix; 9] = [
        SampleSuffix::Plain,
        SampleSuffix::Total,
        SampleSuffix::Created,
        SampleSuffix::Bucket,
        SampleSuffix::Count,
        SampleSuffix::Sum,
        SampleSuffix::Min,
        SampleSuffix::Max,
        SampleSuffix::Info,
    ];

    /// The suffix as it is written after the family's name.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(coremeter::SampleSuffix::Total.as_str(), "_total");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            SampleSuffix::Plain => "",
            SampleSuffix::Total => "_total",
            SampleSuffix::Created => "_created",
            SampleSuffix::Bucket => "_bucket",
            SampleSuffix::Count => "_count",
            SampleSuffix::Sum => "_sum",
            SampleSuffix::Min => "_min",
            SampleSuffix::Max => "_max",
            SampleSuffix::Info => "_info",
        }
    }
}
