//! The exposition formats and content negotiation.

use std::fmt;

/// An exposition format.
///
/// # Examples
///
/// ```
/// use coremeter_encode::Format;
///
/// assert_eq!(Format::default(), Format::Text);
/// assert_eq!(Format::OpenMetrics.content_type(), "application/openmetrics-text; version=1.0.0; charset=utf-8");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// Prometheus text format 0.0.4: what every Prometheus understands (the default).
    #[default]
    Text,
    /// OpenMetrics 1.0.0 text: units, exemplars, info and state-set types, `# EOF`.
    OpenMetrics,
}

impl Format {
    /// The exact `Content-Type` of a response in this format (Prometheus 3 refuses a scrape with
    /// a missing or unknown one).
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter_encode::Format;
    ///
    /// assert_eq!(Format::Text.content_type(), "text/plain; version=0.0.4; charset=utf-8");
    /// ```
    pub const fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }

    /// The format to answer a request whose `Accept` header is `accept` with: the acceptable
    /// format of highest quality (`q`), OpenMetrics on a tie; text 0.0.4 when the header is
    /// absent, says nothing we serve, or refuses everything else. Prometheus 2.42 sends
    /// `application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1`
    /// and gets OpenMetrics.
    ///
    /// An `application/openmetrics-text` range with a version other than 1.0.0 does not count
    /// (we do not serve 0.0.1), `q=0` refuses a range, and a wildcard (`*/*`, as curl sends)
    /// means text, as in Python's client: OpenMetrics is served when asked for by name.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter_encode::Format;
    ///
    /// let prometheus = "application/openmetrics-text;version=1.0.0,\
    ///     application/openmetrics-text;version=0.0.1;q=0.75,\
    ///     text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    /// assert_eq!(Format::negotiate(Some(prometheus)), Format::OpenMetrics);
    /// assert_eq!(Format::negotiate(Some("text/plain")), Format::Text);
    /// assert_eq!(Format::negotiate(None), Format::Text);
    /// assert_eq!(
    ///     Format::negotiate(Some("application/openmetrics-text;q=0.4, text/plain;q=0.9")),
    ///     Format::Text,
    /// );
    /// ```
    pub fn negotiate(accept: Option<&str>) -> Format {
        let Some(accept) = accept else {
            return Format::Text;
        };
        let (mut text, mut om) = (None::<f32>, None::<f32>);
        for range in accept.split(',') {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or("").to_ascii_lowercase();
            let mut q = 1.0;
            let mut version = None;
            for param in parts {
                let Some((k, v)) = param.split_once('=') else {
                    continue;
                };
                match k.trim().to_ascii_lowercase().as_str() {
                    "q" => q = v.trim().parse().unwrap_or(0.0),
                    "version" => version = Some(v.trim().trim_matches('"').to_owned()),
                    _ => {}
                }
            }
            let best = |slot: &mut Option<f32>, q: f32| *slot = Some(slot.map_or(q, |s| s.max(q)));
            match media.as_str() {
                "application/openmetrics-text"
                    if version.as_deref().is_none_or(|v| v == "1.0.0") =>
                {
                    best(&mut om, q)
                }
                "text/plain" if version.as_deref().is_none_or(|v| v == "0.0.4") => {
                    best(&mut text, q)
                }
                // A wildcard (curl sends `*/*`) gets the format everything understands;
                // OpenMetrics is served only when asked for by name.
                "text/*" | "*/*" => best(&mut text, q),
                _ => {}
            }
        }
        match (om, text) {
            (Some(o), t) if o > 0.0 && o >= t.unwrap_or(0.0) => Format::OpenMetrics,
            _ => Format::Text,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Text => "text 0.0.4",
            Format::OpenMetrics => "OpenMetrics 1.0.0",
        })
    }
}

/// Whether a request whose `Accept-Encoding` header is `accept_encoding` takes gzip: `gzip` (or
/// `x-gzip`, or `*`) with a non-zero quality.
///
/// # Examples
///
/// ```
/// use coremeter_encode::accepts_gzip;
///
/// assert!(accepts_gzip(Some("gzip")));
/// assert!(accepts_gzip(Some("br;q=1.0, gzip;q=0.8")));
/// assert!(!accepts_gzip(Some("gzip;q=0, identity")));
/// assert!(!accepts_gzip(None));
/// ```
pub fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    let Some(header) = accept_encoding else {
        return false;
    };
    header.split(',').any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or("").to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
            .map_or(1.0, |(_, v)| v.trim().parse::<f32>().unwrap_or(0.0));
        matches!(name.as_str(), "gzip" | "x-gzip" | "*") && q > 0.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation() {
        let cases = [
            (
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                Format::OpenMetrics,
            ),
            ("application/openmetrics-text", Format::OpenMetrics),
            ("application/openmetrics-text;version=0.0.1", Format::Text),
            (
                "application/openmetrics-text;version=1.0.0;q=0",
                Format::Text,
            ),
            (
                "text/plain;version=0.0.4;q=1, application/openmetrics-text;q=0.9",
                Format::Text,
            ),
            (
                "text/plain;q=0.5, application/openmetrics-text;q=0.5",
                Format::OpenMetrics,
            ),
            ("*/*", Format::Text),
            (
                "application/openmetrics-text;q=0.2, */*;q=0.1",
                Format::OpenMetrics,
            ),
            ("application/json", Format::Text),
            ("", Format::Text),
            ("TEXT/PLAIN", Format::Text),
            ("application/openmetrics-text;q=garbage", Format::Text),
        ];
        for (accept, want) in cases {
            assert_eq!(Format::negotiate(Some(accept)), want, "{accept}");
        }
    }

    #[test]
    fn gzip() {
        assert!(accepts_gzip(Some("deflate, gzip")));
        assert!(accepts_gzip(Some("*")));
        assert!(accepts_gzip(Some("X-GZIP;q=0.1")));
        assert!(!accepts_gzip(Some("identity")));
        assert!(!accepts_gzip(Some("gzip;q=0.0")));
    }
}
