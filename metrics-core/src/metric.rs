//! [`Metric`]: what a registry can hold and read (every metric type of this crate, sealed).

use crate::read::{MetricType, SeriesWriter};

pub(crate) mod sealed {
    use crate::plan::FamilyPlan;

    /// What only this crate's metrics provide: the trait is public (a supertrait of [`Metric`])
    /// but cannot be named outside the crate, so no other type can be a [`Metric`].
    ///
    /// [`Metric`]: super::Metric
    pub trait Sealed {
        /// For a registry's read plan (see [`crate::plan`]): how the metric's values are read
        /// in bulk and the ids of its series' runs (each with a reference taken), if it can be
        /// read from a plan. A label family of counters, gauges or histograms without an
        /// overflow series can.
        fn plan(&self) -> Option<FamilyPlan> {
            None
        }

        /// The estimated number of distinct label sets folded into the metric's overflow series,
        /// if it has one (a label family past its cardinality limit).
        fn overflowed(&self) -> Option<f64> {
            None
        }
    }
}

/// A metric a [`Registry`](crate::Registry) can hold and read: every metric type of this crate
/// and every [`Family`](crate::Family) of them.
///
/// The trait is sealed: metrics read their own shards, and the orderings involved stay inside
/// this crate. Values computed elsewhere are exposed with a [`Collector`](crate::Collector)
/// implementation instead.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, Histogram, Metric, MetricType};
///
/// fn kind(m: &impl Metric) -> MetricType {
///     m.metric_type()
/// }
/// assert_eq!(kind(&Counter::new()), MetricType::Counter);
/// assert_eq!(kind(&Histogram::new()), MetricType::Histogram);
/// ```
pub trait Metric: sealed::Sealed + Send + Sync + 'static {
    /// The type the family is exposed as.
    fn metric_type(&self) -> MetricType;

    /// Reads the metric's series into `out`.
    fn collect(&self, out: &mut SeriesWriter<'_>);

    /// The names of the labels the metric adds to its series (a family's), checked at
    /// registration.
    fn label_names(&self) -> Vec<String> {
        Vec::new()
    }

    /// Told the metric's full name when a registry takes it (the first name is kept): a label
    /// family names itself in its errors.
    fn registered_as(&self, _name: &str) {}
}
