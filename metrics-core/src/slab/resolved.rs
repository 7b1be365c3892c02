//! [`ResolvedCells`]: a run's shard-0 cells and shard mask, resolved once for a run found
//! through a table (a native histogram's chunk), so that its restartable adds need no loads
//! through the run's block.

use super::{Block, CellRun};
use crate::shard;
use crate::sync::AtomicU64;

/// A run's cells in shard 0 and its block's shard mask (see [`CellRun::resolve`]): valid while
/// the run is, which its holder keeps alive beside it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ResolvedCells<const N: usize> {
    /// An array, so that indexes known to be below `N` need no bounds check.
    cells0: &'static [AtomicU64; N],
    mask: usize,
}

impl CellRun {
    /// The run's cells in shard 0 and the shard mask, for [`observe_resolved`](Self::observe_resolved).
    ///
    /// # Panics
    ///
    /// If the run's length is not `N` (an internal invariant: the caller allocated it).
    pub(crate) fn resolve<const N: usize>(&self) -> ResolvedCells<N> {
        let block: &'static Block = self.block;
        let start = self.offset as usize;
        let cells = &block.shards[0].cells[start..start + self.len()];
        ResolvedCells {
            cells0: cells.try_into().expect("a run of N cells"),
            mask: block.shards.len() - 1,
        }
    }

    /// [`observe`](Self::observe) through the addresses `resolved` (this run's, from
    /// [`resolve`](Self::resolve)) holds: the restartable adds without the loads through the
    /// block that find them, one dependent load fewer for a run found through a table (a native
    /// histogram's chunk; measured in `benches/README.md`).
    #[inline(always)]
    pub(crate) fn observe_resolved<const N: usize>(
        &self,
        resolved: &ResolvedCells<N>,
        count: usize,
        sum: usize,
        v: f64,
    ) {
        if let Some(offset) = shard::restartable() {
            crate::percpu_add::add(offset, &resolved.cells0[count], resolved.mask, 1);
            return crate::percpu_add::add_f64(offset, &resolved.cells0[sum], resolved.mask, v);
        }
        self.observe(count, sum, v);
    }
}
