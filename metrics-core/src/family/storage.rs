//! How a metric type keeps a family's child: its cells, how it is read, its shared
//! configuration.

use std::fmt;

use crate::metric::Metric;
use crate::read::{FamilyLabels, MetricType, SeriesWriter, Shape, WordSink};
use crate::slab::{CellRun, Kind};

/// What a metric type provides to be a family's child: the crate-private operations behind the
/// public, sealed [`ChildMetric`](super::ChildMetric) (public only as its supertrait, in a
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
    /// How a series of this type is held as words.
    fn shape(config: &Self::Config) -> Shape;
    /// Reads the series kept in `run` (a child's cells, or a metric's own) into `sink`: the one
    /// place a value of this type is read, whichever way the collection hands it on (see
    /// [`SeriesWriter::family`]).
    fn read(run: &CellRun, config: &Self::Config, sink: &mut WordSink<'_>);
    /// Collects a metric of this type that is one series, kept in `run`.
    fn collect_one(run: &CellRun, config: &Self::Config, out: &mut SeriesWriter<'_>) {
        out.family(
            Self::shape(config),
            None,
            |sink| Self::read(run, config, sink),
            [FamilyLabels::None],
        );
    }
}
