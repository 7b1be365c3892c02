//! Per-CPU strided slabs of `AtomicU64` cells (DESIGN.md §2).
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

use std::collections::BTreeMap;
use std::fmt;

use crate::shard;
use crate::sync::{AtomicU64, Mutex, Ordering, fence, lock};

/// Cells per shard page: one 4 KiB page of `AtomicU64` (fewer under loom, to keep models small).
#[cfg(not(loom))]
pub(crate) const CELLS_PER_PAGE: usize = 512;
#[cfg(loom)]
pub(crate) const CELLS_PER_PAGE: usize = 4;

/// The header's low bits count handles; the high bits hold the run's length.
const LEN_SHIFT: u32 = 48;
const REFS_MASK: u64 = (1 << LEN_SHIFT) - 1;

/// One shard's cells of a block.
#[repr(C, align(4096))]
struct Page {
    cells: [AtomicU64; CELLS_PER_PAGE],
}

impl Page {
    fn new() -> Self {
        Page {
            cells: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

/// S shard pages and the run headers.
struct Block {
    /// `shard_count()` pages; the length is a power of two, so `len - 1` is the shard mask.
    shards: Box<[Page]>,
    /// Header of the run starting at each offset: `len << LEN_SHIFT | handles`.
    refs: Box<Page>,
}

impl Block {
    fn new(shards: usize) -> Self {
        Block {
            shards: (0..shards).map(|_| Page::new()).collect(),
            refs: Box::new(Page::new()),
        }
    }
}

/// A handle to a run of cells: one pointer and an offset, cloned and dropped like an `Arc`.
///
/// Hot-path methods address the calling thread's shard; read-path methods sum over all shards.
/// All cell accesses are `Relaxed`: a cell is an independent counter, and nothing else is
/// published through it. Ordering between a run's last use and its reuse comes from the header
/// (release/acquire, as in `Arc`) and from the free-list mutex.
pub(crate) struct CellRun {
    block: &'static Block,
    offset: u32,
}

impl CellRun {
    /// Allocates a run of `len` zeroed cells.
    ///
    /// # Panics
    ///
    /// If `len` is 0 or more than [`CELLS_PER_PAGE`]: callers validate sizes first (histogram
    /// bucket counts are checked with an error), so this is an internal invariant.
    pub(crate) fn new(len: usize) -> CellRun {
        assert!(
            (1..=CELLS_PER_PAGE).contains(&len),
            "run length {len} out of range"
        );
        global().alloc(len as u32)
    }

    /// The number of cells in the run.
    pub(crate) fn len(&self) -> usize {
        // Relaxed: the length bits never change while a handle exists.
        (self.header().load(Ordering::Relaxed) >> LEN_SHIFT) as usize
    }

    fn header(&self) -> &AtomicU64 {
        &self.block.refs.cells[self.offset as usize]
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

    /// Adds `v` to cell `i` of the calling thread's shard (wrapping).
    #[inline(always)]
    pub(crate) fn add(&self, i: usize, v: u64) {
        self.local_shard().add(i, v);
    }

    /// Adds `v` to the `f64` stored as bits in cell `i` of the calling thread's shard.
    #[inline(always)]
    pub(crate) fn add_f64(&self, i: usize, v: f64) {
        self.local_shard().add_f64(i, v);
    }

    /// Cell `i` of every shard.
    fn shards(&self, i: usize) -> impl Iterator<Item = &AtomicU64> {
        let at = self.offset as usize + i;
        self.block.shards.iter().map(move |page| &page.cells[at])
    }

    /// The sum of cell `i` over all shards (wrapping, as the per-shard adds are).
    pub(crate) fn sum(&self, i: usize) -> u64 {
        self.shards(i)
            .fold(0, |acc, c| acc.wrapping_add(c.load(Ordering::Relaxed)))
    }

    /// Swaps cell `i` of every shard with 0 and returns the sum of what was there: every add lands
    /// either in this result or in the cell afterwards, never both, never neither.
    pub(crate) fn take(&self, i: usize) -> u64 {
        self.shards(i)
            .fold(0, |acc, c| acc.wrapping_add(c.swap(0, Ordering::Relaxed)))
    }

    /// The sum over all shards of the `f64` values in cell `i`.
    pub(crate) fn sum_f64(&self, i: usize) -> f64 {
        self.shards(i)
            .map(|c| f64::from_bits(c.load(Ordering::Relaxed)))
            .sum()
    }

    /// [`take`](Self::take) for `f64` cells.
    pub(crate) fn take_f64(&self, i: usize) -> f64 {
        self.shards(i)
            .map(|c| f64::from_bits(c.swap(0, Ordering::Relaxed)))
            .sum()
    }

    /// Adds every shard's cells `0..out.len()` into `out` (one pass per shard page, in address
    /// order), swapping them with 0 if `reset`.
    pub(crate) fn sum_into(&self, out: &mut [u64], reset: bool) {
        let at = self.offset as usize;
        for page in self.block.shards.iter() {
            let cells = &page.cells[at..at + out.len()];
            for (acc, cell) in out.iter_mut().zip(cells) {
                let v = if reset {
                    cell.swap(0, Ordering::Relaxed)
                } else {
                    cell.load(Ordering::Relaxed)
                };
                *acc = acc.wrapping_add(v);
            }
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

impl LocalShard<'_> {
    #[inline(always)]
    fn cell(&self, i: usize) -> &AtomicU64 {
        #[cfg(debug_assertions)]
        assert!(i < self.len, "cell {i} outside a run of {}", self.len);
        &self.cells[self.offset + i]
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
        }
    }
}

impl Drop for CellRun {
    fn drop(&mut self) {
        // Release, as `Arc::drop`: this handle's cell writes happen before the last handle's
        // zeroing; the acquire fence below is that side of the pair.
        let old = self.header().fetch_sub(1, Ordering::Release);
        if old & REFS_MASK != 1 {
            return;
        }
        fence(Ordering::Acquire);
        let len = (old >> LEN_SHIFT) as u32;
        for page in self.block.shards.iter() {
            for cell in &page.cells[self.offset as usize..(self.offset + len) as usize] {
                // Relaxed: no handle is left; the free-list mutex publishes these stores to the
                // next owner.
                cell.store(0, Ordering::Relaxed);
            }
        }
        global().free(self.block, self.offset, len);
    }
}

impl fmt::Debug for CellRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CellRun")
            .field("block", &(self.block as *const Block))
            .field("offset", &self.offset)
            .field("len", &self.len())
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

/// The process-wide allocator of runs.
pub(crate) struct Slab {
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
pub(crate) fn global() -> &'static Slab {
    static GLOBAL: Slab = Slab {
        state: Mutex::new(SlabState::new()),
    };
    &GLOBAL
}

/// Under loom the slab is rebuilt for every execution of a model.
#[cfg(loom)]
pub(crate) fn global() -> &'static Slab {
    loom::lazy_static! {
        static ref GLOBAL: Slab = Slab {
            state: Mutex::new(SlabState::new()),
        };
    }
    &GLOBAL
}

impl Slab {
    fn alloc(&self, len: u32) -> CellRun {
        let mut state = lock(&self.state);
        let (block, offset) = state.take(len);
        drop(state);
        // Relaxed: the run came out of the mutex, which orders this store after the previous
        // owner's zeroing; the handle is published to other threads by whatever shares it.
        block.refs.cells[offset as usize].store(u64::from(len) << LEN_SHIFT | 1, Ordering::Relaxed);
        CellRun { block, offset }
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
    fn take(&mut self, len: u32) -> (&'static Block, u32) {
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
        let block: &'static Block = Box::leak(Box::new(Block::new(shard::shard_count())));
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn page_is_one_aligned_page() {
        assert_eq!(size_of::<Page>(), 4096);
        assert_eq!(align_of::<Page>(), 4096);
        assert_eq!(size_of::<CellRun>(), 16);
    }

    #[test]
    fn shards_of_one_cell_are_a_page_apart() {
        let run = CellRun::new(3);
        let addrs: Vec<usize> = run.shards(1).map(|c| c as *const _ as usize).collect();
        assert_eq!(addrs.len(), shard::shard_count());
        for pair in addrs.windows(2) {
            assert_eq!(pair[1] - pair[0], 4096);
        }
    }

    #[test]
    fn runs_do_not_overlap_and_freed_runs_come_back_zeroed() {
        let a = CellRun::new(5);
        let b = CellRun::new(7);
        let same_block = std::ptr::eq(a.block, b.block);
        if same_block {
            let (a0, a1) = (a.offset, a.offset + 5);
            assert!(b.offset >= a1 || b.offset + 7 <= a0);
        }
        a.add(4, 9);
        b.add(0, 1);
        assert_eq!((a.sum(4), b.sum(0)), (9, 1));
        drop(a);
        // Other tests allocate concurrently, so the freed run may be taken by them; whichever run
        // we get, it starts at zero.
        let c = CellRun::new(5);
        assert!((0..5).all(|i| c.sum(i) == 0));
        assert_eq!(b.sum(0), 1);
    }

    #[test]
    fn clones_share_cells_and_the_last_drop_frees() {
        let a = CellRun::new(2);
        let b = a.clone();
        assert_eq!(a.header().load(Ordering::Relaxed) & REFS_MASK, 2);
        b.add(1, 5);
        assert_eq!(a.sum(1), 5);
        drop(b);
        assert_eq!(a.header().load(Ordering::Relaxed) & REFS_MASK, 1);
        assert_eq!(a.len(), 2);
        assert_eq!(a.take(1), 5);
        assert_eq!(a.sum(1), 0);
    }

    #[test]
    fn split_and_tail_reuse() {
        let mut state = SlabState::new();
        let (b0, o0) = state.take(500);
        assert_eq!((o0, state.blocks), (0, 1));
        // 12 cells left in block 0; 20 do not fit, so a new block starts and the tail is kept.
        let (b1, o1) = state.take(20);
        assert!(!std::ptr::eq(b0, b1));
        assert_eq!((o1, state.blocks), (0, 2));
        assert_eq!(state.free.get(&12).map(Vec::len), Some(1));
        // The newest block's unused tail comes before splitting a longer freed run.
        let (b2, o2) = state.take(5);
        assert!(std::ptr::eq(b1, b2));
        assert_eq!(o2, 20);
        state.bump = CELLS_PER_PAGE as u32; // block 1 full
        let (b3, o3) = state.take(5);
        assert!(std::ptr::eq(b0, b3));
        assert_eq!(o3, 500);
        assert_eq!(state.free.get(&7).map(Vec::len), Some(1));
        assert_eq!(state.blocks, 2);
    }
}
