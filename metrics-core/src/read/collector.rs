//! [`Collector`]: where a metric writes its series during a collection.

use std::fmt;

use crate::read::bulk::Shape;
use crate::read::labels::FamilyLabels;
use crate::read::{BulkKind, Labels, Layout, Value, Values, Visitor};
use crate::reset::ReadMode;
use crate::slab::CellRun;

/// Buffers a collection reuses: a family's values as words, its side-table runs.
#[derive(Default)]
pub(crate) struct Buffers {
    words: Vec<u64>,
    tables: Vec<(u32, CellRun)>,
}

/// Where a metric type's `Storage::read` writes a series: its words, and the runs of series
/// whose blocks keep side tables; only this crate writes to it.
///
/// # Examples
///
/// ```
/// // Written by the metric types of this crate during a collection; a visitor sees the result
/// // as `Values` (see `Visitor::values`) or as one `Value` per series.
/// let _ = std::any::type_name::<coremeter::BulkSink<'static>>();
/// ```
pub struct BulkSink<'a> {
    pub(crate) words: &'a mut Vec<u64>,
    tables: &'a mut Vec<(u32, CellRun)>,
    pub(crate) mode: ReadMode<'a>,
    series: u32,
}

impl fmt::Debug for BulkSink<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkSink")
            .field("series", &self.series)
            .finish_non_exhaustive()
    }
}

impl BulkSink<'_> {
    /// Ends the series whose words were just pushed, read from `run`.
    #[inline]
    pub(crate) fn end_series(&mut self, run: &CellRun) {
        if run.has_exemplars() {
            self.tables.push((self.series, run.view(0)));
        }
        self.series += 1;
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
/// // A Collector is what Registry::collect hands each metric; users only see its effect.
/// let registry = coremeter::Registry::new();
/// registry.register(coremeter::Opts::new("jobs", "Jobs."), coremeter::Counter::new())?;
/// assert_eq!(registry.samples().len(), 1);
/// # Ok::<(), coremeter::RegistryError>(())
/// ```
pub struct Collector<'a> {
    visitor: &'a mut dyn Visitor,
    labels: Labels<'a>,
    mode: ReadMode<'a>,
    /// Reused across the histograms and families of a collection (and across collections on a
    /// thread), so that reading them allocates nothing once they have grown.
    buffers: &'a mut Buffers,
    /// A layout the visitor declined in bulk (see [`declined`](Self::declined)).
    declined: Option<Layout>,
}

impl<'a> Collector<'a> {
    pub(crate) fn new(
        visitor: &'a mut dyn Visitor,
        labels: Labels<'a>,
        mode: ReadMode<'a>,
        buffers: &'a mut Buffers,
    ) -> Self {
        Collector {
            visitor,
            labels,
            mode,
            buffers,
            declined: None,
        }
    }

    /// Records that the visitor declined the values of layout `layout` in bulk, offered before
    /// this collector (by the registry, reading from its plan): the same layout is not offered
    /// again.
    pub(crate) fn declined(&mut self, layout: Layout) {
        self.declined = Some(layout);
    }

    /// Reads a family's series with `read` (a `Storage::read` per series, in series order),
    /// then hands them to the visitor: first in one [`Visitor::values`] offer if `layout` is
    /// the family's and its type's values are offered in bulk, then, unless the visitor took
    /// them, a [`Visitor::series`] call per series, decoded from the same words, with the own
    /// labels `labels` gives each in turn.
    pub(crate) fn family<'l>(
        &mut self,
        shape: Shape,
        layout: Option<Layout>,
        read: impl FnOnce(&mut BulkSink<'_>),
        labels: impl IntoIterator<Item = FamilyLabels<'l>>,
    ) where
        'a: 'l,
    {
        let offer = layout.filter(|&l| shape.offered() && self.declined != Some(l));
        let layout = offer.unwrap_or(Layout(0));
        let values = read_values(self.buffers, self.mode.reborrow(), shape, layout, read);
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
        layout: Layout,
        read: impl FnOnce(&mut BulkSink<'_>),
    ) -> bool {
        let values = read_values(self.buffers, self.mode.reborrow(), shape, layout, read);
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
    layout: Layout,
    read: impl FnOnce(&mut BulkSink<'_>),
) -> Values<'b> {
    buffers.words.clear();
    buffers.tables.clear();
    read(&mut BulkSink {
        words: &mut buffers.words,
        tables: &mut buffers.tables,
        mode,
        series: 0,
    });
    Values {
        shape: Shape {
            stride: shape.stride.max(1),
            ..shape
        },
        layout,
        words: &buffers.words,
        tables: &buffers.tables,
    }
}

/// Hands the visitor series `i` of `values` with `labels`, with its exemplars or an info's
/// pairs if its run keeps them.
#[inline]
fn emit(visitor: &mut dyn Visitor, labels: Labels<'_>, values: &Values<'_>, i: usize) {
    if values.tables.is_empty() {
        return visitor.series(&labels, &values.value(i));
    }
    if values.kind() == BulkKind::Info {
        let table = values.table_run(i).and_then(CellRun::infos);
        let pairs = table
            .as_ref()
            .and_then(|(table, at)| table.get(at))
            .map_or(&[][..], Vec::as_slice);
        return visitor.series(&labels.with_extra(pairs), &Value::Info);
    }
    values.with_exemplars(i, |value| visitor.series(&labels, value));
}

impl fmt::Debug for Collector<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Collector")
            .field("labels", &self.labels)
            .field("reset", &matches!(self.mode, ReadMode::Reset(_)))
            .finish_non_exhaustive()
    }
}
