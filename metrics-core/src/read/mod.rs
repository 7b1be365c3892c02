//! The read side: descriptors and values already summed over shards, handed to a [`Visitor`].
//!
//! No atomics or memory orderings cross this boundary: a consumer (an encoder, a test, the
//! quickstart's printer) sees plain numbers. [`Registry::collect`](crate::Registry::collect)
//! calls [`Visitor::family`] once per registered metric, then [`Visitor::series`] once per series
//! of it. A label family of counters, gauges or histograms is first offered in one
//! [`Visitor::values`] call; a visitor that takes it (one that cached the family's labels for
//! its [`SeriesListVersion`]) gets no `series` call for it.
//!
//! | file | what |
//! | --- | --- |
//! | `metric_type.rs` | [`MetricType`] and the sample suffixes of each type |
//! | `number.rs` | [`Number`] |
//! | `descriptor.rs` | [`Descriptor`] |
//! | `labels.rs` | [`Labels`], [`LabelsIter`], [`SeriesKey`] |
//! | `value.rs` | [`Value`] and a value type per metric type |
//! | `native.rs` | [`NativeBuckets`], [`NativeHistogramSnapshot`]: a native histogram's buckets |
//! | `visitor.rs` | [`Visitor`] |
//! | `values.rs` | [`SeriesListVersion`], [`ValueKind`], [`Values`]: a family's values as words |
//! | `series_writer.rs` | [`SeriesWriter`], what a metric writes its series to, and the words sink each type's read fills |
//!
//! One read per metric type: each type's `Storage::read` reads a series into words, and every
//! collection of every metric (a label family's children, a metric that is one series, a
//! registry's read plan) goes through it; a visitor that does not take a family's values in
//! bulk gets them series by series, decoded from the same words by [`Values::value`].

mod descriptor;
mod labels;
mod metric_type;
mod native;
mod number;
mod series_writer;
mod value;
mod values;
mod visitor;

pub use descriptor::Descriptor;
pub(crate) use labels::{FamilyLabels, Names};
pub use labels::{Labels, LabelsIter, OVERFLOW_LABEL_VALUE, SeriesKey};
pub use metric_type::{MetricType, SampleSuffix};
pub use native::{NativeBuckets, NativeHistogramSnapshot};
pub use number::Number;
pub(crate) use series_writer::Buffers;
pub use series_writer::SeriesWriter;
pub(crate) use series_writer::WordSink;
pub use value::{
    CounterValue, HistogramValue, StateSetValue, StatisticsValue, SummaryValue, Value,
};
pub(crate) use values::{STATISTICS_MAX, STATISTICS_MIN, Shape};
pub use values::{SeriesListVersion, ValueKind, Values};
pub use visitor::Visitor;
