//! [`Matcher`]: which facade names a histogram bucket layout applies to.

/// Which facade histogram names a bucket layout applies to (as `metrics-exporter-prometheus`'
/// `set_buckets_for_metric`), matched against the name the facade gives.
///
/// # Examples
///
/// ```
/// use coremeter_recorder::Matcher;
///
/// assert!(Matcher::Prefix("http.".into()).matches("http.request_duration"));
/// assert!(Matcher::Suffix("_bytes".into()).matches("body_bytes"));
/// assert!(!Matcher::Full("latency".into()).matches("latency_seconds"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Matcher {
    /// Exactly this name.
    Full(String),
    /// Names that start with this.
    Prefix(String),
    /// Names that end with this.
    Suffix(String),
}

impl Matcher {
    /// Whether `name` matches.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(coremeter_recorder::Matcher::Full("a".into()).matches("a"));
    /// ```
    pub fn matches(&self, name: &str) -> bool {
        match self {
            Matcher::Full(full) => name == full,
            Matcher::Prefix(prefix) => name.starts_with(prefix.as_str()),
            Matcher::Suffix(suffix) => name.ends_with(suffix.as_str()),
        }
    }
}
