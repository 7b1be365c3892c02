//! A family's values as words, read in one pass: [`SeriesListVersion`], [`ValueKind`], [`Values`], and the
//! crate's [`Shape`].
//!
//! Every metric type reads a series into words in one function (`Storage::read`), whichever way
//! a collection hands the values on: in bulk to a visitor that takes them, or series by series,
//! each decoded from the words by [`Values::value`].

use std::fmt;

use crate::read::{
    CounterValue, HistogramValue, NativeHistogramSnapshot, Number, StateSetValue, StatisticsValue,
    SummaryValue, Value,
};
use crate::slab::CellRun;

/// The version of a label family's list of series at one collection: within one registration
/// (see [`Descriptor::registration`](crate::Descriptor::registration)), two collections that
/// report equal versions have the same series, with the same labels, in the same order. A series
/// added or removed in between changes it.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, Descriptor, DynLabels, Family, Labels, SeriesListVersion, Opts, Registry, Value, Values, Visitor};
///
/// // A consumer that caches per-series work keeps the version and redoes the work when it changes.
/// struct Versions(Vec<SeriesListVersion>);
/// impl Visitor for Versions {
///     fn family(&mut self, _: &Descriptor) {}
///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
///     fn values(&mut self, v: &Values<'_>) -> bool { self.0.push(v.version()); true }
/// }
/// let registry = Registry::new();
/// let f = Family::<DynLabels, Counter>::with_label_names(&["q"])?;
/// registry.register(Opts::new("jobs", "Jobs."), f.clone())?;
/// f.labels(&["a"])?.inc();
/// let mut versions = Versions(Vec::new());
/// registry.collect(&mut versions)?;
/// f.labels(&["a"])?.inc(); // same series: same version
/// registry.collect(&mut versions)?;
/// f.labels(&["b"])?.inc(); // a new series: a new version
/// registry.collect(&mut versions)?;
/// assert_eq!(versions.0[0], versions.0[1]);
/// assert_ne!(versions.0[1], versions.0[2]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SeriesListVersion(pub(crate) u64);

/// How [`Values`] hold each series.
///
/// # Examples
///
/// ```
/// use coremeter::{ValueKind, Counter, Descriptor, Labels, Opts, Registry, Value, Values, Visitor};
///
/// #[derive(Default)]
/// struct Bulk(Vec<(ValueKind, usize)>);
/// impl Visitor for Bulk {
///     fn family(&mut self, _: &Descriptor) {}
///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
///     fn values(&mut self, values: &Values<'_>) -> bool { self.0.push((values.kind(), values.len())); true }
/// }
/// // A family's series come in bulk when the visitor asks for it.
/// let registry = Registry::new();
/// let jobs = coremeter::Family::<coremeter::DynLabels, Counter>::with_label_names(&["queue"])?;
/// registry.register(Opts::new("jobs", "Jobs."), jobs.clone())?;
/// jobs.labels(&["email"])?.inc();
/// jobs.labels(&["sms"])?.inc();
/// let mut bulk = Bulk::default();
/// registry.collect(&mut bulk)?;
/// assert_eq!(bulk.0, [(ValueKind::Counter, 2)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ValueKind {
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
    /// [`Value::Summary`]: count and sum.
    Summary,
    /// [`Value::Statistics`]: count, sum, minimum, maximum, and which of the extremes exist.
    Statistics,
    /// [`Value::StateSet`]: the index of the current state.
    StateSet,
    /// [`Value::Info`]: no value (the pairs are labels).
    Info,
    /// [`Value::Histogram`] of a native histogram (its buckets are not words: never offered in
    /// bulk).
    NativeHistogram,
}

/// How a metric type holds a series as words: what [`Values`] needs besides the words. Public
/// only because the crate-private `Storage` trait, public as a sealed supertrait, names it;
/// nothing outside this crate can reach it.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub(crate) kind: ValueKind,
    /// Words per series.
    pub(crate) stride: usize,
    /// A histogram's bucket bounds.
    pub(crate) bounds: &'static [f64],
    /// A state set's states.
    pub(crate) states: &'static [&'static str],
}

impl Shape {
    /// One word per series, of `kind`.
    pub(crate) const fn word(kind: ValueKind) -> Self {
        Shape {
            kind,
            stride: 1,
            bounds: &[],
            states: &[],
        }
    }

    /// Whether a visitor is offered a family of this shape in bulk (see
    /// [`Visitor::values`](crate::Visitor::values)): the kinds whose series are their words (an
    /// info's labels are not).
    pub(crate) fn offered(&self) -> bool {
        matches!(
            self.kind,
            ValueKind::Counter
                | ValueKind::FloatCounter
                | ValueKind::Gauge
                | ValueKind::FloatGauge
                | ValueKind::Histogram
        )
    }
}

