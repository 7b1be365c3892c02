//! The read side: descriptors and values already summed over shards, handed to a [`Visitor`].
//!
//! No atomics or memory orderings cross this boundary: a consumer (an encoder, a test, the
//! quickstart's printer) sees plain numbers. [`Registry::collect`](crate::Registry::collect)
//! calls [`Visitor::family`] once per registered metric, then [`Visitor::series`] once per series
//! of it.

use std::borrow::Cow;
use std::fmt;

use crate::exemplar::{Exemplar, ExemplarTable};
use crate::reset::ReadMode;
use crate::slab::CellRun;

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

/// A sample value: integers stay exact, floats are floats.
///
/// # Examples
///
/// ```
/// use coremeter::Number;
///
/// assert_eq!(Number::from(3u64), Number::UInt(3));
/// assert_eq!(Number::from(-2i64).as_f64(), -2.0);
/// assert_eq!(Number::from(0.5f64), Number::Float(0.5));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    /// An unsigned integer (counters).
    UInt(u64),
    /// A signed integer (integer gauges).
    Int(i64),
    /// A float.
    Float(f64),
}

impl Number {
    /// The value as an `f64` (integers above 2^53 round).
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::Number;
    ///
    /// assert_eq!(Number::Int(-3).as_f64(), -3.0);
    /// ```
    pub fn as_f64(self) -> f64 {
        match self {
            Number::UInt(v) => v as f64,
            Number::Int(v) => v as f64,
            Number::Float(v) => v,
        }
    }
}

macro_rules! number_from {
    ($variant:ident: $($t:ty),*) => {$(
        impl From<$t> for Number {
            fn from(v: $t) -> Self {
                Number::$variant(v.into())
            }
        }
    )*};
}
number_from!(UInt: u64, u32, u16, u8);
number_from!(Int: i64, i32, i16, i8);
number_from!(Float: f64, f32);

impl From<usize> for Number {
    fn from(v: usize) -> Self {
        Number::UInt(v as u64)
    }
}

impl From<isize> for Number {
    fn from(v: isize) -> Self {
        Number::Int(v as i64)
    }
}

/// What a registry knows about a metric family: its full name (prefixes and unit applied, but
/// without type suffixes such as `_total`), HELP text, type and unit.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, Descriptor, Labels, MetricType, Opts, Registry, Value, Visitor};
///
/// struct Names(Vec<(String, String, Option<String>)>);
/// impl Visitor for Names {
///     fn family(&mut self, d: &Descriptor) {
///         self.0.push((d.name().to_owned(), d.help().to_owned(), d.unit().map(str::to_owned)));
///         assert_eq!(d.metric_type(), MetricType::Counter);
///     }
///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
/// }
/// let registry = Registry::new();
/// registry.register(Opts::new("cpu", "CPU time.").unit("seconds"), Counter::new())?;
/// let mut names = Names(Vec::new());
/// registry.collect(&mut names)?;
/// assert_eq!(names.0, [("cpu_seconds".to_owned(), "CPU time.".to_owned(), Some("seconds".to_owned()))]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Descriptor {
    pub(crate) name: Cow<'static, str>,
    pub(crate) help: Cow<'static, str>,
    pub(crate) metric_type: MetricType,
    pub(crate) unit: Option<Cow<'static, str>>,
    /// See [`registration`](Self::registration); 0 for none.
    pub(crate) registration: u64,
}

impl Descriptor {
    /// A number that identifies this registration of a metric for the life of the process
    /// (never reused, even by another registry), or `None` for a family a custom collector
    /// produced at this scrape.
    ///
    /// While the registration is the same, so are the family's name, type, unit, label names,
    /// the registry's constant labels and, for each [`SeriesKey`], the series' labels: a consumer
    /// may keep what it derives from them (an encoder keeps each series' rendered name and
    /// labels) across collections.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Descriptor, Labels, Opts, Registry, Value, Visitor};
    ///
    /// struct Ids(Vec<u64>);
    /// impl Visitor for Ids {
    ///     fn family(&mut self, d: &Descriptor) {
    ///         self.0.extend(d.registration());
    ///     }
    ///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
    /// }
    ///
    /// let registry = Registry::new();
    /// registry.register(Opts::new("a", "A."), Counter::new())?;
    /// registry.register(Opts::new("b", "B."), Counter::new())?;
    /// let (mut first, mut second) = (Ids(Vec::new()), Ids(Vec::new()));
    /// registry.collect(&mut first)?;
    /// registry.collect(&mut second)?;
    /// assert_eq!(first.0, second.0);
    /// assert_ne!(first.0[0], first.0[1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn registration(&self) -> Option<u64> {
        (self.registration != 0).then_some(self.registration)
    }

    /// The family name, e.g. `shop_http_request_duration_seconds`.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Descriptor, Labels, Opts, Registry, Value, Visitor};
    ///
    /// struct Seen(Vec<String>);
    /// impl Visitor for Seen {
    ///     fn family(&mut self, d: &Descriptor) { self.0.push(format!("{}", d.name())); }
    ///     fn series(&mut self, _l: &Labels<'_>, _v: &Value<'_>) {  }
    /// }
    /// let registry = Registry::builder().const_label("zone", "eu").build()?;
    /// registry.register(Opts::new("cpu", "CPU time.").unit("seconds"), Counter::new())?;
    /// let mut seen = Seen(Vec::new());
    /// registry.collect(&mut seen)?;
    /// assert_eq!(seen.0, ["cpu_seconds"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The HELP text, unescaped.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Descriptor, Labels, Opts, Registry, Value, Visitor};
    ///
    /// struct Seen(Vec<String>);
    /// impl Visitor for Seen {
    ///     fn family(&mut self, d: &Descriptor) { self.0.push(format!("{}", d.help())); }
    ///     fn series(&mut self, _l: &Labels<'_>, _v: &Value<'_>) {  }
    /// }
    /// let registry = Registry::builder().const_label("zone", "eu").build()?;
    /// registry.register(Opts::new("cpu", "CPU time.").unit("seconds"), Counter::new())?;
    /// let mut seen = Seen(Vec::new());
    /// registry.collect(&mut seen)?;
    /// assert_eq!(seen.0, ["CPU time."]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn help(&self) -> &str {
        &self.help
    }

    /// The metric type.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Descriptor, Labels, Opts, Registry, Value, Visitor};
    ///
    /// struct Seen(Vec<String>);
    /// impl Visitor for Seen {
    ///     fn family(&mut self, d: &Descriptor) { self.0.push(format!("{}", d.metric_type())); }
    ///     fn series(&mut self, _l: &Labels<'_>, _v: &Value<'_>) {  }
    /// }
    /// let registry = Registry::builder().const_label("zone", "eu").build()?;
    /// registry.register(Opts::new("cpu", "CPU time.").unit("seconds"), Counter::new())?;
    /// let mut seen = Seen(Vec::new());
    /// registry.collect(&mut seen)?;
    /// assert_eq!(seen.0, ["counter"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn metric_type(&self) -> MetricType {
        self.metric_type
    }

    /// The unit, if one was given (the name then ends with `_<unit>`).
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Descriptor, Labels, Opts, Registry, Value, Visitor};
    ///
    /// struct Seen(Vec<String>);
    /// impl Visitor for Seen {
    ///     fn family(&mut self, d: &Descriptor) { self.0.push(format!("{}", d.unit().unwrap_or(""))); }
    ///     fn series(&mut self, _l: &Labels<'_>, _v: &Value<'_>) {  }
    /// }
    /// let registry = Registry::builder().const_label("zone", "eu").build()?;
    /// registry.register(Opts::new("cpu", "CPU time.").unit("seconds"), Counter::new())?;
    /// let mut seen = Seen(Vec::new());
    /// registry.collect(&mut seen)?;
    /// assert_eq!(seen.0, ["seconds"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unit(&self) -> Option<&str> {
        self.unit.as_deref()
    }
}

