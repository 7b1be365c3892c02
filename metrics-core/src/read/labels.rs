//! [`Labels`]: the label pairs of one series, in whatever form its metric keeps them, and
//! [`SeriesKey`], what tells a series from the others of its family cheaply.

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
    pub(super) own: FamilyLabels<'a>,
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
    /// (see [`Descriptor::registration`](crate::Descriptor::registration)), two series with equal keys other than
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
