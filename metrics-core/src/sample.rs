//! Families flattened to samples, as the text formats name them: for tests, debugging and simple
//! printing (the encoders in `coremeter-encode` render families directly).

use crate::read::{Descriptor, Labels, SampleSuffix, Value, Visitor};

/// One sample: a name with its type suffix, label pairs and a value.
///
/// # Examples
///
/// ```
/// use coremeter::{Histogram, Opts, Registry};
///
/// let registry = Registry::new();
/// let h = Histogram::with_buckets(&[1.0])?;
/// registry.register(Opts::new("size", "Sizes."), h.clone())?;
/// h.observe(0.5);
/// let names: Vec<String> = registry.samples().into_iter().map(|s| s.name).collect();
/// assert_eq!(names, ["size_bucket", "size_bucket", "size_count", "size_sum"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// The sample name, with its type suffix (`requests_total`, `latency_bucket`).
    pub name: String,
    /// The label pairs: constant labels first, then the series' own, `le` last for buckets.
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: f64,
}

impl Sample {
    /// Whether the labels are exactly `wanted`, in any order; `le` matches numerically.
    pub(crate) fn has_labels(&self, wanted: &[(&str, &str)]) -> bool {
        self.labels.len() == wanted.len()
            && wanted.iter().all(|&(name, value)| {
                self.labels
                    .iter()
                    .any(|(n, v)| n == name && (v == value || (n == "le" && same_bound(v, value))))
            })
    }
}

fn same_bound(a: &str, b: &str) -> bool {
    matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if x == y)
}

/// Formats a bucket bound as Python's client does: `+Inf`, else the shortest round-trip form
/// with a decimal point (`0.5`, `1.0`).
fn format_bound(v: f64) -> String {
    if v == f64::INFINITY {
        "+Inf".to_owned()
    } else {
        format!("{v:?}")
    }
}

/// A [`Visitor`] that flattens what it visits into [`Sample`]s, named as the text formats name
/// them: counters as `<name>_total`; gauges and unknowns as `<name>`; histograms as
/// `<name>_bucket` per bound (cumulative, with `le`), `<name>_count` and `<name>_sum`; summaries
/// as `_count` and `_sum`; statistics as `_count`, `_sum`, `_min`, `_max`; infos as
/// `<name>_info` (1); state sets as one `<name>{<name>="<state>"}` per state (1 for the current
/// one, else 0).
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, Opts, Registry, SampleList};
///
/// let registry = Registry::new();
/// let c = Counter::new();
/// registry.register(Opts::new("hits", "Cache hits."), c.clone())?;
/// c.inc();
/// let mut list = SampleList::new();
/// registry.collect(&mut list)?;
/// assert_eq!(list.samples()[0].name, "hits_total");
/// assert_eq!(list.samples()[0].value, 1.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct SampleList {
    family: String,
    samples: Vec<Sample>,
}

impl SampleList {
    /// An empty list.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Opts, Registry, SampleList};
    ///
    /// let registry = Registry::new();
    /// registry.register(Opts::new("jobs", "Jobs."), Counter::new())?;
    /// let mut list = SampleList::new();
    /// registry.collect(&mut list)?;
    /// assert_eq!(list.samples()[0].name, "jobs_total");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The samples collected so far.
    ///
    /// # Examples
    ///
    /// ```
    /// let list = coremeter::SampleList::new();
    /// assert!(list.samples().is_empty());
    /// ```
    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    /// The samples collected.
    ///
    /// # Examples
    ///
    /// ```
    /// let list = coremeter::SampleList::new();
    /// assert!(list.into_samples().is_empty());
    /// ```
    pub fn into_samples(self) -> Vec<Sample> {
        self.samples
    }

    fn push(
        &mut self,
        suffix: &str,
        labels: &Labels<'_>,
        extra: Option<(&str, String)>,
        value: f64,
    ) {
        let mut pairs: Vec<(String, String)> = labels
            .iter()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        if let Some((n, v)) = extra {
            pairs.push((n.to_owned(), v));
        }
        self.samples.push(Sample {
            name: format!("{}{suffix}", self.family),
            labels: pairs,
            value,
        });
    }
}

impl Visitor for SampleList {
    fn family(&mut self, descriptor: &Descriptor) {
        self.family.clear();
        self.family.push_str(descriptor.name());
    }

    fn series(&mut self, labels: &Labels<'_>, value: &Value<'_>) {
        match value {
            Value::Counter(c) => {
                self.push(SampleSuffix::Total.as_str(), labels, None, c.value.as_f64())
            }
            Value::Gauge(v) => self.push("", labels, None, v.as_f64()),
            Value::Unknown(v) => self.push("", labels, None, v.as_f64()),
            Value::Histogram(h) => {
                for (upper, count) in h.cumulative() {
                    let le = Some(("le", format_bound(upper)));
                    self.push(SampleSuffix::Bucket.as_str(), labels, le, count as f64);
                }
                self.push(SampleSuffix::Count.as_str(), labels, None, h.count() as f64);
                self.push(SampleSuffix::Sum.as_str(), labels, None, h.sum());
            }
            Value::Summary(s) => {
                self.push(SampleSuffix::Count.as_str(), labels, None, s.count as f64);
                self.push(SampleSuffix::Sum.as_str(), labels, None, s.sum);
            }
            Value::Statistics(s) => {
                self.push(SampleSuffix::Count.as_str(), labels, None, s.count as f64);
                self.push(SampleSuffix::Sum.as_str(), labels, None, s.sum);
                if let Some(min) = s.min {
                    self.push(SampleSuffix::Min.as_str(), labels, None, min);
                }
                if let Some(max) = s.max {
                    self.push(SampleSuffix::Max.as_str(), labels, None, max);
                }
            }
            Value::Info => self.push(SampleSuffix::Info.as_str(), labels, None, 1.0),
            Value::StateSet(s) => {
                let name = self.family.clone();
                for (i, state) in s.states.iter().enumerate() {
                    let value = if i == s.current { 1.0 } else { 0.0 };
                    self.push("", labels, Some((&name, state.to_string())), value);
                }
            }
        }
    }
}
