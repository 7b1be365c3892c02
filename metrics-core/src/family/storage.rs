//! How a metric type keeps a family's child: its cells, how it is read, its shared
//! configuration.

use std::fmt;

use crate::metric::Metric;
use crate::read::{BulkKind, BulkSink, Collector, MetricType};
use crate::slab::{CellRun, Kind};

/// What a metric type provides to be a family's child: the crate-private operations behind the
/// public, sealed [`FamilyMetric`](super::FamilyMetric) (public only as its supertrait, in a
/// module nothing outside the crate can name).
pub trait Storage: Metric + Clone {
    /// What every child of a family shares (a histogram's buckets, a state set's states).
    type Config: Copy + Send + Sync + fmt::Debug + 'static;
    /// Which slab its cells come from.
    const KIND: Kind;
    /// Its exposition type.
    const TYPE: MetricType;
    /// Its cells per series.
    fn cells(config: &Self::Config) -> usize;
    /// A handle over `run`.
    fn from_run(run: CellRun, config: &Self::Config) -> Self;
    /// The handle's run.
    fn run(&self) -> &CellRun;
    /// Reads the series kept in `run` (the child's cells) into `out`.
    fn collect_run(run: &CellRun, config: &Self::Config, out: &mut Collector<'_>);
    /// How the values of a family of this type are read in bulk, if they can be.
    const BULK: Option<BulkKind> = None;
    /// The bounds (for histograms) and words per series of the bulk values.
    fn bulk_layout(config: &Self::Config) -> (&'static [f64], usize) {
        let _ = config;
        (&[], 1)
    }
    /// Writes the series kept in `run` to `sink` (see [`BULK`](Self::BULK)).
    fn read_bulk(run: &CellRun, config: &Self::Config, sink: &mut BulkSink<'_>) {
        let _ = (run, config, sink);
    }
}
