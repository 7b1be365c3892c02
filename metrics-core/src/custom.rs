//! Custom collectors: metrics computed at scrape time from values this library does not own (a
//! queue's length, a cache's statistics, a pool's state), as Python's custom collectors.

use std::borrow::Cow;
use std::fmt;

use crate::family::{LabelError, check_label_names};
use crate::read::{CounterValue, Descriptor, MetricType, Number, SummaryValue};
use crate::registration::{RegistryError, check_family_name, unit_suffix};

/// Something that produces metric families when scraped. Register it with
/// [`Registry::register_collector`](crate::Registry::register_collector).
///
/// `collect` runs on the scraping thread for every scrape (and once at registration, to check its
/// names); it must be quick and must not register metrics itself.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use coremeter::{Collector, GaugeMetricFamily, MetricFamily, Registry};
///
/// struct Queues(Arc<Mutex<Vec<(String, Vec<u32>)>>>);
///
/// impl Collector for Queues {
///     fn collect(&self) -> Vec<MetricFamily> {
///         let mut length = GaugeMetricFamily::new("queue_length", "Items waiting.", &["queue"])
///             .expect("valid names");
///         for (name, items) in self.0.lock().unwrap().iter() {
///             length.add_metric(&[name], items.len()).expect("one value per label");
///         }
///         vec![length.into()]
///     }
/// }
///
/// let queues = Arc::new(Mutex::new(vec![("email".to_owned(), vec![1, 2])]));
/// let registry = Registry::new();
/// registry.register_collector(Queues(Arc::clone(&queues)))?;
/// assert_eq!(registry.sample_value("queue_length", &[("queue", "email")]), Some(2.0));
/// queues.lock().unwrap()[0].1.push(3);
/// assert_eq!(registry.sample_value("queue_length", &[("queue", "email")]), Some(3.0));
/// # Ok::<(), coremeter::RegistryError>(())
/// ```
pub trait Collector: Send + Sync + 'static {
    /// The families to expose now.
    fn collect(&self) -> Vec<MetricFamily>;
}

/// A family built by a custom collector: descriptor, label names and samples, all owned.
/// Built through the typed helpers ([`CounterMetricFamily`] and the others), which check names
/// and samples as they are added.
///
/// # Examples
///
/// ```
/// use coremeter::{Collector, CounterMetricFamily, MetricFamily, Registry};
///
/// struct Hits;
/// impl Collector for Hits {
///     fn collect(&self) -> Vec<MetricFamily> {
///         let mut f = CounterMetricFamily::new("cache_hits", "Cache hits.", &[]).expect("valid name");
///         f.add_metric(&[], 7u64).expect("no labels");
///         vec![f.into()]
///     }
/// }
/// let registry = Registry::new();
/// registry.register_collector(Hits)?;
/// assert_eq!(registry.sample_value("cache_hits_total", &[]), Some(7.0));
/// # Ok::<(), coremeter::RegistryError>(())
/// ```
#[derive(Clone, Debug)]
pub struct MetricFamily {
    pub(crate) descriptor: Descriptor,
    pub(crate) samples: Vec<OwnedSample>,
}

#[derive(Clone, Debug)]
pub(crate) struct OwnedSample {
    pub(crate) labels: Vec<(String, String)>,
    pub(crate) value: OwnedValue,
}

#[derive(Clone, Debug)]
pub(crate) enum OwnedValue {
    Counter(Number),
    Gauge(Number),
    Histogram {
        bounds: Vec<f64>,
        counts: Vec<u64>,
        sum: f64,
    },
    Summary(SummaryValue),
    Info,
    Unknown(Number),
}

impl OwnedValue {
    /// The read-side view; histograms borrow their vectors.
    pub(crate) fn view(&self) -> crate::Value<'_> {
        match self {
            OwnedValue::Counter(v) => crate::Value::Counter(CounterValue {
                value: *v,
                exemplar: None,
            }),
            OwnedValue::Gauge(v) => crate::Value::Gauge(*v),
            OwnedValue::Histogram {
                bounds,
                counts,
                sum,
            } => crate::Value::Histogram(crate::read::HistogramValue::new(bounds, counts, *sum)),
            OwnedValue::Summary(s) => crate::Value::Summary(*s),
            OwnedValue::Info => crate::Value::Info,
            OwnedValue::Unknown(v) => crate::Value::Unknown(*v),
        }
    }
}

