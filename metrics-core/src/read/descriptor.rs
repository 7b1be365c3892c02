//! [`Descriptor`]: what a registry knows about a metric family (name, HELP, type, unit).

use std::borrow::Cow;

use crate::read::MetricType;

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
    /// the registry's constant labels and, for each [`SeriesKey`](crate::SeriesKey), the series' labels: a consumer
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
