//! Per-CPU strided slabs of `AtomicU64` cells (docs/design.md §2).
//!
//! ```text
//! block = S shard pages (4 KiB each, page aligned) + one page of run headers
//!   shard 0: [cell 0][cell 1] ... [cell 511]    only threads on shard 0 write here
//!   shard 1: [cell 0][cell 1] ... [cell 511]
//!   ...
//!   refs:    [hdr 0 ][hdr 1 ] ... [hdr 511 ]    header of the run starting at that offset
//! a run of n cells at offset o: shard s updates shards[s][o..o + n]
//! ```
//!
//! - A metric owns a *run* of cells at one offset, the same offset in every shard page. Each cell
//!   offset costs `8 * S` bytes in the shard pages and an 8-byte slot in the header page (only a
//!   run's first slot is used): a counter is `8 * S + 8` bytes, a histogram with `b` bounds
//!   `(b + 2) * (8 * S + 8)`.
//! - Cells of different shards are a page apart, so two CPUs never share a cache line; one shard's
//!   cells of many metrics are packed together.
//! - Blocks are allocated lazily, when no free run fits, and are never returned to the allocator:
//!   like any slab, memory is bounded by the peak number of live cells, and freed runs are reused.
//!   That makes every block `&'static`, so a handle is one pointer and an offset.
//!
//! A run's header counts the handles ([`CellRun`] clones) that refer to it, like an `Arc`. The
//! last handle to go zeroes the run's cells in every shard and gives the run back to the free list;
//! a scrape always reads through a handle it holds, so it can never read a recycled cell.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

mod attachment;
#[cfg(rseq)]
mod resolved;

#[cfg(rseq)]
pub(crate) use resolved::ResolvedCells;

use crate::exemplar::{Exemplar, ExemplarTable};
use crate::shard;
use crate::sync::unmodelled::{Mutex as StdMutex, MutexGuard, OnceLock};
use crate::sync::{AtomicU64, Mutex, Ordering, fence, lock};

/// Cells per shard page: one 4 KiB page of `AtomicU64` (fewer under loom, to keep models small).
#[cfg(not(loom))]
pub(crate) const CELLS_PER_PAGE: usize = 512;
#[cfg(loom)]
pub(crate) const CELLS_PER_PAGE: usize = 4;

/// Cells per 64-byte cache line.
#[cfg(not(loom))]
const LINE_CELLS: usize = 8;

/// Where logical cell `j` of an unsharded page lives: cell `j` on line `j % 64`, so that cells
/// numbered up to 63 apart (gauges made one after the other, the children of a gauge family) sit
/// on different cache lines, and threads updating different gauges do not contend for a line.
/// Cells of the sharded slab stay where they are: only one CPU writes a shard page, and a read
/// sums a run's cells in address order.
#[cfg(not(loom))]
#[inline(always)]
const fn spread(j: usize) -> usize {
    const LINES: usize = CELLS_PER_PAGE / LINE_CELLS;
    (j % LINES) * LINE_CELLS + j / LINES
}

/// Under loom a page is smaller than a line: nothing to spread.
#[cfg(loom)]
#[inline(always)]
const fn spread(j: usize) -> usize {
    j
}

/// The header's low bits count handles; the high bits hold the run's length.
const LEN_SHIFT: u32 = 48;
const REFS_MASK: u64 = (1 << LEN_SHIFT) - 1;

/// One shard's cells of a block.
#[repr(C, align(4096))]
struct Page {
    cells: [AtomicU64; CELLS_PER_PAGE],
}

// The restartable add finds shard `s`'s copy of a cell `s` strides after shard 0's.
#[cfg(rseq)]
const _: () = assert!(size_of::<Page>() == crate::percpu_add::STRIDE);