/// Label names of a family under construction, kept for the count checks of its samples.
#[derive(Clone, Debug)]
struct Builder {
    family: MetricFamily,
    label_names: Vec<String>,
}

impl Builder {
    fn new(
        name: impl Into<Cow<'static, str>>,
        help: impl Into<Cow<'static, str>>,
        metric_type: MetricType,
        label_names: &[&str],
    ) -> Result<Self, RegistryError> {
        let name = name.into();
        check_family_name(&name, metric_type)?;
        check_label_names(label_names, metric_type).map_err(RegistryError::from)?;
        Ok(Builder {
            family: MetricFamily {
                descriptor: Descriptor {
                    name,
                    help: help.into(),
                    metric_type,
                    unit: None,
                    registration: 0,
                },
                samples: Vec::new(),
            },
            label_names: label_names.iter().map(|s| (*s).to_owned()).collect(),
        })
    }

    fn push(
        &mut self,
        values: &[&str],
        extra: &[(&str, &str)],
        value: OwnedValue,
    ) -> Result<(), LabelError> {
        if values.len() != self.label_names.len() {
            return Err(LabelError::Count {
                family: Some(self.family.descriptor.name.to_string()),
                names: self.label_names.clone(),
                got: values.len(),
            });
        }
        let labels = self
            .label_names
            .iter()
            .cloned()
            .zip(values.iter().map(|v| (*v).to_owned()))
            .chain(
                extra
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
            )
            .collect();
        self.family.samples.push(OwnedSample { labels, value });
        Ok(())
    }
}

macro_rules! family_helper {
    ($(#[$doc:meta])* $name:ident, $t:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name(Builder);

        impl $name {
            /// A family `name` with HELP text `help` and the given label names.
            ///
            /// # Errors
            ///
            /// [`RegistryError`] for an invalid name or label name, a type suffix written into the
            /// name, or a label name the type uses itself.
            ///
            /// # Examples
            ///
            /// ```
            /// let f = coremeter::GaugeMetricFamily::new("queue_length", "Jobs waiting.", &["queue"])?;
            /// assert!(coremeter::GaugeMetricFamily::new("queue-length", "Dash.", &[]).is_err());
            /// # let _ = f;
            /// # Ok::<(), coremeter::RegistryError>(())
            /// ```
            pub fn new(
                name: impl Into<Cow<'static, str>>,
                help: impl Into<Cow<'static, str>>,
                labels: &[&str],
            ) -> Result<Self, RegistryError> {
                Builder::new(name, help, $t, labels).map($name)
            }

            /// Sets the unit; the name gets the suffix `_<unit>` unless it has it (as Python's
            /// helpers do).
            ///
            /// # Errors
            ///
            /// [`RegistryError::InvalidUnit`] for a unit that is not `[a-zA-Z0-9_]+`.
            ///
            /// # Examples
            ///
            /// ```
            /// let f = coremeter::GaugeMetricFamily::new("queue_age", "Age.", &[])?.with_unit("seconds")?;
            /// let family: coremeter::MetricFamily = f.into();
            /// assert_eq!(family.descriptor().name(), "queue_age_seconds");
            /// # Ok::<(), coremeter::RegistryError>(())
            /// ```
            pub fn with_unit(mut self, unit: impl Into<Cow<'static, str>>) -> Result<Self, RegistryError> {
                let unit = unit.into();
                let d = &mut self.0.family.descriptor;
                if let Some(suffix) = unit_suffix(&d.name, &unit)? {
                    d.name = Cow::Owned(format!("{}_{suffix}", d.name));
                }
                d.unit = Some(unit);
                Ok(self)
            }
        }

        impl From<$name> for MetricFamily {
            fn from(f: $name) -> MetricFamily {
                f.0.family
            }
        }
    };
}

family_helper!(
    /// A counter family of a custom collector (Python's `CounterMetricFamily`).
    ///
    /// ```
    /// use coremeter::CounterMetricFamily;
    ///
    /// let mut hits = CounterMetricFamily::new("cache_hits", "Cache hits.", &["cache"])?;
    /// hits.add_metric(&["users"], 120u64)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    CounterMetricFamily,
    MetricType::Counter
);
family_helper!(
    /// A gauge family of a custom collector (Python's `GaugeMetricFamily`).
    GaugeMetricFamily,
    MetricType::Gauge
);
family_helper!(
    /// A histogram family of a custom collector (Python's `HistogramMetricFamily`).
    HistogramMetricFamily,
    MetricType::Histogram
);
family_helper!(
    /// A summary family (count and sum) of a custom collector (Python's `SummaryMetricFamily`).
    SummaryMetricFamily,
    MetricType::Summary
);
family_helper!(
    /// An info family of a custom collector (Python's `InfoMetricFamily`).
    InfoMetricFamily,
    MetricType::Info
);
family_helper!(
    /// A family of unknown type of a custom collector (Python's `UnknownMetricFamily`).
    UnknownMetricFamily,
    MetricType::Unknown
);

impl CounterMetricFamily {
    /// Adds the series with label values `values` (one per label name, in order).
    ///
    /// # Errors
    ///
    /// [`LabelError::Count`] if there is not one value per label name.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut hits = coremeter::CounterMetricFamily::new("cache_hits", "Hits.", &["cache"])?;
    /// hits.add_metric(&["users"], 10u64)?.add_metric(&["orders"], 3u64)?;
    /// assert!(hits.add_metric(&[], 1u64).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_metric(
        &mut self,
        values: &[&str],
        value: impl Into<Number>,
    ) -> Result<&mut Self, LabelError> {
        self.0
            .push(values, &[], OwnedValue::Counter(value.into()))?;
        Ok(self)
    }
}