/// The value every label of a family's overflow series has: the series that collects the updates
/// of label sets beyond the family's cardinality limit.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, DynLabels, Family, OVERFLOW_LABEL_VALUE, Opts, Registry};
///
/// let registry = Registry::new();
/// let f = Family::<DynLabels, Counter>::with_label_names(&["user"])?.with_limit(1);
/// registry.register(Opts::new("logins", "Logins."), f.clone())?;
/// f.labels(&["ada"])?.inc();
/// f.labels(&["grace"])?.inc(); // beyond the limit
/// assert_eq!(registry.sample_value("logins_total", &[("user", OVERFLOW_LABEL_VALUE)]), Some(1.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const OVERFLOW_LABEL_VALUE: &str = "__overflow__";

/// Label names: static (from a `LabelSet`) or owned (given at run time).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Names<'a> {
    Static(&'static [&'static str]),
    Owned(&'a [String]),
}

impl<'a> Names<'a> {
    pub(crate) fn len(&self) -> usize {
        match self {
            Names::Static(n) => n.len(),
            Names::Owned(n) => n.len(),
        }
    }

    pub(crate) fn get(&self, i: usize) -> &'a str {
        match *self {
            Names::Static(n) => n[i],
            Names::Owned(n) => &n[i],
        }
    }
}

/// A series' own labels (as opposed to the registry's constant labels), in whatever form its
/// metric keeps them.
#[derive(Clone, Copy, Debug)]
pub(crate) enum FamilyLabels<'a> {
    /// No labels of its own.
    None,
    /// A dense family's child: its index in the family, whose digits (in the mixed radix of the
    /// label sets' sizes, the last label varying fastest) are each value's position in its set.
    Dense {
        names: Names<'a>,
        sets: &'static [Option<&'static [&'static str]>],
        index: u32,
    },
    /// A dynamic family's child: its encoded key (values separated by `label::SEP`).
    Encoded { names: Names<'a>, key: &'a [u8] },
    /// A family's overflow series: every value is [`OVERFLOW_LABEL_VALUE`].
    Overflow { names: Names<'a> },
    /// Owned pairs (an `Info`'s, a custom collector's samples). A pair whose name is a constant
    /// label is skipped: the constant label wins, and no series has a label twice.
    Pairs(&'a [(String, String)]),
}

/// The label pairs of one series: the registry's constant labels first, then the series' own,
/// in the order of the family's label names.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, DynLabels, Family, Labels, Opts, Registry, Value, Visitor, Descriptor};
///
/// struct Pairs(Vec<Vec<(String, String)>>);
/// impl Visitor for Pairs {
///     fn family(&mut self, _: &Descriptor) {}
///     fn series(&mut self, labels: &Labels<'_>, _: &Value<'_>) {
///         self.0.push(labels.iter().map(|(n, v)| (n.to_owned(), v.to_owned())).collect());
///     }
/// }
/// let registry = Registry::builder().const_label("zone", "eu").build()?;
/// let f = Family::<DynLabels, Counter>::with_label_names(&["method"])?;
/// registry.register(Opts::new("requests", "Requests."), f.clone())?;
/// f.labels(&["GET"])?.inc();
/// let mut pairs = Pairs(Vec::new());
/// registry.collect(&mut pairs)?;
/// let expected = vec![("zone".to_owned(), "eu".to_owned()), ("method".to_owned(), "GET".to_owned())];
/// assert_eq!(pairs.0, [expected]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Labels<'a> {
    constant: &'a [(String, String)],
    own: FamilyLabels<'a>,
    /// Pairs after the family's labels (an `Info`'s); a pair whose name is a constant or family
    /// label is skipped.
    extra: &'a [(String, String)],
}

impl<'a> Labels<'a> {
    pub(crate) fn new(constant: &'a [(String, String)]) -> Self {
        Labels {
            constant,
            own: FamilyLabels::None,
            extra: &[],
        }
    }

    pub(crate) fn with(self, own: FamilyLabels<'a>) -> Self {
        Labels {
            constant: self.constant,
            own,
            extra: self.extra,
        }
    }

    pub(crate) fn with_extra(self, extra: &'a [(String, String)]) -> Self {
        Labels {
            constant: self.constant,
            own: self.own,
            extra,
        }
    }

    /// Whether `name` is a constant or family label (which an extra pair may not repeat).
    fn taken(&self, name: &str) -> bool {
        let family = LabelsIter {
            constant: [].iter(),
            all_constant: &[],
            own: self.own,
            index: 0,
            key: match self.own {
                FamilyLabels::Encoded { key, .. } => key,
                _ => &[],
            },
            extra: &[],
            labels: None,
        };
        self.constant.iter().any(|(c, _)| c == name) || family.into_iter().any(|(n, _)| n == name)
    }

    /// The (name, value) pairs; values are unescaped.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Descriptor, Labels, Opts, Registry, Value, Visitor};
    ///
    /// struct Seen(Vec<String>);
    /// impl Visitor for Seen {
    ///     fn family(&mut self, d: &Descriptor) { self.0.push(format!("{}", "")); }
    ///     fn series(&mut self, _l: &Labels<'_>, _v: &Value<'_>) { self.0.extend(_l.iter().map(|(n, v)| format!("{n}={v}"))); }
    /// }
    /// let registry = Registry::builder().const_label("zone", "eu").build()?;
    /// registry.register(Opts::new("cpu", "CPU time.").unit("seconds"), Counter::new())?;
    /// let mut seen = Seen(Vec::new());
    /// registry.collect(&mut seen)?;
    /// assert_eq!(seen.0, ["", "zone=eu"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn iter(&self) -> LabelsIter<'a> {
        LabelsIter {
            constant: self.constant.iter(),
            all_constant: self.constant,
            own: self.own,
            index: 0,
            key: match self.own {
                FamilyLabels::Encoded { key, .. } => key,
                _ => &[],
            },
            extra: self.extra,
            labels: Some(*self),
        }
    }

    /// The number of pairs.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Descriptor, Labels, Opts, Registry, Value, Visitor};
    ///
    /// struct Seen(Vec<String>);
    /// impl Visitor for Seen {
    ///     fn family(&mut self, d: &Descriptor) { self.0.push(format!("{}", "")); }
    ///     fn series(&mut self, _l: &Labels<'_>, _v: &Value<'_>) { self.0.push(_l.len().to_string()); }
    /// }
    /// let registry = Registry::builder().const_label("zone", "eu").build()?;
    /// registry.register(Opts::new("cpu", "CPU time.").unit("seconds"), Counter::new())?;
    /// let mut seen = Seen(Vec::new());
    /// registry.collect(&mut seen)?;
    /// assert_eq!(seen.0, ["", "1"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.extra.iter().filter(|(n, _)| !self.taken(n)).count()
            + self.constant.len()
            + match self.own {
                FamilyLabels::None => 0,
                FamilyLabels::Dense { names, .. }
                | FamilyLabels::Encoded { names, .. }
                | FamilyLabels::Overflow { names } => names.len(),
                FamilyLabels::Pairs(p) => p
                    .iter()
                    .filter(|(n, _)| !self.constant.iter().any(|(c, _)| c == n))
                    .count(),
            }
    }

    /// Whether the series has no labels.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Descriptor, Labels, Opts, Registry, Value, Visitor};
    ///
    /// struct Seen(Vec<String>);
    /// impl Visitor for Seen {
    ///     fn family(&mut self, d: &Descriptor) { self.0.push(format!("{}", "")); }
    ///     fn series(&mut self, _l: &Labels<'_>, _v: &Value<'_>) { self.0.push(_l.is_empty().to_string()); }
    /// }
    /// let registry = Registry::builder().const_label("zone", "eu").build()?;
    /// registry.register(Opts::new("cpu", "CPU time.").unit("seconds"), Counter::new())?;
    /// let mut seen = Seen(Vec::new());
    /// registry.collect(&mut seen)?;
    /// assert_eq!(seen.0, ["", "false"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What tells this series from the others of its family, cheaply: within one registration
    /// (see [`Descriptor::registration`]), two series with equal keys other than
    /// [`SeriesKey::Unkeyed`] have equal labels. Comparing keys costs a word or a short byte
    /// comparison; [`iter`](Self::iter) decodes and validates every pair.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, DynLabels, Family, Labels, Opts, Registry, SeriesKey, Value,
    ///     Visitor, Descriptor};
    ///
    /// struct Keys(Vec<String>);
    /// impl Visitor for Keys {
    ///     fn family(&mut self, _: &Descriptor) {}
    ///     fn series(&mut self, labels: &Labels<'_>, _: &Value<'_>) {
    ///         self.0.push(format!("{:?}", labels.series_key()));
    ///     }
    /// }
    ///
    /// let registry = Registry::new();
    /// let family: Family<DynLabels, Counter> = Family::with_label_names(&["path"])?;
    /// registry.register(Opts::new("hits", "Hits."), family.clone())?;
    /// registry.register(Opts::new("total", "Total."), Counter::new())?;
    /// family.labels(&["/a"])?.inc();
    /// let mut keys = Keys(Vec::new());
    /// registry.collect(&mut keys)?;
    /// assert_eq!(keys.0, ["Bytes([47, 97])", "Index(0)"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn series_key(&self) -> SeriesKey<'a> {
        if !self.extra.is_empty() {
            return SeriesKey::Unkeyed;
        }
        match self.own {
            FamilyLabels::None => SeriesKey::Index(0),
            FamilyLabels::Dense { index, .. } => SeriesKey::Index(index),
            FamilyLabels::Overflow { .. } => SeriesKey::Index(u32::MAX),
            FamilyLabels::Encoded { key, .. } => SeriesKey::Bytes(key),
            FamilyLabels::Pairs(_) => SeriesKey::Unkeyed,
        }
    }
}