impl Page {
    fn new() -> Self {
        Page {
            cells: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

/// S shard pages (one for the unsharded slab) and the run headers.
/// The block of the last [`CellRun::view_of_id`], by id.
#[derive(Default)]
pub(crate) struct LastBlock(Option<(u32, &'static Block)>);

struct Block {
    /// Index in the [`directory`], so that a run can be named by a `u32` (see [`CellRun::id`]).
    id: u32,
    /// Which slab the block belongs to, so freed runs go back there.
    kind: Kind,
    /// The shard pages; the length is a power of two, so `len - 1` is the shard mask.
    shards: Box<[Page]>,
    /// Header of the run starting at each offset: `len << LEN_SHIFT | handles`.
    refs: Box<Page>,
    /// Exemplars of this block's cells, allocated with the first one.
    exemplars: OnceLock<StdMutex<ExemplarTable>>,
    /// The label pairs of the `Info` metrics whose cells are in this block, by cell.
    infos: OnceLock<StdMutex<InfoTable>>,
    /// Values attached to this block's runs (see `attachment.rs`).
    attachments: OnceLock<StdMutex<attachment::Attachments>>,
    /// What committed resets subtract from each cell (see [`crate::reset`]), allocated by the
    /// first reset of a run in this block.
    resets: OnceLock<Box<ResetPages>>,
}

/// A block's reset state: the committed baselines, and the baselines a reset in progress staged
/// (equal to the committed ones outside of a reset, so that a commit copies the whole page and a
/// discard copies it back).
struct ResetPages {
    baselines: Page,
    staged: Page,
    /// The last reset that staged a baseline here (see [`CellRun::stage`]).
    staged_by: AtomicU64,
}

/// Label pairs of `Info` metrics, by cell offset.
pub(crate) type InfoTable = HashMap<u32, Vec<(String, String)>>;

impl Block {
    /// Where logical cell `j` of this block lives in each shard page (see [`spread`]).
    #[inline(always)]
    fn slot(&self, j: usize) -> usize {
        match self.kind {
            Kind::Sharded => j,
            Kind::Unsharded => spread(j),
        }
    }

    fn new(id: u32, kind: Kind) -> Self {
        let shards = match kind {
            Kind::Sharded => shard::shard_count(),
            Kind::Unsharded => 1,
        };
        Block {
            id,
            kind,
            shards: (0..shards).map(|_| Page::new()).collect(),
            refs: Box::new(Page::new()),
            exemplars: OnceLock::new(),
            infos: OnceLock::new(),
            attachments: OnceLock::new(),
            resets: OnceLock::new(),
        }
    }
}

/// The two slabs: per-CPU cells for values every thread adds to, one cell for values that must
/// be set (gauges, state sets).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `shard_count()` pages per block.
    Sharded,
    /// One page per block: a `set` replaces the one value every thread reads.
    Unsharded,
}

/// Bits of a run id that hold the offset within its block.
const OFFSET_BITS: u32 = CELLS_PER_PAGE.trailing_zeros();

/// A handle to a run of cells: one pointer and an offset, cloned and dropped like an `Arc`.
///
/// Hot-path methods address the calling thread's shard; read-path methods sum over all shards.
/// All cell accesses are `Relaxed`: a cell is an independent counter, and nothing else is
/// published through it. Ordering between a run's last use and its reuse comes from the header
/// (release/acquire, as in `Arc`) and from the free-list mutex.
pub struct CellRun {
    block: &'static Block,
    /// The first cell this handle addresses.
    offset: u32,
    /// How far `offset` is past the start of its run: non-zero for a view of part of a run (a
    /// dense family's child), whose reference count is the whole run's.
    base: u16,
    /// A view that holds no reference of its own (see [`view`](Self::view)): dropping it does
    /// nothing, cloning it makes an ordinary handle.
    borrowed: bool,
}

impl CellRun {
    /// Allocates a run of `len` zeroed cells.
    ///
    /// # Panics
    ///
    /// If `len` is 0 or more than [`CELLS_PER_PAGE`]: callers validate sizes first (histogram
    /// bucket counts are checked with an error), so this is an internal invariant.
    pub(crate) fn new(len: usize) -> CellRun {
        Self::new_in(Kind::Sharded, len)
    }

    /// Allocates a run of `len` zeroed cells in the slab of `kind`.
    ///
    /// # Panics
    ///
    /// As [`new`](Self::new).
    pub(crate) fn new_in(kind: Kind, len: usize) -> CellRun {
        assert!(
            (1..=CELLS_PER_PAGE).contains(&len),
            "run length {len} out of range"
        );
        slab(kind).alloc(len as u32)
    }

    /// A `u32` naming this run: the block's id and the offset. Stores that keep many handles
    /// (label families) keep these instead of 16-byte handles.
    pub(crate) fn id(&self) -> u32 {
        debug_assert_eq!(self.base, 0, "only whole runs have ids");
        self.block.id << OFFSET_BITS | self.offset
    }

    /// Turns the handle into its id without giving up its reference: the run stays alive until
    /// [`from_id`](Self::from_id) turns the id back into a handle and that handle drops.
    pub(crate) fn into_id(self) -> u32 {
        let id = self.id();
        std::mem::forget(self);
        id
    }

    /// Takes back the reference that [`into_id`](Self::into_id) kept.
    #[inline]
    pub(crate) fn from_id(id: u32) -> CellRun {
        CellRun {
            block: directory::lookup(id >> OFFSET_BITS),
            offset: id & ((1 << OFFSET_BITS) - 1),
            base: 0,
            borrowed: false,
        }
    }

    /// A view (see [`view`](Self::view)) of the run named by `id`, whose reference must be held
    /// by the caller's store for as long as the view is used; `last` remembers the block of the
    /// previous call, so that a store reading its runs in a row (a family's, mostly in one or
    /// two blocks) skips most directory lookups.
    #[inline]
    pub(crate) fn view_of_id(id: u32, last: &mut LastBlock) -> CellRun {
        let block_id = id >> OFFSET_BITS;
        let block = match last.0 {
            Some((cached, block)) if cached == block_id => block,
            _ => {
                let block = directory::lookup(block_id);
                last.0 = Some((block_id, block));
                block
            }
        };
        CellRun {
            block,
            offset: id & ((1 << OFFSET_BITS) - 1),
            base: 0,
            borrowed: true,
        }
    }

    /// A new handle to the run named by `id`, whose reference (kept by `into_id`) must still be
    /// held by the caller's store.
    #[inline]
    pub(crate) fn clone_from_id(id: u32) -> CellRun {
        let borrowed = std::mem::ManuallyDrop::new(Self::from_id(id));
        CellRun::clone(&borrowed)
    }

    /// The number of cells this handle addresses (to the end of its run).
    pub(crate) fn len(&self) -> usize {
        // Relaxed: the length bits never change while a handle exists.
        (self.header().load(Ordering::Relaxed) >> LEN_SHIFT) as usize - usize::from(self.base)
    }

    /// The header of the run this handle's cells belong to.
    #[inline]
    fn header(&self) -> &AtomicU64 {
        &self.block.refs.cells[(self.offset - u32::from(self.base)) as usize]
    }

    /// A view of this handle's cells from `delta` on, holding no reference of its own: it costs
    /// no atomic operation to make or drop, and must not outlive `self` (callers tie it to a
    /// borrow). Cloning it makes an ordinary handle to the whole run.
    #[inline(always)]
    pub(crate) fn view(&self, delta: usize) -> CellRun {
        debug_assert!(delta < self.len());
        CellRun {
            block: self.block,
            offset: self.offset + delta as u32,
            base: self.base + delta as u16,
            borrowed: true,
        }
    }

    /// Whether this is a [view](Self::view).
    #[inline]
    pub(crate) fn is_view(&self) -> bool {
        self.borrowed
    }

    /// Where this process takes the restartable write path (see [`shard::WritePath`]): the rseq
    /// offset, cell `i`'s copy in shard 0 and the shard mask, from which a restartable add finds
    /// the calling CPU's copy (the shard pages of a block are contiguous).
    #[cfg(rseq)]
    #[inline(always)]
    fn restartable_copies(&self, i: usize) -> Option<(isize, &AtomicU64, usize)> {
        debug_assert_eq!(self.block.kind, Kind::Sharded);
        let offset = shard::restartable()?;
        Some((offset, self.copy0(i), self.block.shards.len() - 1))
    }

    /// Cell `i`'s copy in shard 0.
    #[cfg(rseq)]
    #[inline(always)]
    fn copy0(&self, i: usize) -> &AtomicU64 {
        // A run never crosses the end of its page (see `LocalShard::cell`).
        &self.block.shards[0].cells[(self.offset as usize + i) & (CELLS_PER_PAGE - 1)]
    }

    /// The calling thread's shard of this run, for updates that touch several of its cells.
    #[inline(always)]
    pub(crate) fn local_shard(&self) -> LocalShard<'_> {
        let shards = &self.block.shards;
        let shard = shard::current() & (shards.len() - 1);
        LocalShard {
            cells: &shards[shard].cells,
            offset: self.offset as usize,
            #[cfg(debug_assertions)]
            len: self.len(),
        }
    }

    /// Cell `i` of a run of the unsharded slab (its only copy).
    #[inline(always)]
    pub(crate) fn unsharded_cell(&self, i: usize) -> &AtomicU64 {
        debug_assert_eq!(self.block.kind, Kind::Unsharded);
        #[cfg(debug_assertions)]
        assert!(i < self.len(), "cell {i} outside a run of {}", self.len());
        // A run never crosses the end of its page, so the mask changes nothing; it only spares
        // the hot path a bounds check.
        &self.block.shards[0].cells[spread((self.offset as usize + i) & (CELLS_PER_PAGE - 1))]
    }

    /// Adds `v` to cell `i` of the calling CPU's shard (wrapping): in a restartable sequence
    /// where this process takes that path (see [`shard::WritePath`]), else atomically. Every
    /// add to the cell must come through here (a cell of the sharded slab whose other updates
    /// go through [`local_shard`](Self::local_shard) must not use it).
    #[inline(always)]
    pub(crate) fn add(&self, i: usize, v: u64) {
        #[cfg(rseq)]
        if let Some((offset, cell, mask)) = self.restartable_copies(i) {
            return crate::percpu_add::add(offset, cell, mask, v);
        }
        self.local_shard().add(i, v);
    }

    /// Adds `v` to the `f64` stored as bits in cell `i` of the calling CPU's shard, the way
    /// [`add`](Self::add) adds (the same rule: every add to the cell comes through here).
    #[inline(always)]
    pub(crate) fn add_f64(&self, i: usize, v: f64) {
        #[cfg(rseq)]
        if let Some((offset, cell, mask)) = self.restartable_copies(i) {
            return crate::percpu_add::add_f64(offset, cell, mask, v);
        }
        self.local_shard().add_f64(i, v);
    }

    /// Adds 1 to cell `count` and `v` to the `f64` cell `sum` of the calling CPU's shard (an
    /// observation of a histogram, summary or statistics): two restartable adds where this
    /// process takes that path (each exact on its own; a reader may see the count before the
    /// sum, as with two atomic adds), else two atomic adds on one shard. The same rule as
    /// [`add`](Self::add): every add to these cells comes through here.
    #[inline(always)]
    pub(crate) fn observe(&self, count: usize, sum: usize, v: f64) {
        #[cfg(rseq)]
        if let Some((offset, cell, mask)) = self.restartable_copies(count) {
            crate::percpu_add::add(offset, cell, mask, 1);
            return crate::percpu_add::add_f64(offset, self.copy0(sum), mask, v);
        }
        let shard = self.local_shard();
        shard.add(count, 1);
        shard.add_f64(sum, v);
    }

    /// Raises cell `i` of the calling CPU's shard to `k` if it is below (a per-shard maximum, which
    /// a reset clears with [`clear_extreme`](Self::clear_extreme)): in a restartable sequence
    /// where this process takes that path, else an atomic maximum. The same rule as
    /// [`add`](Self::add): every other write to the cell comes through here.
    ///
    /// A caller checks first, with a load of [`local_shard`](Self::local_shard)'s copy, that the
    /// update moves the maximum: most do not, and a load is cheaper than either path.
    #[inline(always)]
    pub(crate) fn max(&self, i: usize, k: u64) {
        #[cfg(rseq)]
        if let Some((offset, cell, mask)) = self.restartable_copies(i) {
            return crate::percpu_add::max(offset, cell, mask, k);
        }
        // Relaxed: each cell is an independent maximum.
        self.local_shard().cell(i).fetch_max(k, Ordering::Relaxed);
    }

    /// Records `exemplar` as the latest of cell `i`.
    pub(crate) fn set_exemplar(&self, i: usize, exemplar: Exemplar) {
        let table = self.block.exemplars.get_or_init(StdMutex::default);
        let mut table = table.lock().unwrap_or_else(|p| p.into_inner());
        table.set(self.offset + i as u32, exemplar);
    }

    /// Whether the block has an exemplar table (some run in it recorded an exemplar).
    #[inline]
    pub(crate) fn has_exemplars(&self) -> bool {
        self.block.exemplars.get().is_some()
    }

    /// The block's exemplars, locked, if it has any; with the offset of this run's first cell.
    #[inline]
    pub(crate) fn exemplars(&self) -> Option<(MutexGuard<'_, ExemplarTable>, u32)> {
        let table = self.block.exemplars.get()?;
        Some((table.lock().unwrap_or_else(|p| p.into_inner()), self.offset))
    }

    /// Replaces the label pairs kept for this handle's first cell (an `Info`'s value).
    pub(crate) fn set_info(&self, pairs: Vec<(String, String)>) {
        let table = self.block.infos.get_or_init(StdMutex::default);
        let mut table = table.lock().unwrap_or_else(|p| p.into_inner());
        table.insert(self.offset, pairs);
    }

    /// The block's info pairs, locked, if it has any; with this handle's first cell.
    pub(crate) fn infos(&self) -> Option<(MutexGuard<'_, InfoTable>, u32)> {
        let table = self.block.infos.get()?;
        Some((table.lock().unwrap_or_else(|p| p.into_inner()), self.offset))
    }

    /// Cell `i` of every shard (of the sharded slab: a run of the unsharded one has one copy,
    /// read with [`unsharded_cell`](Self::unsharded_cell)).
    #[inline]
    fn shards(&self, i: usize) -> impl Iterator<Item = &AtomicU64> {
        debug_assert_eq!(self.block.kind, Kind::Sharded);
        let at = self.offset as usize + i;
        self.block.shards.iter().map(move |page| &page.cells[at])
    }

    /// How many handles (and stores holding an id) refer to the run.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn handles(&self) -> u64 {
        self.header().load(Ordering::Relaxed) & REFS_MASK
    }

    /// What cell `i`'s last committed reset left as its baseline (0 before any): reads report
    /// the raw sum minus this (see [`crate::reset`]).
    ///
    /// Acquire, paired with the release in [`StagedBlock::commit`]: a read that loads a baseline
    /// before the shards reads every shard at least as far as the reset read that made it did, so
    /// the difference never goes below 0.
    #[inline]
    pub(crate) fn baseline(&self, i: usize) -> u64 {
        match self.block.resets.get() {
            Some(r) => r.baselines.cells[self.offset as usize + i].load(Ordering::Acquire),
            None => 0,
        }
    }

    /// Stages `raws` as the baselines of cells `first..` for the reset numbered `reset` (the only
    /// one running: see [`crate::reset`]); returns the block if this is the reset's first stage in
    /// it, for the reset to commit or discard.
    #[inline]
    pub(crate) fn stage(
        &self,
        first: usize,
        raws: impl IntoIterator<Item = u64>,
        reset: u64,
    ) -> Option<StagedBlock> {
        let resets = self.block.resets.get_or_init(|| {
            Box::new(ResetPages {
                baselines: Page::new(),
                staged: Page::new(),
                staged_by: AtomicU64::new(0),
            })
        });
        let at = self.offset as usize + first;
        for (cell, raw) in resets.staged.cells[at..].iter().zip(raws) {
            // Relaxed: only the reset that has the turn touches staged values.
            cell.store(raw, Ordering::Relaxed);
        }
        let first_here = resets.staged_by.swap(reset, Ordering::Relaxed) != reset;
        first_here.then_some(StagedBlock(self.block))
    }

    /// Cell `i` summed over all shards (wrapping, as the per-shard adds are), baseline included.
    #[inline]
    pub(crate) fn raw_sum(&self, i: usize) -> u64 {
        self.shards(i)
            .fold(0, |acc, c| acc.wrapping_add(c.load(Ordering::Relaxed)))
    }

    /// [`raw_sum`](Self::raw_sum) of an `f64` cell (its shards summed as floats).
    #[inline]
    pub(crate) fn raw_sum_f64(&self, i: usize) -> f64 {
        self.shards(i)
            .map(|c| f64::from_bits(c.load(Ordering::Relaxed)))
            .sum()
    }

    /// Adds the [`raw_sum`](Self::raw_sum) of cells `0..out.len()` into `out` (one pass per shard
    /// page, in address order).
    #[inline]
    pub(crate) fn add_raw_sums(&self, out: &mut [u64]) {
        debug_assert_eq!(self.block.kind, Kind::Sharded);
        let at = self.offset as usize;
        for page in self.block.shards.iter() {
            let cells = &page.cells[at..at + out.len()];
            for (acc, cell) in out.iter_mut().zip(cells) {
                *acc = acc.wrapping_add(cell.load(Ordering::Relaxed));
            }
        }
    }

    /// The number of shards of this run's cells.
    pub(crate) fn shard_count(&self) -> usize {
        self.block.shards.len()
    }

    /// Cell `i` of each shard (an extreme kept per shard).
    pub(crate) fn per_shard(&self, i: usize) -> impl Iterator<Item = u64> + '_ {
        self.shards(i).map(|c| c.load(Ordering::Relaxed))
    }

    /// Clears each shard's cell `i` that still holds what a reset read saw there (`per_shard`): a
    /// value written since belongs to the next window.
    pub(crate) fn clear_extreme(&self, i: usize, per_shard: &[u64]) {
        for (cell, &seen) in self.shards(i).zip(per_shard) {
            // Relaxed: the extreme is an independent value; a failure means a newer one.
            let _ = cell.compare_exchange(seen, 0, Ordering::Relaxed, Ordering::Relaxed);
        }
    }
}

/// One shard's cells of a run.
pub(crate) struct LocalShard<'a> {
    cells: &'a [AtomicU64; CELLS_PER_PAGE],
    offset: usize,
    #[cfg(debug_assertions)]
    len: usize,
}