impl GaugeMetricFamily {
    /// Adds the series with label values `values`.
    ///
    /// # Errors
    ///
    /// [`LabelError::Count`] if there is not one value per label name.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut len = coremeter::GaugeMetricFamily::new("queue_length", "Jobs waiting.", &["queue"])?;
    /// len.add_metric(&["email"], 12i64)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_metric(
        &mut self,
        values: &[&str],
        value: impl Into<Number>,
    ) -> Result<&mut Self, LabelError> {
        self.0.push(values, &[], OwnedValue::Gauge(value.into()))?;
        Ok(self)
    }
}

impl UnknownMetricFamily {
    /// Adds the series with label values `values`.
    ///
    /// # Errors
    ///
    /// [`LabelError::Count`] if there is not one value per label name.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut f = coremeter::UnknownMetricFamily::new("legacy_value", "From an old system.", &[])?;
    /// f.add_metric(&[], 0.5)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_metric(
        &mut self,
        values: &[&str],
        value: impl Into<Number>,
    ) -> Result<&mut Self, LabelError> {
        self.0
            .push(values, &[], OwnedValue::Unknown(value.into()))?;
        Ok(self)
    }
}

impl SummaryMetricFamily {
    /// Adds the series with label values `values`: the count and sum of its observations.
    ///
    /// # Errors
    ///
    /// [`LabelError::Count`] if there is not one value per label name.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut s = coremeter::SummaryMetricFamily::new("job_duration", "Job durations.", &[])?;
    /// s.add_metric(&[], 4, 10.5)?; // 4 observations summing to 10.5
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_metric(
        &mut self,
        values: &[&str],
        count: u64,
        sum: f64,
    ) -> Result<&mut Self, LabelError> {
        self.0.push(
            values,
            &[],
            OwnedValue::Summary(SummaryValue { count, sum }),
        )?;
        Ok(self)
    }
}

impl InfoMetricFamily {
    /// Adds the series with label values `values` and the information `pairs`.
    ///
    /// # Errors
    ///
    /// [`LabelError`] if there is not one value per label name, or a pair's name is invalid or
    /// repeats a label name.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut build = coremeter::InfoMetricFamily::new("build", "Build information.", &[])?;
    /// build.add_metric(&[], &[("version", "1.2.3"), ("commit", "4f2a9c1")])?;
    /// assert!(build.add_metric(&[], &[("__bad", "x")]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_metric(
        &mut self,
        values: &[&str],
        pairs: &[(&str, &str)],
    ) -> Result<&mut Self, LabelError> {
        let names: Vec<&str> = self
            .0
            .label_names
            .iter()
            .map(String::as_str)
            .chain(pairs.iter().map(|(n, _)| *n))
            .collect();
        check_label_names(&names, MetricType::Info)?;
        self.0.push(values, pairs, OwnedValue::Info)?;
        Ok(self)
    }
}