/// What tells a series from the others of its family: see [`Labels::series_key`].
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, Descriptor, DynLabels, Family, Labels, Opts, Registry, SeriesKey, Value, Visitor};
///
/// struct Keys(Vec<bool>);
/// impl Visitor for Keys {
///     fn family(&mut self, _: &Descriptor) {}
///     fn series(&mut self, labels: &Labels<'_>, _: &Value<'_>) {
///         self.0.push(matches!(labels.series_key(), SeriesKey::Bytes(_)));
///     }
/// }
/// let registry = Registry::new();
/// let f = Family::<DynLabels, Counter>::with_label_names(&["user"])?;
/// registry.register(Opts::new("logins", "Logins."), f.clone())?;
/// f.labels(&["ada"])?.inc();
/// let mut keys = Keys(Vec::new());
/// registry.collect(&mut keys)?;
/// assert_eq!(keys.0, [true]); // a dynamic child is keyed by its encoded label values
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SeriesKey<'a> {
    /// A position: a dense family's child index, 0 for a metric without labels, `u32::MAX` for
    /// a family's overflow series.
    Index(u32),
    /// Bytes that encode the label values (a dynamic family's child).
    Bytes(&'a [u8]),
    /// No cheap key: labels that can change in place (an info's pairs) or that a custom
    /// collector produced; compare [`Labels::iter`] instead.
    Unkeyed,
}

/// Iterator over the pairs of [`Labels`].
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, Descriptor, Labels, Opts, Registry, Value, Visitor};
///
/// struct Names(Vec<String>);
/// impl Visitor for Names {
///     fn family(&mut self, _: &Descriptor) {}
///     fn series(&mut self, labels: &Labels<'_>, _: &Value<'_>) {
///         let iter: coremeter::LabelsIter<'_> = labels.iter();
///         self.0.extend(iter.map(|(n, _)| n.to_owned()));
///     }
/// }
/// let registry = Registry::builder().const_label("zone", "eu").build()?;
/// registry.register(Opts::new("up", "Up."), Counter::new())?;
/// let mut names = Names(Vec::new());
/// registry.collect(&mut names)?;
/// assert_eq!(names.0, ["zone"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct LabelsIter<'a> {
    constant: std::slice::Iter<'a, (String, String)>,
    all_constant: &'a [(String, String)],
    own: FamilyLabels<'a>,
    index: usize,
    /// The rest of an encoded key.
    key: &'a [u8],
    /// The extra pairs not yet visited.
    extra: &'a [(String, String)],
    /// The labels, to check extra pairs against (`None` while checking).
    labels: Option<Labels<'a>>,
}