impl<'a> LocalShard<'a> {
    #[inline(always)]
    pub(crate) fn cell(&self, i: usize) -> &'a AtomicU64 {
        #[cfg(debug_assertions)]
        assert!(i < self.len, "cell {i} outside a run of {}", self.len);
        // A run never crosses the end of its page, so the mask changes nothing; it only spares
        // the hot path a bounds check.
        &self.cells[(self.offset + i) & (CELLS_PER_PAGE - 1)]
    }

    /// Adds `v` to cell `i` (wrapping).
    #[inline(always)]
    pub(crate) fn add(&self, i: usize, v: u64) {
        self.cell(i).fetch_add(v, Ordering::Relaxed);
    }

    /// Adds `v` to the `f64` stored as bits in cell `i`.
    #[inline(always)]
    pub(crate) fn add_f64(&self, i: usize, v: f64) {
        add_f64(self.cell(i), v);
    }
}

impl Clone for CellRun {
    #[inline]
    fn clone(&self) -> Self {
        // Relaxed, as `Arc::clone`: a new handle is made from an existing one, which keeps the
        // run alive; no other data is published.
        let old = self.header().fetch_add(1, Ordering::Relaxed);
        if old & REFS_MASK >= REFS_MASK / 2 {
            // 2^47 live handles cannot fit in memory unless they are being leaked
            // (`mem::forget`) in a loop; stop before the count can reach the length bits.
            std::process::abort();
        }
        CellRun {
            block: self.block,
            offset: self.offset,
            base: self.base,
            borrowed: false,
        }
    }
}