impl HistogramMetricFamily {
    /// Adds the series with label values `values`: cumulative buckets as (upper bound, count)
    /// ending with `+Inf`, as Python's `add_metric(labels, buckets, sum_value)`, and the sum.
    ///
    /// # Errors
    ///
    /// [`HistogramSampleError`] if there is not one value per label name, or the buckets are not
    /// strictly increasing bounds ending in `+Inf` with non-decreasing counts.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::HistogramMetricFamily;
    ///
    /// let mut h = HistogramMetricFamily::new("job_seconds", "Job durations.", &[])?;
    /// h.add_metric(&[], &[(1.0, 3), (5.0, 7), (f64::INFINITY, 8)], 22.5)?;
    /// assert!(h.add_metric(&[], &[(1.0, 3), (5.0, 2), (f64::INFINITY, 8)], 1.0).is_err());
    ///
    /// // Only the `+Inf` bucket: a count and a sum, as Python allows.
    /// let mut totals = HistogramMetricFamily::new("batch_seconds", "Batch durations.", &[])?;
    /// totals.add_metric(&[], &[(f64::INFINITY, 4)], 9.5)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_metric(
        &mut self,
        values: &[&str],
        buckets: &[(f64, u64)],
        sum: f64,
    ) -> Result<&mut Self, HistogramSampleError> {
        let Some(((last_bound, _), finite)) = buckets.split_last() else {
            return Err(HistogramSampleError::Buckets(
                "no buckets; the last must be +Inf",
            ));
        };
        if *last_bound != f64::INFINITY {
            return Err(HistogramSampleError::Buckets(
                "the last bucket must be +Inf",
            ));
        }
        let bounds: Vec<f64> = finite.iter().map(|(b, _)| *b).collect();
        // A lone `+Inf` bucket is a valid histogram of the exposition (Python accepts it); a
        // histogram of this crate always has bounds, so only a non-empty list is checked.
        if !bounds.is_empty() {
            crate::buckets::check(&bounds).map_err(|_| {
                HistogramSampleError::Buckets("bounds must be finite and strictly increasing")
            })?;
        }
        let mut counts = Vec::with_capacity(buckets.len());
        let mut below = 0;
        for &(_, cumulative) in buckets {
            let Some(c) = cumulative.checked_sub(below) else {
                return Err(HistogramSampleError::Buckets(
                    "cumulative counts must not decrease",
                ));
            };
            counts.push(c);
            below = cumulative;
        }
        self.0
            .push(
                values,
                &[],
                OwnedValue::Histogram {
                    bounds,
                    counts,
                    sum,
                },
            )
            .map_err(HistogramSampleError::Label)?;
        Ok(self)
    }
}

/// Why a histogram sample of a custom collector was refused.
///
/// # Examples
///
/// ```
/// use coremeter::{HistogramMetricFamily, HistogramSampleError};
///
/// let mut h = HistogramMetricFamily::new("job_seconds", "Job durations.", &["queue"])?;
/// let err = h.add_metric(&["email"], &[(1.0, 3)], 1.0).unwrap_err();
/// assert!(matches!(err, HistogramSampleError::Buckets(_)));
/// let err = h.add_metric(&[], &[(1.0, 1), (f64::INFINITY, 3)], 1.0).unwrap_err();
/// assert!(matches!(err, HistogramSampleError::Label(_)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HistogramSampleError {
    /// The label values do not match the label names.
    Label(LabelError),
    /// The buckets are not valid cumulative buckets.
    Buckets(&'static str),
}

impl fmt::Display for HistogramSampleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HistogramSampleError::Label(e) => e.fmt(f),
            HistogramSampleError::Buckets(why) => write!(f, "invalid histogram buckets: {why}"),
        }
    }
}

impl std::error::Error for HistogramSampleError {}

impl MetricFamily {
    /// The family's descriptor (name without the registry's prefix).
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{GaugeMetricFamily, MetricFamily};
    ///
    /// let family: MetricFamily = GaugeMetricFamily::new("queue_length", "Jobs waiting.", &[])?.into();
    /// assert_eq!(family.descriptor().name(), "queue_length");
    /// # Ok::<(), coremeter::RegistryError>(())
    /// ```
    pub fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    /// The label names its samples use, for the registry's checks.
    pub(crate) fn label_names(&self) -> impl Iterator<Item = &str> {
        self.samples
            .iter()
            .flat_map(|s| s.labels.iter().map(|(n, _)| n.as_str()))
    }
}