/// The words of a statistics series that tell which extremes it has.
pub(crate) const STATISTICS_MIN: u64 = 1;
pub(crate) const STATISTICS_MAX: u64 = 2;

/// The values of every series of a family, read in one pass (see [`Visitor::values`](crate::Visitor::values)).
///
/// [`value`](Self::value) gives each series' value without its exemplars, which is what almost
/// every series has; the few series whose storage holds exemplars are listed by
/// [`exemplar_series`](Self::exemplar_series), and [`with_exemplars`](Self::with_exemplars)
/// gives their values with them.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, Descriptor, DynLabels, Family, Labels, Opts, Registry, Value, Values, Visitor};
///
/// struct Sum(f64);
/// impl Visitor for Sum {
///     fn family(&mut self, _: &Descriptor) {}
///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
///     fn values(&mut self, values: &Values<'_>) -> bool {
///         self.0 += (0..values.len()).filter_map(|i| values.number(i)).map(|n| n.as_f64()).sum::<f64>();
///         true
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
    pub(super) shape: Shape,
    pub(super) version: SeriesListVersion,
    pub(super) words: &'a [u64],
    /// The series whose runs keep side tables (exemplars, an info's pairs), with a view of the
    /// run.
    pub(super) tables: &'a [(u32, CellRun)],
    /// Native histograms' values, by the index in their series' word.
    pub(super) natives: &'a [NativeHistogramSnapshot],
}

impl<'a> Values<'a> {
    /// How each series is held.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Descriptor, DynLabels, Family, Labels, Opts, Registry, Value, Values, Visitor};
    ///
    /// struct Bulk(Vec<String>);
    /// impl Visitor for Bulk {
    ///     fn family(&mut self, _: &Descriptor) {}
    ///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
    ///     fn values(&mut self, v: &Values<'_>) -> bool { self.0.push(format!("{:?}", v.kind())); true }
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
    pub fn kind(&self) -> ValueKind {
        self.shape.kind
    }