impl Drop for CellRun {
    /// Inlined, so that dropping a view (whose flag is a constant where it is made) compiles to
    /// nothing; the release of a reference is out of line and takes the fields by value, so that
    /// the handle's address never escapes and it can stay in registers.
    #[inline(always)]
    fn drop(&mut self) {
        if !self.borrowed {
            release(self.block, self.offset - u32::from(self.base));
        }
    }
}

/// Gives up one reference to the run starting at `start`; the last one zeroes the run and frees
/// it.
#[inline(never)]
fn release(block: &'static Block, start: u32) {
    let header = &block.refs.cells[start as usize];
    // Release, as `Arc::drop`: this handle's cell writes happen before the last handle's
    // zeroing; the acquire fence below is that side of the pair.
    let old = header.fetch_sub(1, Ordering::Release);
    if old & REFS_MASK != 1 {
        return;
    }
    fence(Ordering::Acquire);
    let len = (old >> LEN_SHIFT) as u32;
    if !deferred_by_reset(block, start, len) {
        free(block, start, len);
    }
}

/// Zeroes a run whose last handle went, and gives it back to its slab.
fn free(block: &'static Block, start: u32, len: u32) {
    let detached = attachment::detach(block, start, start + len);
    if let Some(table) = block.exemplars.get() {
        let mut table = table.lock().unwrap_or_else(|p| p.into_inner());
        table.clear(start, start + len);
    }
    if let Some(table) = block.infos.get() {
        let mut table = table.lock().unwrap_or_else(|p| p.into_inner());
        table.retain(|cell, _| !(start..start + len).contains(cell));
    }
    let cells = start as usize..(start + len) as usize;
    // Relaxed: no handle is left; the free-list mutex publishes these stores to the next owner.
    for page in block.shards.iter() {
        for j in cells.clone() {
            page.cells[block.slot(j)].store(0, Ordering::Relaxed);
        }
    }
    if let Some(resets) = block.resets.get() {
        for page in [&resets.baselines, &resets.staged] {
            for cell in &page.cells[cells.clone()] {
                cell.store(0, Ordering::Relaxed);
            }
        }
    }
    slab(block.kind).free(block, start, len);
    // Dropped holding no lock: an attachment may hold runs of its own.
    drop(detached);
}