impl<'a> Iterator for LabelsIter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        if let Some((n, v)) = self.constant.next() {
            return Some((n, v));
        }
        let i = self.index;
        let pair = match self.own {
            FamilyLabels::None => None,
            FamilyLabels::Dense { names, sets, index } => (i < names.len()).then(|| {
                let radix = |set: &Option<&[&str]>| set.map_or(1, <[_]>::len);
                let stride: usize = sets[i + 1..].iter().map(radix).product();
                let digit = index as usize / stride % radix(&sets[i]);
                let value = sets[i]
                    .and_then(|set| set.get(digit).copied())
                    .unwrap_or("");
                (names.get(i), value)
            }),
            FamilyLabels::Encoded { names, .. } => (i < names.len()).then(|| {
                let end = self
                    .key
                    .iter()
                    .position(|&b| b == crate::label::SEP)
                    .unwrap_or(self.key.len());
                let value = std::str::from_utf8(&self.key[..end]).unwrap_or("");
                self.key = self.key.get(end + 1..).unwrap_or(&[]);
                (names.get(i), value)
            }),
            FamilyLabels::Overflow { names } => {
                (i < names.len()).then(|| (names.get(i), OVERFLOW_LABEL_VALUE))
            }
            FamilyLabels::Pairs(p) => {
                let constant = self.all_constant;
                let rest = p.get(i..).unwrap_or(&[]);
                match rest
                    .iter()
                    .position(|(n, _)| !constant.iter().any(|(c, _)| c == n))
                {
                    Some(skip) => {
                        self.index += skip;
                        let (n, v) = &rest[skip];
                        Some((n.as_str(), v.as_str()))
                    }
                    None => None,
                }
            }
        };
        self.index += 1;
        if pair.is_some() {
            return pair;
        }
        let labels = self.labels?;
        while let Some(((n, v), rest)) = self.extra.split_first() {
            self.extra = rest;
            if !labels.taken(n) {
                return Some((n.as_str(), v.as_str()));
            }
        }
        None
    }
}

/// A counter series: its total and the latest exemplar, if one was recorded.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, Descriptor, Labels, Number, Opts, Registry, Value, Visitor};
///
/// struct Total(Option<Number>);
/// impl Visitor for Total {
///     fn family(&mut self, _: &Descriptor) {}
///     fn series(&mut self, _: &Labels<'_>, value: &Value<'_>) {
///         if let Value::Counter(c) = value {
///             self.0 = Some(c.value);
///         }
///     }
/// }
/// let registry = Registry::new();
/// let c = Counter::new();
/// registry.register(Opts::new("jobs", "Jobs."), c.clone())?;
/// c.inc_by(5);
/// let mut total = Total(None);
/// registry.collect(&mut total)?;
/// assert_eq!(total.0, Some(Number::UInt(5)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct CounterValue<'a> {
    /// The total.
    pub value: Number,
    /// The latest exemplar (OpenMetrics only).
    pub exemplar: Option<&'a Exemplar>,
}

/// One histogram series, summed over shards.
///
/// The counts are read once each, so they are consistent with each other: the total
/// [`count`](Self::count) equals the `+Inf` bucket and [`cumulative`](Self::cumulative) never
/// decreases, even while other threads observe. The [`sum`](Self::sum) is a separate cell: it can
/// include an observation whose bucket the counts do not (yet) include, or the reverse.
///
/// # Examples
///
/// ```
/// let h = coremeter::Histogram::with_buckets(&[0.1, 1.0])?;
/// h.observe(0.05);
/// h.observe(0.5);
/// let snapshot = h.get();
/// let v = snapshot.value();
/// assert_eq!(v.bounds(), [0.1, 1.0]);
/// assert_eq!(v.cumulative().collect::<Vec<_>>(), [(0.1, 1), (1.0, 2), (f64::INFINITY, 2)]);
/// # Ok::<(), coremeter::BucketError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct HistogramValue<'a> {
    bounds: &'a [f64],
    counts: &'a [u64],
    sum: f64,
    exemplars: Option<(&'a ExemplarTable, u32)>,
}

impl<'a> HistogramValue<'a> {
    pub(crate) fn new(bounds: &'a [f64], counts: &'a [u64], sum: f64) -> Self {
        debug_assert_eq!(bounds.len() + 1, counts.len());
        HistogramValue {
            bounds,
            counts,
            sum,
            exemplars: None,
        }
    }

    pub(crate) fn with_exemplars(mut self, exemplars: Option<(&'a ExemplarTable, u32)>) -> Self {
        self.exemplars = exemplars;
        self
    }

    /// The finite upper bounds, strictly increasing (`+Inf` is implied after the last).
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::Histogram::with_buckets(&[1.0])?;
    /// h.observe(0.5);
    /// h.observe(2.0);
    /// let snapshot = h.get();
    /// let v = snapshot.value();
    /// assert_eq!(v.bounds(), [1.0]);
    /// # Ok::<(), coremeter::BucketError>(())
    /// ```
    pub fn bounds(&self) -> &'a [f64] {
        self.bounds
    }

    /// Observations per bucket, *not* cumulative: `counts()[i]` counts values in
    /// `(bounds[i-1], bounds[i]]`, and the last entry those above every bound (and NaN).
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::Histogram::with_buckets(&[1.0])?;
    /// h.observe(0.5);
    /// h.observe(2.0);
    /// let snapshot = h.get();
    /// let v = snapshot.value();
    /// assert_eq!(v.counts(), [1, 1]); // the last is +Inf
    /// # Ok::<(), coremeter::BucketError>(())
    /// ```
    pub fn counts(&self) -> &'a [u64] {
        self.counts
    }

    /// The sum of all observed values.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::Histogram::with_buckets(&[1.0])?;
    /// h.observe(0.5);
    /// h.observe(2.0);
    /// let snapshot = h.get();
    /// let v = snapshot.value();
    /// assert_eq!(v.sum(), 2.5);
    /// # Ok::<(), coremeter::BucketError>(())
    /// ```
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// The number of observations: the sum of the buckets, so always equal to the `+Inf` bucket.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::Histogram::with_buckets(&[1.0])?;
    /// h.observe(0.5);
    /// h.observe(2.0);
    /// let snapshot = h.get();
    /// let v = snapshot.value();
    /// assert_eq!(v.count(), 2);
    /// # Ok::<(), coremeter::BucketError>(())
    /// ```
    pub fn count(&self) -> u64 {
        self.counts.iter().fold(0, |acc, &c| acc.wrapping_add(c))
    }

    /// (upper bound, cumulative count) per bucket, ending with `(f64::INFINITY, count())`.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::Histogram::with_buckets(&[1.0, 2.0])?;
    /// h.observe(0.5);
    /// h.observe(1.5);
    /// h.observe(9.0);
    /// let snapshot = h.get();
    /// let buckets: Vec<(f64, u64)> = snapshot.value().cumulative().collect();
    /// assert_eq!(buckets, [(1.0, 1), (2.0, 2), (f64::INFINITY, 3)]);
    /// # Ok::<(), coremeter::BucketError>(())
    /// ```
    pub fn cumulative(&self) -> impl Iterator<Item = (f64, u64)> + 'a {
        let uppers = self.bounds.iter().copied().chain([f64::INFINITY]);
        uppers.zip(self.counts).scan(0u64, |acc, (upper, &c)| {
            *acc = acc.wrapping_add(c);
            Some((upper, *acc))
        })
    }

    /// The latest exemplar recorded in bucket `bucket` (`bounds().len()` is `+Inf`), if any.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = coremeter::Histogram::with_buckets(&[1.0])?;
    /// h.observe(0.5);
    /// h.observe(2.0);
    /// let snapshot = h.get();
    /// let v = snapshot.value();
    /// assert!(v.exemplar(0).is_none()); // observed without one
    /// # Ok::<(), coremeter::BucketError>(())
    /// ```
    pub fn exemplar(&self, bucket: usize) -> Option<&'a Exemplar> {
        let (table, offset) = self.exemplars?;
        table.get(offset + bucket as u32)
    }
}