    /// The family's list of series at this read (see [`SeriesListVersion`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Descriptor, DynLabels, Family, Labels, SeriesListVersion, Opts, Registry, Value, Values, Visitor};
    ///
    /// struct Versions(Vec<SeriesListVersion>);
    /// impl Visitor for Versions {
    ///     fn family(&mut self, _: &Descriptor) {}
    ///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
    ///     fn values(&mut self, v: &Values<'_>) -> bool { self.0.push(v.version()); true }
    /// }
    /// let registry = Registry::new();
    /// let f = Family::<DynLabels, Counter>::with_label_names(&["q"])?;
    /// registry.register(Opts::new("jobs", "Jobs."), f.clone())?;
    /// f.labels(&["a"])?.inc();
    /// let mut versions = Versions(Vec::new());
    /// registry.collect(&mut versions)?;
    /// registry.collect(&mut versions)?;
    /// assert_eq!(versions.0[0], versions.0[1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn version(&self) -> SeriesListVersion {
        self.version
    }

    /// The values as the storage holds them: a fixed number of 64-bit words per series, in
    /// series order. Two reads of the same family (same [`SeriesListVersion`]) with equal words have equal
    /// values, to the bit, so a consumer can keep the words of its last read and skip
    /// the work for a family whose values did not change (coremeter-encode copies such a family's
    /// text from its previous scrape). Exemplars are not part of the words.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Descriptor, DynLabels, Family, Labels, Opts, Registry, Value, Values, Visitor};
    ///
    /// #[derive(Default)]
    /// struct Words(Vec<Vec<u64>>);
    /// impl Visitor for Words {
    ///     fn family(&mut self, _: &Descriptor) {}
    ///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
    ///     fn values(&mut self, v: &Values<'_>) -> bool { self.0.push(v.words().to_vec()); true }
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
    /// use coremeter::{Counter, Descriptor, DynLabels, Family, Labels, Opts, Registry, Value, Values, Visitor};
    ///
    /// struct Bulk(Vec<String>);
    /// impl Visitor for Bulk {
    ///     fn family(&mut self, _: &Descriptor) {}
    ///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
    ///     fn values(&mut self, v: &Values<'_>) -> bool { self.0.push(v.len().to_string()); true }
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
        self.words.len() / self.shape.stride
    }

    /// Whether there are none.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Descriptor, DynLabels, Family, Labels, Opts, Registry, Value, Values, Visitor};
    ///
    /// struct Bulk(Vec<String>);
    /// impl Visitor for Bulk {
    ///     fn family(&mut self, _: &Descriptor) {}
    ///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
    ///     fn values(&mut self, v: &Values<'_>) -> bool { self.0.push(v.is_empty().to_string()); true }
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
    /// use coremeter::{Counter, Descriptor, DynLabels, Family, Labels, Opts, Registry, Value, Values, Visitor};
    ///
    /// struct Bulk(Vec<String>);
    /// impl Visitor for Bulk {
    ///     fn family(&mut self, _: &Descriptor) {}
    ///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
    ///     fn values(&mut self, v: &Values<'_>) -> bool { if let Value::Counter(c) = v.value(0) { self.0.push(c.value.as_f64().to_string()); } true }
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
        let stride = self.shape.stride;
        let words = &self.words[i * stride..(i + 1) * stride];
        let w = words[0];
        match self.shape.kind {
            ValueKind::Counter => Value::Counter(CounterValue {
                value: Number::UInt(w),
                exemplar: None,
            }),
            ValueKind::FloatCounter => Value::Counter(CounterValue {
                value: Number::Float(f64::from_bits(w)),
                exemplar: None,
            }),
            ValueKind::Gauge => Value::Gauge(Number::Int(w as i64)),
            ValueKind::FloatGauge => Value::Gauge(Number::Float(f64::from_bits(w))),
            ValueKind::Histogram => {
                let bounds = self.shape.bounds;
                let (counts, sum) = words.split_at(bounds.len() + 1);
                Value::Histogram(HistogramValue::new(bounds, counts, f64::from_bits(sum[0])))
            }
            ValueKind::Summary => Value::Summary(SummaryValue {
                count: w,
                sum: f64::from_bits(words[1]),
            }),
            ValueKind::Statistics => {
                let has = words[4];
                Value::Statistics(StatisticsValue {
                    count: w,
                    sum: f64::from_bits(words[1]),
                    min: (has & STATISTICS_MIN != 0).then(|| f64::from_bits(words[2])),
                    max: (has & STATISTICS_MAX != 0).then(|| f64::from_bits(words[3])),
                })
            }
            ValueKind::StateSet => Value::StateSet(StateSetValue {
                states: self.shape.states,
                current: w as usize,
            }),
            ValueKind::Info => Value::Info,
            ValueKind::NativeHistogram => Value::Histogram(self.natives[w as usize].value()),
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
    /// use coremeter::{Counter, Descriptor, DynLabels, Family, Labels, Opts, Registry, Value, Values, Visitor};
    ///
    /// struct Bulk(Vec<String>);
    /// impl Visitor for Bulk {
    ///     fn family(&mut self, _: &Descriptor) {}
    ///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
    ///     fn values(&mut self, v: &Values<'_>) -> bool { self.0.push(format!("{:?}", v.number(0))); true }
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
        let w = self.words[i * self.shape.stride];
        match self.shape.kind {
            ValueKind::Counter => Some(Number::UInt(w)),
            ValueKind::Gauge => Some(Number::Int(w as i64)),
            ValueKind::FloatCounter | ValueKind::FloatGauge => {
                Some(Number::Float(f64::from_bits(w)))
            }
            _ => None,
        }
    }

    /// The series whose values may come with exemplars, in increasing order.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Descriptor, DynLabels, Family, Labels, Opts, Registry, Value, Values, Visitor};
    ///
    /// struct Bulk(Vec<String>);
    /// impl Visitor for Bulk {
    ///     fn family(&mut self, _: &Descriptor) {}
    ///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
    ///     fn values(&mut self, v: &Values<'_>) -> bool { self.0.push(v.exemplar_series().count().to_string()); true }
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
        self.tables.iter().map(|&(i, _)| i as usize)
    }

    /// Calls `f` with the value of series `i` and its exemplars (as [`Visitor::series`](crate::Visitor::series) would
    /// have), holding the lock of the table they are kept in.
    ///
    /// # Panics
    ///
    /// If `i >= len()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Descriptor, DynLabels, Family, Labels, Opts, Registry, Value, Values, Visitor};
    ///
    /// struct Bulk(Vec<String>);
    /// impl Visitor for Bulk {
    ///     fn family(&mut self, _: &Descriptor) {}
    ///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
    ///     fn values(&mut self, v: &Values<'_>) -> bool { v.with_exemplars(0, |value| if let Value::Counter(c) = value { self.0.push(c.exemplar.is_some().to_string()) }); true }
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
        let Some(table) = self.table_run(i).and_then(CellRun::exemplars) else {
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

impl Values<'_> {
    /// The run of series `i` if its block keeps side tables.
    pub(crate) fn table_run(&self, i: usize) -> Option<&CellRun> {
        let at = self
            .tables
            .binary_search_by_key(&(i as u32), |&(s, _)| s)
            .ok()?;
        Some(&self.tables[at].1)
    }
}

impl fmt::Debug for Values<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Values")
            .field("kind", &self.shape.kind)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}