/// A run whose freeing waits: its block, first cell and length.
type DeferredRun = (&'static Block, u32, u32);

/// The runs freed while a reset runs, freed when it ends; `None` while none runs.
static DEFERRED: StdMutex<Option<Vec<DeferredRun>>> = StdMutex::new(None);

/// Keeps the run at `start` of `block` from being freed while a reset runs (its staged baselines
/// name the run's cells, and a commit must not write them once another run owns them): returns
/// whether the free was deferred to the reset's end.
///
/// A run the reset read was freed after that read (the family that held it, or the plan, let go
/// after the read, through a lock or the run's own reference count), so this finds the list the
/// reset made before reading. Freeing is rare and takes the free list's lock anyway: one more
/// lock costs nothing that matters.
///
/// Not under loom: its models run side by side in one process, each with slabs of its own, and
/// these process-wide statics would carry one model's runs into another's slab.
fn deferred_by_reset(block: &'static Block, start: u32, len: u32) -> bool {
    if cfg!(loom) {
        return false;
    }
    match &mut *DEFERRED.lock().unwrap_or_else(|p| p.into_inner()) {
        Some(runs) => {
            runs.push((block, start, len));
            true
        }
        None => false,
    }
}

/// Starts deferring frees: called by a reset before it reads (see [`deferred_by_reset`]).
pub(crate) fn reset_started() {
    *DEFERRED.lock().unwrap_or_else(|p| p.into_inner()) = Some(Vec::new());
}

/// Frees what was deferred: called by a reset after its commit or discard.
pub(crate) fn reset_ended() {
    let runs = DEFERRED.lock().unwrap_or_else(|p| p.into_inner()).take();
    for (block, start, len) in runs.into_iter().flatten() {
        free(block, start, len);
    }
}

/// A block a reset staged baselines in (see [`CellRun::stage`]).
pub(crate) struct StagedBlock(&'static Block);

impl StagedBlock {
    fn pages(&self) -> &ResetPages {
        self.0
            .resets
            .get()
            .expect("a block is staged in after its reset pages exist")
    }

    /// Makes the staged baselines the committed ones.
    pub(crate) fn commit(&self) {
        let resets = self.pages();
        for (base, staged) in resets.baselines.cells.iter().zip(&resets.staged.cells) {
            let v = staged.load(Ordering::Relaxed);
            if base.load(Ordering::Relaxed) != v {
                // Release: see `CellRun::baseline`.
                base.store(v, Ordering::Release);
            }
        }
    }

    /// Forgets the staged baselines (the reset was dropped).
    pub(crate) fn discard(&self) {
        let resets = self.pages();
        for (base, staged) in resets.baselines.cells.iter().zip(&resets.staged.cells) {
            staged.store(base.load(Ordering::Relaxed), Ordering::Relaxed);
        }
    }
}

impl fmt::Debug for CellRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CellRun")
            .field("block", &(self.block as *const Block))
            .field("offset", &self.offset)
            .field("len", &self.len())
            .field("view", &self.borrowed)
            .finish()
    }
}