/// A summary series: count and sum (no quantiles, as Python's `Summary`).
///
/// # Examples
///
/// ```
/// let s = coremeter::Summary::new();
/// s.observe(1.0);
/// s.observe(2.0);
/// let v = s.get();
/// assert_eq!((v.count, v.sum), (2, 3.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SummaryValue {
    /// The number of observations.
    pub count: u64,
    /// Their sum.
    pub sum: f64,
}

/// A statistics series: count, sum, minimum and maximum of the observations.
///
/// # Examples
///
/// ```
/// let s = coremeter::Statistics::new();
/// assert_eq!(s.get().average(), None);
/// s.observe(2.0);
/// s.observe(4.0);
/// let v = s.get();
/// assert_eq!((v.count, v.min, v.max, v.average()), (2, Some(2.0), Some(4.0), Some(3.0)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StatisticsValue {
    /// The number of observations.
    pub count: u64,
    /// Their sum.
    pub sum: f64,
    /// The smallest observation, `None` before the first.
    pub min: Option<f64>,
    /// The largest observation, `None` before the first.
    pub max: Option<f64>,
}

impl StatisticsValue {
    /// `sum / count`, `None` before the first observation.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = coremeter::Statistics::new();
    /// s.observe(1.0);
    /// s.observe(3.0);
    /// assert_eq!(s.get().average(), Some(2.0));
    /// ```
    pub fn average(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }
}

/// A state set series: its states and which one is set.
///
/// # Examples
///
/// ```
/// use coremeter::{Descriptor, Labels, Opts, Registry, StateSet, Value, Visitor};
///
/// struct Current(Option<String>);
/// impl Visitor for Current {
///     fn family(&mut self, _: &Descriptor) {}
///     fn series(&mut self, _: &Labels<'_>, value: &Value<'_>) {
///         if let Value::StateSet(s) = value {
///             self.0 = Some(s.states[s.current].to_owned());
///         }
///     }
/// }
/// let registry = Registry::new();
/// let state = StateSet::new(["starting", "running"])?;
/// registry.register(Opts::new("phase", "Phase."), state.clone())?;
/// state.set("running")?;
/// let mut current = Current(None);
/// registry.collect(&mut current)?;
/// assert_eq!(current.0.as_deref(), Some("running"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct StateSetValue<'a> {
    /// The states, in the order they were declared.
    pub states: &'a [&'static str],
    /// The index of the state that is set.
    pub current: usize,
}

/// The value of one series.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, Descriptor, Histogram, Labels, Opts, Registry, Value, Visitor};
///
/// #[derive(Default)]
/// struct Totals { counter: f64, observations: u64 }
/// impl Visitor for Totals {
///     fn family(&mut self, _: &Descriptor) {}
///     fn series(&mut self, _: &Labels<'_>, value: &Value<'_>) {
///         match value {
///             Value::Counter(c) => self.counter += c.value.as_f64(),
///             Value::Histogram(h) => self.observations += h.count(),
///             _ => {}
///         }
///     }
/// }
/// let registry = Registry::new();
/// let (c, h) = (Counter::new(), Histogram::new());
/// registry.register(Opts::new("jobs", "Jobs."), c.clone())?;
/// registry.register(Opts::new("latency", "Latency."), h.clone())?;
/// c.inc_by(3);
/// h.observe(0.2);
/// let mut totals = Totals::default();
/// registry.collect(&mut totals)?;
/// assert_eq!((totals.counter, totals.observations), (3.0, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Value<'a> {
    /// A counter's total.
    Counter(CounterValue<'a>),
    /// A gauge's value.
    Gauge(Number),
    /// A histogram's buckets, count and sum.
    Histogram(HistogramValue<'a>),
    /// A summary's count and sum.
    Summary(SummaryValue),
    /// Count, sum, minimum and maximum.
    Statistics(StatisticsValue),
    /// An info series: the value is 1, the information is in the labels.
    Info,
    /// A state set.
    StateSet(StateSetValue<'a>),
    /// A value of unknown type.
    Unknown(Number),
}

/// Receives what a registry holds: each family's descriptor, then each of its series.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, Descriptor, Labels, Opts, Registry, Value, Visitor};
///
/// struct Names(Vec<String>);
/// impl Visitor for Names {
///     fn family(&mut self, d: &Descriptor) {
///         self.0.push(d.name().to_owned());
///     }
///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
/// }
///
/// let registry = Registry::new();
/// registry.register(Opts::new("jobs", "Jobs run."), Counter::new())?;
/// let mut names = Names(Vec::new());
/// registry.collect(&mut names)?;
/// assert_eq!(names.0, ["jobs"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Visitor {
    /// Whether to read the family `descriptor` at all: a visitor that filters (by name, say)
    /// saves the collection of the families it would discard. Everything by default.
    fn wants(&mut self, descriptor: &Descriptor) -> bool {
        let _ = descriptor;
        true
    }

    /// Starts a family; its series follow.
    fn family(&mut self, descriptor: &Descriptor);

    /// One series of the current family.
    fn series(&mut self, labels: &Labels<'_>, value: &Value<'_>);

    /// Offered right after [`family`](Self::family) for a label family of counters, gauges or
    /// histograms: `layout` identifies its list of series (see [`Layout`]). A visitor that
    /// returns `true` receives the family's values in one [`values`](Self::values) call instead
    /// of a [`series`](Self::series) call per series; one that kept what it needs of each
    /// series' labels from an earlier collection with the same registration and layout saves
    /// reading them again. Nothing is offered by default.
    fn bulk(&mut self, layout: Layout) -> bool {
        let _ = layout;
        false
    }

    /// The values of a family whose [`bulk`](Self::bulk) offer was taken, in the order
    /// [`series`](Self::series) would have given them.
    fn values(&mut self, values: &Values<'_>) {
        let _ = values;
    }
}

/// Identifies the series of a label family at one collection: within one registration (see
/// [`Descriptor::registration`]), two collections that report equal layouts have the same series,
/// with the same labels, in the same order. A series added or removed in between changes it.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, Descriptor, DynLabels, Family, Labels, Layout, Opts, Registry, Value, Values, Visitor};
///
/// // A consumer that caches per-series work keeps the layout and redoes the work when it changes.
/// struct Layouts(Vec<Layout>);
/// impl Visitor for Layouts {
///     fn family(&mut self, _: &Descriptor) {}
///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
///     fn bulk(&mut self, layout: Layout) -> bool { self.0.push(layout); true }
///     fn values(&mut self, _: &Values<'_>) {}
/// }
/// let registry = Registry::new();
/// let f = Family::<DynLabels, Counter>::with_label_names(&["q"])?;
/// registry.register(Opts::new("jobs", "Jobs."), f.clone())?;
/// f.labels(&["a"])?.inc();
/// let mut layouts = Layouts(Vec::new());
/// registry.collect(&mut layouts)?;
/// f.labels(&["a"])?.inc(); // same series: same layout
/// registry.collect(&mut layouts)?;
/// f.labels(&["b"])?.inc(); // a new series: a new layout
/// registry.collect(&mut layouts)?;
/// assert_eq!(layouts.0[0], layouts.0[1]);
/// assert_ne!(layouts.0[1], layouts.0[2]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Layout(pub(crate) u64);

/// How [`Values`] hold each series.
///
/// # Examples
///
/// ```
/// use coremeter::{BulkKind, Counter, Descriptor, Labels, Layout, Opts, Registry, Value, Values, Visitor};
///
/// #[derive(Default)]
/// struct Bulk(Vec<(BulkKind, usize)>);
/// impl Visitor for Bulk {
///     fn family(&mut self, _: &Descriptor) {}
///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
///     fn bulk(&mut self, _: Layout) -> bool { true }
///     fn values(&mut self, values: &Values<'_>) { self.0.push((values.kind(), values.len())); }
/// }
/// // A family's series come in bulk when the visitor asks for it.
/// let registry = Registry::new();
/// let jobs = coremeter::Family::<coremeter::DynLabels, Counter>::with_label_names(&["queue"])?;
/// registry.register(Opts::new("jobs", "Jobs."), jobs.clone())?;
/// jobs.labels(&["email"])?.inc();
/// jobs.labels(&["sms"])?.inc();
/// let mut bulk = Bulk::default();
/// registry.collect(&mut bulk)?;
/// assert_eq!(bulk.0, [(BulkKind::Counter, 2)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BulkKind {
    /// [`Value::Counter`] with an integer total.
    Counter,
    /// [`Value::Counter`] with a float total.
    FloatCounter,
    /// [`Value::Gauge`], an integer.
    Gauge,
    /// [`Value::Gauge`], a float.
    FloatGauge,
    /// [`Value::Histogram`].
    Histogram,
}

