//! [`Scrape`]: what one scrape asks for (format, names, reset, gzip).

use crate::Format;

/// What one scrape asks for: the format, which names, whether to reset, whether to gzip.
///
/// # Examples
///
/// ```
/// use coremeter_encode::{Format, Scrape};
///
/// let prometheus = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5";
/// let scrape = Scrape::negotiate(Some(prometheus), Some("gzip")).names(["http_requests"]);
/// assert_eq!(scrape.format(), Format::OpenMetrics);
/// assert_eq!(scrape.content_encoding(), Some("gzip"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Scrape {
    pub(crate) format: Format,
    pub(crate) names: Vec<String>,
    pub(crate) reset: bool,
    pub(crate) gzip: bool,
}

impl Scrape {
    /// Everything, in `format`, not reset, not compressed.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter_encode::{Format, Scrape};
    ///
    /// let scrape = Scrape::new(Format::OpenMetrics);
    /// assert_eq!(scrape.format(), Format::OpenMetrics);
    /// assert_eq!(scrape.content_encoding(), None);
    /// ```
    pub fn new(format: Format) -> Self {
        Scrape {
            format,
            ..Scrape::default()
        }
    }

    /// The scrape a request with these `Accept` and `Accept-Encoding` headers asks for (see
    /// [`Format::negotiate`] and [`accepts_gzip`](crate::accepts_gzip)).
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter_encode::{Format, Scrape};
    ///
    /// let curl = Scrape::negotiate(Some("*/*"), None);
    /// assert_eq!(curl.format(), Format::Text);
    /// ```
    pub fn negotiate(accept: Option<&str>, accept_encoding: Option<&str>) -> Self {
        Scrape {
            format: Format::negotiate(accept),
            gzip: crate::accepts_gzip(accept_encoding),
            ..Scrape::default()
        }
    }

    /// Restricts the output to these names, like the `name[]` query parameters of Prometheus'
    /// federation and Python's restricted registry. A family's name (`http_requests`) selects the
    /// whole family; a sample name (`http_requests_total`, `latency_bucket`, `latency_count`,
    /// `build_info`, `queue_min`) selects those samples, with their family's `# HELP` and
    /// `# TYPE`. `target_info` selects the target information. No names (the default) means
    /// everything; names that match nothing give an empty exposition.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter_encode::{Encoder, Format, Scrape};
    ///
    /// let registry = coremeter::Registry::new();
    /// let c = coremeter::Counter::new();
    /// registry.register(coremeter::Opts::new("jobs", "Jobs."), c.clone())?;
    /// registry.register(coremeter::Opts::new("other", "Other."), coremeter::Gauge::new())?;
    /// let body = Encoder::new().render(&registry, &Scrape::new(Format::Text).names(["other"]))?.to_vec();
    /// assert_eq!(String::from_utf8(body)?, "# HELP other Other.\n# TYPE other gauge\nother 0\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn names<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.names.extend(names.into_iter().map(Into::into));
        self
    }

    /// Reset-on-read: counters, histograms, summaries and statistics report what they counted
    /// since the previous reset and restart from 0 (see
    /// [`Registry::collect_and_reset`](coremeter::Registry::collect_and_reset)). This is
    /// what `/metricsandreset` serves.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter_encode::{Encoder, Format, Scrape};
    ///
    /// let registry = coremeter::Registry::new();
    /// let c = coremeter::Counter::new();
    /// registry.register(coremeter::Opts::new("jobs", "Jobs."), c.clone())?;
    /// c.inc_by(3);
    /// let mut encoder = Encoder::new();
    /// let first = String::from_utf8(encoder.render(&registry, &Scrape::new(Format::Text).reset(true))?.to_vec())?;
    /// assert!(first.contains("jobs_total 3\n"));
    /// assert_eq!(c.get(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reset(mut self, reset: bool) -> Self {
        self.reset = reset;
        self
    }

    /// Whether the scrape resets what it reads.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter_encode::{Format, Scrape};
    ///
    /// assert!(Scrape::new(Format::Text).reset(true).is_reset());
    /// assert!(!Scrape::new(Format::Text).is_reset());
    /// ```
    pub fn is_reset(&self) -> bool {
        self.reset
    }

    /// Renders in `format` whatever the `Accept` header said (for an explicit choice, such as the
    /// exporter's `format=` query parameter).
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter_encode::{Format, Scrape};
    ///
    /// let scrape = Scrape::negotiate(Some("application/openmetrics-text;version=1.0.0"), None).with_format(Format::Text);
    /// assert_eq!(scrape.format(), Format::Text);
    /// ```
    pub fn with_format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// Compresses the output with gzip.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter_encode::{Encoder, Format, Scrape};
    ///
    /// let registry = coremeter::Registry::new();
    /// let c = coremeter::Counter::new();
    /// registry.register(coremeter::Opts::new("jobs", "Jobs."), c.clone())?;
    /// let gz = Encoder::new().render(&registry, &Scrape::new(Format::Text).gzip(true))?.to_vec();
    /// assert_eq!(&gz[..2], [0x1f, 0x8b]); // the gzip magic number
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn gzip(mut self, gzip: bool) -> Self {
        self.gzip = gzip;
        self
    }

    /// The format.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(coremeter_encode::Scrape::default().format(), coremeter_encode::Format::Text);
    /// ```
    pub fn format(&self) -> Format {
        self.format
    }

    /// The response's `Content-Type`.
    ///
    /// # Examples
    ///
    /// ```
    /// let scrape = coremeter_encode::Scrape::default();
    /// assert_eq!(scrape.content_type(), "text/plain; version=0.0.4; charset=utf-8");
    /// ```
    pub fn content_type(&self) -> &'static str {
        self.format.content_type()
    }

    /// The response's `Content-Encoding`: `Some("gzip")` or none.
    ///
    /// # Examples
    ///
    /// ```
    /// let scrape = coremeter_encode::Scrape::negotiate(None, Some("gzip, br"));
    /// assert_eq!(scrape.content_encoding(), Some("gzip"));
    /// ```
    pub fn content_encoding(&self) -> Option<&'static str> {
        self.gzip.then_some("gzip")
    }
}
