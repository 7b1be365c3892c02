//! A crate that depends on coremeter under another name (`cm`), as a user who renames the
//! dependency would: every derive and attribute reaches it through `crate = cm`, and nothing
//! here names `coremeter` (the expansion would not compile if it did). Unpublished.

#![forbid(unsafe_code)]

use cm::{Counter, Family, Gauge, Histogram, LabelSet, LabelValue, Metrics};

/// A label value enum, through the renamed path.
#[derive(LabelValue, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[label(rename_all = "snake_case", crate = cm)]
pub enum Outcome {
    /// It worked.
    Ok,
    /// It did not.
    Failed,
}

/// A label set, through the renamed path.
#[derive(LabelSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[label(crate = cm)]
pub struct ByOutcome {
    /// The outcome label.
    pub outcome: Outcome,
}

/// Metrics declared through the renamed path.
#[derive(Metrics, Debug)]
#[metrics(namespace = "renamed", crate = cm)]
pub struct Renamed {
    /// Calls made.
    pub calls: Counter,
    /// Calls by outcome.
    pub by_outcome: Family<ByOutcome, Counter>,
    /// Calls that failed.
    pub failures: Counter,
    /// Calls under way.
    pub running: Gauge,
    /// Time per call.
    #[metric(unit = "seconds")]
    pub duration: Histogram,
}

/// The metrics of [`work`].
pub static METRICS: std::sync::LazyLock<Renamed> = std::sync::LazyLock::new(Renamed::new);

/// A function measured by the three attributes, through the renamed path.
#[cm::timed(METRICS.duration, crate = cm)]
#[cm::count_exceptions(METRICS.failures, crate = cm)]
#[cm::in_progress(METRICS.running, crate = cm)]
pub fn work(fail: bool) -> Result<u32, String> {
    METRICS.calls.inc();
    let outcome = if fail { Outcome::Failed } else { Outcome::Ok };
    METRICS.by_outcome.get(&ByOutcome { outcome }).inc();
    if fail { Err("failed".into()) } else { Ok(1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_macro_works_through_a_renamed_dependency() {
        let registry = cm::Registry::new();
        METRICS.register(&registry).unwrap();
        assert_eq!(work(false), Ok(1));
        assert!(work(true).is_err());
        let value = |name: &str, labels: &[(&str, &str)]| registry.sample_value(name, labels);
        assert_eq!(value("renamed_calls_total", &[]), Some(2.0));
        assert_eq!(
            value("renamed_by_outcome_total", &[("outcome", "ok")]),
            Some(1.0)
        );
        assert_eq!(
            value("renamed_by_outcome_total", &[("outcome", "failed")]),
            Some(1.0)
        );
        assert_eq!(value("renamed_failures_total", &[]), Some(1.0));
        assert_eq!(value("renamed_running", &[]), Some(0.0));
        assert_eq!(value("renamed_duration_seconds_count", &[]), Some(2.0));
    }
}