/// The values of every series of a family, read in one pass (see [`Visitor::bulk`]).
///
/// [`value`](Self::value) gives each series' value without its exemplars, which is what almost
/// every series has; the few series whose storage holds exemplars are listed by
/// [`exemplar_series`](Self::exemplar_series), and [`with_exemplars`](Self::with_exemplars)
/// gives their values with them.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, Descriptor, DynLabels, Family, Labels, Layout, Opts, Registry, Value, Values, Visitor};
///
/// struct Sum(f64);
/// impl Visitor for Sum {
///     fn family(&mut self, _: &Descriptor) {}
///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
///     fn bulk(&mut self, _: Layout) -> bool { true }
///     fn values(&mut self, values: &Values<'_>) {
///         self.0 += (0..values.len()).filter_map(|i| values.number(i)).map(|n| n.as_f64()).sum::<f64>();
///     }
/// }
/// let registry = Registry::new();
/// let f = Family::<DynLabels, Counter>::with_label_names(&["q"])?;
/// registry.register(Opts::new("jobs", "Jobs."), f.clone())?;
/// f.labels(&["a"])?.inc_by(2);
/// f.labels(&["b"])?.inc_by(3);
/// let mut sum = Sum(0.0);
/// registry.collect(&mut sum)?;
/// assert_eq!(sum.0, 5.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Values<'a> {
    kind: BulkKind,
    /// Words per series.
    stride: usize,
    words: &'a [u64],
    bounds: &'a [f64],
    exemplars: &'a [(u32, CellRun)],
}