/// Adds `v` to an `f64` stored as bits: a compare-exchange loop on one (shard-local) cell.
#[inline(always)]
pub(crate) fn add_f64(cell: &AtomicU64, v: f64) {
    // Relaxed: the cell is an independent value; the exchange only has to be atomic.
    let mut current = cell.load(Ordering::Relaxed);
    loop {
        let next = (f64::from_bits(current) + v).to_bits();
        match cell.compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return,
            Err(seen) => current = seen,
        }
    }
}

/// A process-wide allocator of runs.
pub(crate) struct Slab {
    kind: Kind,
    state: Mutex<SlabState>,
}

/// Free space: the unused tail of the newest block and freed runs by length.
struct SlabState {
    current: Option<&'static Block>,
    /// First unused offset of `current`.
    bump: u32,
    /// Freed runs, by length: (block, offset).
    free: BTreeMap<u32, Vec<(&'static Block, u32)>>,
    /// Blocks allocated so far.
    blocks: usize,
}

#[cfg(not(loom))]
fn slab(kind: Kind) -> &'static Slab {
    static SHARDED: Slab = Slab {
        kind: Kind::Sharded,
        state: Mutex::new(SlabState::new()),
    };
    static UNSHARDED: Slab = Slab {
        kind: Kind::Unsharded,
        state: Mutex::new(SlabState::new()),
    };
    match kind {
        Kind::Sharded => &SHARDED,
        Kind::Unsharded => &UNSHARDED,
    }
}

