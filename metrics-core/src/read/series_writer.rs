//! [`SeriesWriter`]: where a metric writes its series during a collection.

use std::fmt;

use crate::read::labels::FamilyLabels;
use crate::read::values::Shape;
use crate::read::{
    Labels, NativeHistogramSnapshot, SeriesListVersion, Value, ValueKind, Values, Visitor,
};
use crate::reset::ReadMode;
use crate::slab::CellRun;

/// Buffers a collection reuses: a family's values as words, its side-table runs, its native
/// histograms' snapshots.
#[derive(Default)]
pub(crate) struct Buffers {
    words: Vec<u64>,
    tables: Vec<(u32, CellRun)>,
    natives: Vec<NativeHistogramSnapshot>,
}

/// Where a metric type's `Storage::read` writes a series: its words, and the runs of series
/// whose blocks keep side tables. Public only because the crate-private `Storage` trait, public
/// as a sealed supertrait, names it; nothing outside this crate can reach it.
pub struct WordSink<'a> {
    pub(crate) words: &'a mut Vec<u64>,
    tables: &'a mut Vec<(u32, CellRun)>,
    natives: &'a mut Vec<NativeHistogramSnapshot>,
    pub(crate) mode: ReadMode<'a>,
    series: u32,
}

impl fmt::Debug for WordSink<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WordSink")
            .field("series", &self.series)
            .finish_non_exhaustive()
    }
}

impl WordSink<'_> {
    /// Ends the series whose words were just pushed, read from `run`.
    #[inline]
    pub(crate) fn end_series(&mut self, run: &CellRun) {
        if run.has_exemplars() {
            self.tables.push((self.series, run.view(0)));
        }
        self.series += 1;
    }

    /// Pushes a native histogram's snapshot, and its index as the series' word.
    pub(crate) fn push_native(&mut self, snapshot: NativeHistogramSnapshot) {
        self.words.push(self.natives.len() as u64);
        self.natives.push(snapshot);
    }

    /// Ends a series whose run's side table is part of its value (an info's pairs).
    pub(crate) fn end_series_with_table(&mut self, run: &CellRun) {
        self.tables.push((self.series, run.view(0)));
        self.series += 1;
    }
}

/// Where a [`Metric`](crate::Metric) writes its series during a collection.
///
/// # Examples
///
/// ```
/// // A SeriesWriter is what Registry::collect hands each metric; users only see its effect.
/// let registry = coremeter::Registry::new();
/// registry.register(coremeter::Opts::new("jobs", "Jobs."), coremeter::Counter::new())?;
/// assert_eq!(registry.samples().len(), 1);
/// # Ok::<(), coremeter::RegistryError>(())
/// ```
pub struct SeriesWriter<'a> {
    visitor: &'a mut dyn Visitor,
    labels: Labels<'a>,
    mode: ReadMode<'a>,
    /// Reused across the histograms and families of a collection (and across collections on a
    /// thread), so that reading them allocates nothing once they have grown.
    buffers: &'a mut Buffers,
    /// A version the visitor declined in bulk (see [`declined`](Self::declined)).
    declined: Option<SeriesListVersion>,
}

impl<'a> SeriesWriter<'a> {
    pub(crate) fn new(
        visitor: &'a mut dyn Visitor,
        labels: Labels<'a>,
        mode: ReadMode<'a>,
        buffers: &'a mut Buffers,
    ) -> Self {
        SeriesWriter {
            visitor,
            labels,
            mode,
            buffers,
            declined: None,
        }
    }

    /// Records that the visitor declined the values of version `version` in bulk, offered before
    /// this collector (by the registry, reading from its plan): the same version is not offered
    /// again.
    pub(crate) fn declined(&mut self, version: SeriesListVersion) {
        self.declined = Some(version);
    }

    /// Reads a family's series with `read` (a `Storage::read` per series, in series order),
    /// then hands them to the visitor: first in one [`Visitor::values`] offer if `version` is
    /// the family's and its type's values are offered in bulk, then, unless the visitor took
    /// them, a [`Visitor::series`] call per series, decoded from the same words, with the own
    /// labels `labels` gives each in turn.
    pub(crate) fn family<'l>(
        &mut self,
        shape: Shape,
        version: Option<SeriesListVersion>,
        read: impl FnOnce(&mut WordSink<'_>),
        labels: impl IntoIterator<Item = FamilyLabels<'l>>,
    ) where
        'a: 'l,
    {
        let offer = version.filter(|&l| shape.offered() && self.declined != Some(l));
        let version = offer.unwrap_or(SeriesListVersion(0));
        let values = read_values(self.buffers, self.mode.reborrow(), shape, version, read);
        if offer.is_none() || !self.visitor.values(&values) {
            let base: Labels<'l> = self.labels;
            for (i, own) in (0..values.len()).zip(labels) {
                emit(&mut *self.visitor, base.with(own), &values, i);
            }
        }
        // The runs are only valid while the family is read.
        self.buffers.tables.clear();
    }

    /// Reads a label family's series from a read plan with `read` and offers them to the
    /// visitor in bulk; whether it took them (if not, the family is read the long way, with
    /// its labels).
    #[inline]
    pub(crate) fn planned(
        &mut self,
        shape: Shape,
        version: SeriesListVersion,
        read: impl FnOnce(&mut WordSink<'_>),
    ) -> bool {
        let values = read_values(self.buffers, self.mode.reborrow(), shape, version, read);
        let taken = self.visitor.values(&values);
        // The runs are only valid while the family is read.
        self.buffers.tables.clear();
        taken
    }

    /// Emits one series with the current labels.
    #[inline]
    pub(crate) fn series(&mut self, value: &Value<'_>) {
        self.visitor.series(&self.labels, value);
    }
}

/// Reads a family's values with `read` into `buffers`.
#[inline(always)]
fn read_values<'b>(
    buffers: &'b mut Buffers,
    mode: ReadMode<'_>,
    shape: Shape,
    version: SeriesListVersion,
    read: impl FnOnce(&mut WordSink<'_>),
) -> Values<'b> {
    buffers.words.clear();
    buffers.tables.clear();
    buffers.natives.clear();
    read(&mut WordSink {
        words: &mut buffers.words,
        tables: &mut buffers.tables,
        natives: &mut buffers.natives,
        mode,
        series: 0,
    });
    Values {
        shape: Shape {
            stride: shape.stride.max(1),
            ..shape
        },
        version,
        words: &buffers.words,
        tables: &buffers.tables,
        natives: &buffers.natives,
    }
}

/// Hands the visitor series `i` of `values` with `labels`, with its exemplars or an info's
/// pairs if its run keeps them.
#[inline]
fn emit(visitor: &mut dyn Visitor, labels: Labels<'_>, values: &Values<'_>, i: usize) {
    if values.tables.is_empty() {
        return visitor.series(&labels, &values.value(i));
    }
    if values.kind() == ValueKind::Info {
        let table = values.table_run(i).and_then(CellRun::infos);
        let pairs = table
            .as_ref()
            .and_then(|(table, at)| table.get(at))
            .map_or(&[][..], Vec::as_slice);
        return visitor.series(&labels.with_extra(pairs), &Value::Info);
    }
    values.with_exemplars(i, |value| visitor.series(&labels, value));
}

impl fmt::Debug for SeriesWriter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeriesWriter")
            .field("labels", &self.labels)
            .field("reset", &matches!(self.mode, ReadMode::Reset(_)))
            .finish_non_exhaustive()
    }
}