impl<'a> Values<'a> {
    /// How each series is held.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Descriptor, DynLabels, Family, Labels, Layout, Opts, Registry, Value, Values, Visitor};
    ///
    /// struct Bulk(Vec<String>);
    /// impl Visitor for Bulk {
    ///     fn family(&mut self, _: &Descriptor) {}
    ///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
    ///     fn bulk(&mut self, _: Layout) -> bool { true }
    ///     fn values(&mut self, v: &Values<'_>) { self.0.push(format!("{:?}", v.kind())); }
    /// }
    /// let registry = Registry::new();
    /// let f = Family::<DynLabels, Counter>::with_label_names(&["q"])?;
    /// registry.register(Opts::new("jobs", "Jobs."), f.clone())?;
    /// f.labels(&["a"])?.inc_by(1);
    /// let mut bulk = Bulk(Vec::new());
    /// registry.collect(&mut bulk)?;
    /// assert_eq!(bulk.0, ["Counter"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn kind(&self) -> BulkKind {
        self.kind
    }

    /// The values as the storage holds them: a fixed number of 64-bit words per series, in
    /// series order. Two reads of the same family (same [`Layout`]) with equal words have equal
    /// values, to the bit, so a consumer can keep the words of its last read and skip
    /// the work for a family whose values did not change (coremeter-encode copies such a family's
    /// text from its previous scrape). Exemplars are not part of the words.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Descriptor, DynLabels, Family, Labels, Layout, Opts, Registry, Value, Values, Visitor};
    ///
    /// #[derive(Default)]
    /// struct Words(Vec<Vec<u64>>);
    /// impl Visitor for Words {
    ///     fn family(&mut self, _: &Descriptor) {}
    ///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
    ///     fn bulk(&mut self, _: Layout) -> bool { true }
    ///     fn values(&mut self, v: &Values<'_>) { self.0.push(v.words().to_vec()); }
    /// }
    /// let registry = Registry::new();
    /// let f = Family::<DynLabels, Counter>::with_label_names(&["q"])?;
    /// registry.register(Opts::new("jobs", "Jobs."), f.clone())?;
    /// f.labels(&["a"])?.inc_by(2);
    /// let mut reads = Words::default();
    /// registry.collect(&mut reads)?;
    /// registry.collect(&mut reads)?;
    /// f.labels(&["a"])?.inc();
    /// registry.collect(&mut reads)?;
    /// assert_eq!(reads.0[0], reads.0[1]);
    /// assert_ne!(reads.0[1], reads.0[2]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn words(&self) -> &'a [u64] {
        self.words
    }

    /// The number of series.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Descriptor, DynLabels, Family, Labels, Layout, Opts, Registry, Value, Values, Visitor};
    ///
    /// struct Bulk(Vec<String>);
    /// impl Visitor for Bulk {
    ///     fn family(&mut self, _: &Descriptor) {}
    ///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
    ///     fn bulk(&mut self, _: Layout) -> bool { true }
    ///     fn values(&mut self, v: &Values<'_>) { self.0.push(v.len().to_string()); }
    /// }
    /// let registry = Registry::new();
    /// let f = Family::<DynLabels, Counter>::with_label_names(&["q"])?;
    /// registry.register(Opts::new("jobs", "Jobs."), f.clone())?;
    /// f.labels(&["a"])?.inc_by(1);
    /// let mut bulk = Bulk(Vec::new());
    /// registry.collect(&mut bulk)?;
    /// assert_eq!(bulk.0, ["1"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.words.len() / self.stride
    }

    /// Whether there are none.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Descriptor, DynLabels, Family, Labels, Layout, Opts, Registry, Value, Values, Visitor};
    ///
    /// struct Bulk(Vec<String>);
    /// impl Visitor for Bulk {
    ///     fn family(&mut self, _: &Descriptor) {}
    ///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
    ///     fn bulk(&mut self, _: Layout) -> bool { true }
    ///     fn values(&mut self, v: &Values<'_>) { self.0.push(v.is_empty().to_string()); }
    /// }
    /// let registry = Registry::new();
    /// let f = Family::<DynLabels, Counter>::with_label_names(&["q"])?;
    /// registry.register(Opts::new("jobs", "Jobs."), f.clone())?;
    /// f.labels(&["a"])?.inc_by(1);
    /// let mut bulk = Bulk(Vec::new());
    /// registry.collect(&mut bulk)?;
    /// assert_eq!(bulk.0, ["false"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The value of series `i`, without exemplars.
    ///
    /// # Panics
    ///
    /// If `i >= len()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Descriptor, DynLabels, Family, Labels, Layout, Opts, Registry, Value, Values, Visitor};
    ///
    /// struct Bulk(Vec<String>);
    /// impl Visitor for Bulk {
    ///     fn family(&mut self, _: &Descriptor) {}
    ///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
    ///     fn bulk(&mut self, _: Layout) -> bool { true }
    ///     fn values(&mut self, v: &Values<'_>) { if let Value::Counter(c) = v.value(0) { self.0.push(c.value.as_f64().to_string()); } }
    /// }
    /// let registry = Registry::new();
    /// let f = Family::<DynLabels, Counter>::with_label_names(&["q"])?;
    /// registry.register(Opts::new("jobs", "Jobs."), f.clone())?;
    /// f.labels(&["a"])?.inc_by(4);
    /// let mut bulk = Bulk(Vec::new());
    /// registry.collect(&mut bulk)?;
    /// assert_eq!(bulk.0, ["4"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn value(&self, i: usize) -> Value<'a> {
        let at = i * self.stride;
        let words = &self.words[at..at + self.stride];
        let w = words[0];
        match self.kind {
            BulkKind::Counter => Value::Counter(CounterValue {
                value: Number::UInt(w),
                exemplar: None,
            }),
            BulkKind::FloatCounter => Value::Counter(CounterValue {
                value: Number::Float(f64::from_bits(w)),
                exemplar: None,
            }),
            BulkKind::Gauge => Value::Gauge(Number::Int(w as i64)),
            BulkKind::FloatGauge => Value::Gauge(Number::Float(f64::from_bits(w))),
            BulkKind::Histogram => {
                let (counts, sum) = words.split_at(self.bounds.len() + 1);
                Value::Histogram(HistogramValue::new(
                    self.bounds,
                    counts,
                    f64::from_bits(sum[0]),
                ))
            }
        }
    }

    /// The value of series `i` of a counter or gauge kind; `None` for histograms.
    ///
    /// # Panics
    ///
    /// If `i >= len()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Descriptor, DynLabels, Family, Labels, Layout, Opts, Registry, Value, Values, Visitor};
    ///
    /// struct Bulk(Vec<String>);
    /// impl Visitor for Bulk {
    ///     fn family(&mut self, _: &Descriptor) {}
    ///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
    ///     fn bulk(&mut self, _: Layout) -> bool { true }
    ///     fn values(&mut self, v: &Values<'_>) { self.0.push(format!("{:?}", v.number(0))); }
    /// }
    /// let registry = Registry::new();
    /// let f = Family::<DynLabels, Counter>::with_label_names(&["q"])?;
    /// registry.register(Opts::new("jobs", "Jobs."), f.clone())?;
    /// f.labels(&["a"])?.inc_by(2);
    /// let mut bulk = Bulk(Vec::new());
    /// registry.collect(&mut bulk)?;
    /// assert_eq!(bulk.0, ["Some(UInt(2))"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn number(&self, i: usize) -> Option<Number> {
        let w = self.words[i * self.stride];
        match self.kind {
            BulkKind::Counter => Some(Number::UInt(w)),
            BulkKind::Gauge => Some(Number::Int(w as i64)),
            BulkKind::FloatCounter | BulkKind::FloatGauge => Some(Number::Float(f64::from_bits(w))),
            BulkKind::Histogram => None,
        }
    }

    /// The series whose values may come with exemplars, in increasing order.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Descriptor, DynLabels, Family, Labels, Layout, Opts, Registry, Value, Values, Visitor};
    ///
    /// struct Bulk(Vec<String>);
    /// impl Visitor for Bulk {
    ///     fn family(&mut self, _: &Descriptor) {}
    ///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
    ///     fn bulk(&mut self, _: Layout) -> bool { true }
    ///     fn values(&mut self, v: &Values<'_>) { self.0.push(v.exemplar_series().count().to_string()); }
    /// }
    /// let registry = Registry::new();
    /// let f = Family::<DynLabels, Counter>::with_label_names(&["q"])?;
    /// registry.register(Opts::new("jobs", "Jobs."), f.clone())?;
    /// f.labels(&["a"])?.inc_by(1);
    /// let mut bulk = Bulk(Vec::new());
    /// registry.collect(&mut bulk)?;
    /// assert_eq!(bulk.0, ["0"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn exemplar_series(&self) -> impl Iterator<Item = usize> + '_ {
        self.exemplars.iter().map(|&(i, _)| i as usize)
    }

    /// Calls `f` with the value of series `i` and its exemplars (as [`Visitor::series`] would
    /// have), holding the lock of the table they are kept in.
    ///
    /// # Panics
    ///
    /// If `i >= len()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Descriptor, DynLabels, Family, Labels, Layout, Opts, Registry, Value, Values, Visitor};
    ///
    /// struct Bulk(Vec<String>);
    /// impl Visitor for Bulk {
    ///     fn family(&mut self, _: &Descriptor) {}
    ///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
    ///     fn bulk(&mut self, _: Layout) -> bool { true }
    ///     fn values(&mut self, v: &Values<'_>) { v.with_exemplars(0, |value| if let Value::Counter(c) = value { self.0.push(c.exemplar.is_some().to_string()) }); }
    /// }
    /// let registry = Registry::new();
    /// let f = Family::<DynLabels, Counter>::with_label_names(&["q"])?;
    /// registry.register(Opts::new("jobs", "Jobs."), f.clone())?;
    /// f.labels(&["a"])?.inc_by(1);
    /// let mut bulk = Bulk(Vec::new());
    /// registry.collect(&mut bulk)?;
    /// assert_eq!(bulk.0, ["false"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_exemplars<R>(&self, i: usize, f: impl FnOnce(&Value<'_>) -> R) -> R {
        let value = self.value(i);
        let run = self
            .exemplars
            .binary_search_by_key(&(i as u32), |&(s, _)| s)
            .ok()
            .map(|at| &self.exemplars[at].1);
        let Some(table) = run.and_then(CellRun::exemplars) else {
            return f(&value);
        };
        let (table, at) = (&*table.0, table.1);
        match value {
            Value::Counter(c) => f(&Value::Counter(CounterValue {
                exemplar: table.get(at),
                ..c
            })),
            Value::Histogram(h) => f(&Value::Histogram(h.with_exemplars(Some((table, at))))),
            other => f(&other),
        }
    }
}