/// Under loom the slabs are rebuilt for every execution of a model.
#[cfg(loom)]
fn slab(kind: Kind) -> &'static Slab {
    loom::lazy_static! {
        static ref SHARDED: Slab = Slab {
            kind: Kind::Sharded,
            state: Mutex::new(SlabState::new()),
        };
        static ref UNSHARDED: Slab = Slab {
            kind: Kind::Unsharded,
            state: Mutex::new(SlabState::new()),
        };
    }
    match kind {
        Kind::Sharded => &SHARDED,
        Kind::Unsharded => &UNSHARDED,
    }
}

impl Slab {
    fn alloc(&self, len: u32) -> CellRun {
        let mut state = lock(&self.state);
        let (block, offset) = state.take(self.kind, len);
        drop(state);
        // Relaxed: the run came out of the mutex, which orders this store after the previous
        // owner's zeroing; the handle is published to other threads by whatever shares it.
        block.refs.cells[offset as usize].store(u64::from(len) << LEN_SHIFT | 1, Ordering::Relaxed);
        CellRun {
            block,
            offset,
            base: 0,
            borrowed: false,
        }
    }

    fn free(&self, block: &'static Block, offset: u32, len: u32) {
        lock(&self.state)
            .free
            .entry(len)
            .or_default()
            .push((block, offset));
    }
}

impl SlabState {
    const fn new() -> Self {
        SlabState {
            current: None,
            bump: 0,
            free: BTreeMap::new(),
            blocks: 0,
        }
    }

