//! Facade names to Prometheus names.
//!
//! The `metrics` facade takes any string as a metric or label name; Prometheus' data model takes
//! `[a-zA-Z_:][a-zA-Z0-9_:]*` for metric names and `[a-zA-Z_][a-zA-Z0-9_]*` for label names. Every
//! other character becomes `_` (`http.requests` -> `http_requests`, `job-duration` ->
//! `job_duration`), and a name that starts with a digit gets a leading `_`. A counter's `_total`
//! is the exposition's: a facade counter named `x` or `x_total` is the family `x`, shown as
//! `x_total`.

/// The Prometheus name of a facade metric `name`; for a counter (`counter`), without `_total`.
pub(crate) fn metric_name(name: &str, counter: bool) -> String {
    let mut out = sanitize(name, |c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
    if counter
        && let Some(stripped) = out.strip_suffix("_total")
        && !stripped.is_empty()
    {
        out.truncate(stripped.len());
    }
    out
}

/// The Prometheus name of a facade label key.
pub(crate) fn label_name(name: &str) -> String {
    sanitize(name, |c| c.is_ascii_alphanumeric() || c == '_')
}

fn sanitize(name: &str, keep: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(name.len() + 1);
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        out.push('_');
    }
    out.extend(name.chars().map(|c| if keep(c) { c } else { '_' }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_the_data_model() {
        assert_eq!(metric_name("http.requests", false), "http_requests");
        assert_eq!(metric_name("job-duration", false), "job_duration");
        assert_eq!(metric_name("2xx", false), "_2xx");
        assert_eq!(metric_name("a:b", false), "a:b");
        assert_eq!(metric_name("réseau", false), "r_seau");
        assert_eq!(metric_name("requests_total", true), "requests");
        assert_eq!(metric_name("requests_total", false), "requests_total");
        assert_eq!(metric_name("_total", true), "_total");
        assert_eq!(label_name("http.method"), "http_method");
        assert_eq!(label_name("a:b"), "a_b");
        assert_eq!(label_name(""), "_");
    }
}