impl fmt::Debug for Values<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Values")
            .field("kind", &self.kind)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// Buffers a collection reuses: one histogram's counts, a family's bulk values.
#[derive(Default)]
pub(crate) struct Buffers {
    counts: Vec<u64>,
    words: Vec<u64>,
    exemplars: Vec<(u32, CellRun)>,
}

/// Where a family's children write their values when the family is read in bulk (see
/// [`Visitor::bulk`]); only this crate writes to it.
///
/// # Examples
///
/// ```
/// // Written by the families of this crate during a bulk read; a visitor sees the result as
/// // `Values` (see `Visitor::values`).
/// let _ = std::any::type_name::<coremeter::BulkSink<'static>>();
/// ```
pub struct BulkSink<'a> {
    pub(crate) words: &'a mut Vec<u64>,
    exemplars: &'a mut Vec<(u32, CellRun)>,
    pub(crate) mode: ReadMode<'a>,
    series: u32,
}

impl fmt::Debug for BulkSink<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkSink")
            .field("series", &self.series)
            .finish_non_exhaustive()
    }
}

impl BulkSink<'_> {
    /// Ends the series whose words were just pushed, read from `run`.
    #[inline]
    pub(crate) fn end_series(&mut self, run: &CellRun) {
        if run.has_exemplars() {
            self.exemplars.push((self.series, run.view(0)));
        }
        self.series += 1;
    }
}

/// Where a [`Metric`](crate::Metric) writes its series during a collection.
///
/// # Examples
///
/// ```
/// // A Collector is what Registry::collect hands each metric; users only see its effect.
/// let registry = coremeter::Registry::new();
/// registry.register(coremeter::Opts::new("jobs", "Jobs."), coremeter::Counter::new())?;
/// assert_eq!(registry.samples().len(), 1);
/// # Ok::<(), coremeter::RegistryError>(())
/// ```
pub struct Collector<'a> {
    visitor: &'a mut dyn Visitor,
    labels: Labels<'a>,
    mode: ReadMode<'a>,
    /// Reused across the histograms and families of a collection (and across collections on a
    /// thread), so that reading them allocates nothing once they have grown.
    buffers: &'a mut Buffers,
    /// The last layout offered to the visitor in bulk, and its answer.
    offered: Option<(Layout, bool)>,
}

impl<'a> Collector<'a> {
    pub(crate) fn new(
        visitor: &'a mut dyn Visitor,
        labels: Labels<'a>,
        mode: ReadMode<'a>,
        buffers: &'a mut Buffers,
    ) -> Self {
        Collector {
            visitor,
            labels,
            mode,
            buffers,
            offered: None,
        }
    }

    /// Records the visitor's answer to an offer of `layout` in bulk made before this collector
    /// (by the registry, reading from its plan).
    pub(crate) fn answered(&mut self, layout: Layout, answer: bool) {
        self.offered = Some((layout, answer));
    }

    /// Offers the values of a family whose series are `layout` in bulk; whether the visitor
    /// takes them (then [`values`](Self::values) must follow). The visitor is asked once per
    /// layout: a second offer of the same layout gets the first answer.
    #[inline]
    pub(crate) fn bulk(&mut self, layout: Layout) -> bool {
        match self.offered {
            Some((offered, answer)) if offered == layout => answer,
            _ => {
                let answer = self.visitor.bulk(layout);
                self.offered = Some((layout, answer));
                answer
            }
        }
    }

    /// Hands the visitor the values `read` writes, `stride` words per series of `kind`.
    pub(crate) fn values(
        &mut self,
        kind: BulkKind,
        stride: usize,
        bounds: &[f64],
        read: impl FnOnce(&mut BulkSink<'_>),
    ) {
        let buffers = &mut *self.buffers;
        buffers.words.clear();
        buffers.exemplars.clear();
        read(&mut BulkSink {
            words: &mut buffers.words,
            exemplars: &mut buffers.exemplars,
            mode: self.mode.reborrow(),
            series: 0,
        });
        self.visitor.values(&Values {
            kind,
            stride: stride.max(1),
            words: &buffers.words,
            bounds,
            exemplars: &buffers.exemplars,
        });
        // The runs are only valid while the family is read.
        buffers.exemplars.clear();
    }

    /// How values are read: current, or for a reset (counters, histograms, summaries and
    /// statistics report what they counted since the previous reset, and the commit makes it the
    /// new baseline).
    pub(crate) fn mode(&mut self) -> ReadMode<'_> {
        self.mode.reborrow()
    }

    /// Emits one series with the current labels.
    #[inline]
    pub(crate) fn series(&mut self, value: &Value<'_>) {
        self.visitor.series(&self.labels, value);
    }

    /// Runs `f` with a collector whose series carry `own` labels after the constant ones; `f`
    /// may change them between series with [`set_own`](Self::set_own) (a family's children).
    #[inline]
    pub(crate) fn with_labels<'b, R>(
        &'b mut self,
        own: FamilyLabels<'b>,
        f: impl FnOnce(&mut Collector<'b>) -> R,
    ) -> R {
        let labels = self.labels.with(own);
        f(&mut self.child(labels))
    }

    /// Replaces the series' own labels (the next child of a family).
    #[inline]
    pub(crate) fn set_own(&mut self, own: FamilyLabels<'a>) {
        self.labels.own = own;
    }

    /// Runs `f` with a collector whose series carry `extra` pairs after the family's labels.
    pub(crate) fn with_extra<R>(
        &mut self,
        extra: &[(String, String)],
        f: impl FnOnce(&mut Collector<'_>) -> R,
    ) -> R {
        let labels = self.labels.with_extra(extra);
        self.nested(labels, f)
    }

    #[inline]
    fn nested<R>(&mut self, labels: Labels<'_>, f: impl FnOnce(&mut Collector<'_>) -> R) -> R {
        f(&mut self.child(labels))
    }

    /// A collector of the same collection whose series carry `labels`.
    #[inline]
    fn child<'b>(&'b mut self, labels: Labels<'b>) -> Collector<'b> {
        Collector::new(
            &mut *self.visitor,
            labels,
            self.mode.reborrow(),
            &mut *self.buffers,
        )
    }

    /// Emits a histogram series whose `bounds.len() + 1` counts `fill` writes into a zeroed
    /// buffer, returning the sum and where its exemplars are.
    pub(crate) fn histogram(
        &mut self,
        bounds: &[f64],
        fill: impl FnOnce(&mut [u64], ReadMode<'_>) -> f64,
        exemplars: Option<(&ExemplarTable, u32)>,
    ) {
        let counts = &mut self.buffers.counts;
        counts.clear();
        counts.resize(bounds.len() + 1, 0);
        let sum = fill(counts, self.mode.reborrow());
        let value = HistogramValue::new(bounds, counts, sum).with_exemplars(exemplars);
        self.visitor.series(&self.labels, &Value::Histogram(value));
    }
}

impl fmt::Debug for Collector<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Collector")
            .field("labels", &self.labels)
            .field("reset", &matches!(self.mode, ReadMode::Reset(_)))
            .finish_non_exhaustive()
    }
}