    /// Finds room for `len` cells: a freed run of that length, else the newest block's tail, else
    /// a longer freed run split in two, else a new block.
    fn take(&mut self, kind: Kind, len: u32) -> (&'static Block, u32) {
        if let Some(run) = self.pop_free(len) {
            return run;
        }
        if let Some(block) = self.current
            && self.bump + len <= CELLS_PER_PAGE as u32
        {
            let offset = self.bump;
            self.bump += len;
            return (block, offset);
        }
        let longer = self.free.range(len + 1..).next().map(|(&l, _)| l);
        if let Some(longer) = longer {
            let (block, offset) = self.pop_free(longer).expect("the length was just found");
            self.free
                .entry(longer - len)
                .or_default()
                .push((block, offset + len));
            return (block, offset);
        }
        // The old tail is too short for this run; keep it for shorter ones.
        if let Some(block) = self.current {
            let tail = CELLS_PER_PAGE as u32 - self.bump;
            if tail > 0 {
                self.free.entry(tail).or_default().push((block, self.bump));
            }
        }
        let block = directory::add(|id| Block::new(id, kind));
        self.current = Some(block);
        self.blocks += 1;
        self.bump = len;
        (block, 0)
    }

    fn pop_free(&mut self, len: u32) -> Option<(&'static Block, u32)> {
        let runs = self.free.get_mut(&len)?;
        let run = runs.pop();
        if runs.is_empty() {
            self.free.remove(&len);
        }
        run
    }
}

/// Block ids to blocks, readable without a lock, so that a run id (block id and offset) can be
/// turned back into a handle on a hot path.
mod directory {
    use super::Block;

    /// Bits of a block id below the top level of the table.
    #[cfg(not(loom))]
    const LEAF_BITS: u32 = 9;
    #[cfg(not(loom))]
    const LEAF: usize = 1 << LEAF_BITS;
    /// Block ids have `32 - OFFSET_BITS` bits: 8M blocks of 512 cells.
    #[cfg(not(loom))]
    const TOP: usize = 1 << (32 - super::OFFSET_BITS - LEAF_BITS);

    #[cfg(not(loom))]
    use crate::sync::unmodelled::OnceLock;

    /// Two levels, so that an empty process holds only the top level (a static) and each leaf of
    /// 512 blocks (8 KiB) is allocated when its first block is.
    #[cfg(not(loom))]
    static DIR: [OnceLock<Box<[OnceLock<&'static Block>]>>; TOP] = [const { OnceLock::new() }; TOP];

    /// Allocates a block with the next id (`make` builds it from the id), registers it, and
    /// returns it. Called under a slab's mutex, before any run of the block is handed out.
    ///
    /// # Panics
    ///
    /// After 2^23 blocks (over 90 GiB of cells): the ids would no longer fit a `u32` run id.
    #[cfg(not(loom))]
    pub(super) fn add(make: impl FnOnce(u32) -> Block) -> &'static Block {
        use crate::sync::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        // Relaxed: only uniqueness matters; the block is published by the `OnceLock`s below.
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        assert!(id < TOP * LEAF, "more than {} slab blocks", TOP * LEAF);
        let block: &'static Block = Box::leak(Box::new(make(id as u32)));
        let leaf =
            DIR[id >> LEAF_BITS].get_or_init(|| (0..LEAF).map(|_| OnceLock::new()).collect());
        // The id is new, so the slot is empty; `set` publishes the block with release ordering.
        let _ = leaf[id & (LEAF - 1)].set(block);
        block
    }

    /// The block with id `id`.
    ///
    /// # Panics
    ///
    /// If no block has that id: ids come only from registered blocks.
    #[cfg(not(loom))]
    #[inline]
    pub(super) fn lookup(id: u32) -> &'static Block {
        let id = id as usize;
        DIR[id >> LEAF_BITS]
            .get()
            .and_then(|leaf| leaf[id & (LEAF - 1)].get())
            .copied()
            .expect("a run id names a block registered before the run was handed out")
    }

    #[cfg(loom)]
    loom::lazy_static! {
        static ref DIR: crate::sync::Mutex<Vec<&'static Block>> = crate::sync::Mutex::new(Vec::new());
    }

    #[cfg(loom)]
    pub(super) fn add(make: impl FnOnce(u32) -> Block) -> &'static Block {
        let mut dir = crate::sync::lock(&DIR);
        let block: &'static Block = Box::leak(Box::new(make(dir.len() as u32)));
        dir.push(block);
        block
    }

    #[cfg(loom)]
    pub(super) fn lookup(id: u32) -> &'static Block {
        crate::sync::lock(&DIR)[id as usize]
    }
}

#[cfg(all(test, not(loom)))]
#[path = "tests/slab.rs"]
mod tests;
