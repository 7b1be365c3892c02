//! The children of a dense family, all made up front.

use super::ChildMetric;
use crate::slab::{CELLS_PER_PAGE, CellRun};
#[cfg(not(loom))]
use crate::sync::unmodelled::OnceLock;

/// The children of a dense family: runs of cells, each holding as many children as fit a shard
/// page (a power of two, see [`per_run_shift`]), `M::cells` cells per child. The first run is
/// kept inline, so finding a child of a small family costs the same loads as an unlabeled metric.
pub(super) struct Dense {
    pub(super) first: CellRun,
    pub(super) rest: Box<[CellRun]>,
    pub(super) len: usize,
}

/// Children per run of a dense family, as a power of two: the most whose `stride` cells each fit
/// one shard page. A constant for every metric type whose cell count does not depend on its
/// configuration, so the index arithmetic folds.
#[inline(always)]
pub(super) fn per_run_shift(stride: usize) -> u32 {
    (CELLS_PER_PAGE / stride).max(1).ilog2()
}

impl Dense {
    /// The children of a dynamic family: none. `first` is a clone of one process-wide one-cell
    /// run, so that dense and dynamic families have the same layout and a dense `get` has no
    /// fallback path at all.
    pub(super) fn empty() -> Self {
        #[cfg(not(loom))]
        let first = {
            static NONE: OnceLock<CellRun> = OnceLock::new();
            NONE.get_or_init(|| CellRun::new(1)).clone()
        };
        // Loom rebuilds the slab for every execution: no run may outlive one.
        #[cfg(loom)]
        let first = CellRun::new(1);
        Dense {
            first,
            rest: Box::default(),
            len: 0,
        }
    }

    pub(super) fn new<M: ChildMetric>(len: usize, config: &M::Config) -> Self {
        let stride = M::cells(config);
        let per_run = 1usize << per_run_shift(stride);
        let run = |k: usize| CellRun::new_in(M::KIND, per_run.min(len - k * per_run) * stride);
        Dense {
            first: run(0),
            rest: (1..len.div_ceil(per_run)).map(run).collect(),
            len,
        }
    }

    /// A view of child `i` (`i < len`).
    #[inline(always)]
    pub(super) fn child<M: ChildMetric>(&self, i: usize, config: &M::Config) -> CellRun {
        let stride = M::cells(config);
        let shift = per_run_shift(stride);
        let run = match i >> shift {
            0 => &self.first,
            chunk => self.rest.get(chunk - 1).unwrap_or(&self.first),
        };
        run.view((i & ((1 << shift) - 1)) * stride)
    }
}

impl Clone for Dense {
    fn clone(&self) -> Self {
        Dense {
            first: self.first.clone(),
            rest: self.rest.clone(),
            len: self.len,
        }
    }
}
