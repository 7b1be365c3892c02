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
    /// Prometheus' protobuf exposition: length-delimited `io.prometheus.client.MetricFamily`
    /// messages, what Prometheus asks for first when native histograms are enabled (2.40 and
    /// later with `--enable-feature=native-histograms`). Binary: see [`Encoder`](crate::Encoder).
    Protobuf,
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
            Format::Protobuf => {
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
            }
        }
    }

    /// Whether the format is text (the two text formats) rather than binary (protobuf).
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter_encode::Format;
    ///
    /// assert!(Format::OpenMetrics.is_text());
    /// assert!(!Format::Protobuf.is_text());
    /// ```
    pub const fn is_text(self) -> bool {
        !matches!(self, Format::Protobuf)
    }

    /// The format to answer a request whose `Accept` header is `accept` with: the acceptable
    /// format of highest quality (`q`), on a tie protobuf, then OpenMetrics; text 0.0.4 when the
    /// header is absent, says nothing we serve, or refuses everything else. Prometheus 2.42 sends
    /// `application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1`
    /// and gets OpenMetrics; with `--enable-feature=native-histograms` it puts
    /// `application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited`
    /// first and gets protobuf.
    ///
    /// A protobuf range counts only with `proto=io.prometheus.client.MetricFamily` and
    /// `encoding=delimited` (the one protobuf exposition there is).
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
        let (mut text, mut om, mut protobuf) = (None::<f32>, None::<f32>, None::<f32>);
        for range in accept.split(',') {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or("").to_ascii_lowercase();
            let mut q = 1.0;
            let mut version = None;
            let (mut proto, mut encoding) = (None, None);
            for param in parts {
                let Some((k, v)) = param.split_once('=') else {
                    continue;
                };
                match k.trim().to_ascii_lowercase().as_str() {
                    "q" => q = v.trim().parse().unwrap_or(0.0),
                    "version" => version = Some(v.trim().trim_matches('"').to_owned()),
                    "proto" => proto = Some(v.trim().trim_matches('"').to_owned()),
                    "encoding" => encoding = Some(v.trim().trim_matches('"').to_ascii_lowercase()),
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
                "application/vnd.google.protobuf"
                    if proto.as_deref() == Some("io.prometheus.client.MetricFamily")
                        && encoding.as_deref() == Some("delimited") =>
                {
                    best(&mut protobuf, q)
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
        let (p, o, t) = (
            protobuf.unwrap_or(0.0),
            om.unwrap_or(0.0),
            text.unwrap_or(0.0),
        );
        if p > 0.0 && p >= o && p >= t {
            Format::Protobuf
        } else if o > 0.0 && o >= t {
            Format::OpenMetrics
        } else {
            Format::Text
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Text => "text 0.0.4",
            Format::OpenMetrics => "OpenMetrics 1.0.0",
            Format::Protobuf => "protobuf (io.prometheus.client, delimited)",
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
            (
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
                Format::Protobuf,
            ),
            (
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; q=0.5, application/openmetrics-text; q=0.5",
                Format::Protobuf,
            ),
            (
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.4, text/plain",
                Format::Text,
            ),
            // Not the delimited MetricFamily stream: not served.
            (
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text",
                Format::Text,
            ),
            ("application/vnd.google.protobuf", Format::Text),
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
