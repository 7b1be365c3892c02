//! [`Collector`]: where a metric writes its series during a collection.

use std::fmt;

use crate::exemplar::ExemplarTable;
use crate::read::labels::FamilyLabels;
use crate::read::{BulkKind, HistogramValue, Labels, Layout, Value, Values, Visitor};
use crate::reset::ReadMode;
use crate::slab::CellRun;

/// Buffers a collection reuses: one histogram's counts, a family's bulk values.
#[derive(Default)]
pub(crate) struct Buffers {
    counts: Vec<u64>,
    words: Vec<u64>,
    exemplars: Vec<(u32, CellRun)>,
}

/// Where a family's children write their values when the family is read in bulk (see
/// [`Visitor::bulk`]); only this crate writes to it.
///
/// # Examples
///
/// ```
/// // Written by the families of this crate during a bulk read; a visitor sees the result as
/// // `Values` (see `Visitor::values`).
/// let _ = std::any::type_name::<coremeter::BulkSink<'static>>();
/// ```
pub struct BulkSink<'a> {
    pub(crate) words: &'a mut Vec<u64>,
    exemplars: &'a mut Vec<(u32, CellRun)>,
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
            self.exemplars.push((self.series, run.view(0)));
        }
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
    /// The last layout offered to the visitor in bulk, and its answer.
    offered: Option<(Layout, bool)>,
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
            offered: None,
        }
    }

    /// Records the visitor's answer to an offer of `layout` in bulk made before this collector
    /// (by the registry, reading from its plan).
    pub(crate) fn answered(&mut self, layout: Layout, answer: bool) {
        self.offered = Some((layout, answer));
    }

    /// Offers the values of a family whose series are `layout` in bulk; whether the visitor
    /// takes them (then [`values`](Self::values) must follow). The visitor is asked once per
    /// layout: a second offer of the same layout gets the first answer.
    #[inline]
    pub(crate) fn bulk(&mut self, layout: Layout) -> bool {
        match self.offered {
            Some((offered, answer)) if offered == layout => answer,
            _ => {
                let answer = self.visitor.bulk(layout);
                self.offered = Some((layout, answer));
                answer
            }
        }
    }

    /// Hands the visitor the values `read` writes, `stride` words per series of `kind`.
    pub(crate) fn values(
        &mut self,
        kind: BulkKind,
        stride: usize,
        bounds: &[f64],
        read: impl FnOnce(&mut BulkSink<'_>),
    ) {
        let buffers = &mut *self.buffers;
        buffers.words.clear();
        buffers.exemplars.clear();
        read(&mut BulkSink {
            words: &mut buffers.words,
            exemplars: &mut buffers.exemplars,
            mode: self.mode.reborrow(),
            series: 0,
        });
        self.visitor.values(&Values {
            kind,
            stride: stride.max(1),
            words: &buffers.words,
            bounds,
            exemplars: &buffers.exemplars,
        });
        // The runs are only valid while the family is read.
        buffers.exemplars.clear();
    }

    /// How values are read: current, or for a reset (counters, histograms, summaries and
    /// statistics report what they counted since the previous reset, and the commit makes it the
    /// new baseline).
    pub(crate) fn mode(&mut self) -> ReadMode<'_> {
        self.mode.reborrow()
    }

    /// Emits one series with the current labels.
    #[inline]
    pub(crate) fn series(&mut self, value: &Value<'_>) {
        self.visitor.series(&self.labels, value);
    }

    /// Runs `f` with a collector whose series carry `own` labels after the constant ones; `f`
    /// may change them between series with [`set_own`](Self::set_own) (a family's children).
    #[inline]
    pub(crate) fn with_labels<'b, R>(
        &'b mut self,
        own: FamilyLabels<'b>,
        f: impl FnOnce(&mut Collector<'b>) -> R,
    ) -> R {
        let labels = self.labels.with(own);
        f(&mut self.child(labels))
    }

    /// Replaces the series' own labels (the next child of a family).
    #[inline]
    pub(crate) fn set_own(&mut self, own: FamilyLabels<'a>) {
        self.labels.own = own;
    }

    /// Runs `f` with a collector whose series carry `extra` pairs after the family's labels.
    pub(crate) fn with_extra<R>(
        &mut self,
        extra: &[(String, String)],
        f: impl FnOnce(&mut Collector<'_>) -> R,
    ) -> R {
        let labels = self.labels.with_extra(extra);
        self.nested(labels, f)
    }

    #[inline]
    fn nested<R>(&mut self, labels: Labels<'_>, f: impl FnOnce(&mut Collector<'_>) -> R) -> R {
        f(&mut self.child(labels))
    }

    /// A collector of the same collection whose series carry `labels`.
    #[inline]
    fn child<'b>(&'b mut self, labels: Labels<'b>) -> Collector<'b> {
        Collector::new(
            &mut *self.visitor,
            labels,
            self.mode.reborrow(),
            &mut *self.buffers,
        )
    }

    /// Emits a histogram series whose `bounds.len() + 1` counts `fill` writes into a zeroed
    /// buffer, returning the sum and where its exemplars are.
    pub(crate) fn histogram(
        &mut self,
        bounds: &[f64],
        fill: impl FnOnce(&mut [u64], ReadMode<'_>) -> f64,
        exemplars: Option<(&ExemplarTable, u32)>,
    ) {
        let counts = &mut self.buffers.counts;
        counts.clear();
        counts.resize(bounds.len() + 1, 0);
        let sum = fill(counts, self.mode.reborrow());
        let value = HistogramValue::new(bounds, counts, sum).with_exemplars(exemplars);
        self.visitor.series(&self.labels, &Value::Histogram(value));
    }
}

impl fmt::Debug for Collector<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Collector")
            .field("labels", &self.labels)
            .field("reset", &matches!(self.mode, ReadMode::Reset(_)))
            .finish_non_exhaustive()
    }
}
