//! Reset-on-read that never writes a counting cell, and takes effect only when committed.
//!
//! A reset-on-read scrape (`/metricsandreset`, [`Counter::take`](crate::Counter::take)) reports
//! what each counter, histogram, summary and statistics counted since the previous reset. The
//! cells themselves only ever grow: the slab keeps, beside each block's shard pages, a page of
//! *baselines* (allocated by the first reset of a run in the block), and a value is
//! `sum over shards - baseline`. A reset read stages the sums it reported from in a second page
//! of the block, and lists the block in its [`ResetLog`]; [`Reset::commit`] copies each listed
//! block's staged page over its baselines, a dropped [`Reset`] copies the baselines back. So:
//!
//! - nothing is lost or counted twice whatever a writer does meanwhile: an update the read's sum
//!   did not include is in the next reset's difference;
//! - a reset that fails (a custom collector panics, the encoder refuses a filter) is dropped
//!   uncommitted and resets nothing: the next reset scrape carries every update;
//! - a writer never needs an atomic read-modify-write for a reader's sake (no reader `swap`s
//!   a cell), which leaves the write path free to commit updates with plain stores.
//!
//! A float sum that took a NaN or an infinity (an observation of one) stays NaN or infinite in
//! every later read, reset or not, as it does in a client without resets: the difference of two
//! such sums is NaN.
//!
//! Minimum and maximum (of [`Statistics`](crate::Statistics)) do not add up: a reset read records
//! each shard's extreme, and the commit clears a shard's cell only if it still holds what was read
//! (a compare-exchange): a larger extreme written after the read belongs to the next window and
//! stays.
//!
//! One reset runs at a time in the process (baselines are per cell, and a metric can be in several
//! registries): [`Reset`] holds the turn from the read to the commit or drop. Meanwhile a run
//! whose last handle goes is not freed (its cells could be reused, and the commit would give the
//! new owner a stale baseline) until the reset ends: see `slab::deferred_by_reset`.
//!
//! Memory: two 4 KiB pages per slab block (512 cells) that a reset ever read, 16 bytes per cell,
//! and nothing for a process that never resets.

use std::fmt;

use crate::slab::{self, CellRun, StagedBlock};
use crate::sync::unmodelled::{Mutex, MutexGuard};

/// How a read treats what it reads: as the current values, or as a reset that records the sums it
/// reported from.
pub(crate) enum ReadMode<'a> {
    /// No reset was ever committed in the process, so no cell has a baseline: values are the raw
    /// sums (a plain read skips the baseline lookup: 2-3 ns per series, measured in
    /// `benches/encode.rs`'s collect-only row).
    Raw,
    /// Values since the last committed reset; nothing recorded.
    Current,
    /// Values since the last committed reset, recorded to become the new baselines.
    Reset(&'a mut ResetLog),
}

/// Whether a reset was ever committed in the process (see [`ReadMode::Raw`]).
static COMMITTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

impl ReadMode<'static> {
    /// The mode of a plain read: [`Raw`](ReadMode::Raw) until the process' first committed
    /// reset, [`Current`](ReadMode::Current) after. A read that starts while the first reset
    /// commits may report raw sums, as it would have a moment earlier.
    #[inline]
    pub(crate) fn current() -> Self {
        // Acquire, paired with the release in `ResetLog::end`: a read that sees the flag sees
        // the baseline pages it announces.
        if COMMITTED.load(std::sync::atomic::Ordering::Acquire) {
            ReadMode::Current
        } else {
            ReadMode::Raw
        }
    }
}

impl ReadMode<'_> {
    /// The same mode for a shorter borrow.
    #[inline]
    pub(crate) fn reborrow(&mut self) -> ReadMode<'_> {
        match self {
            ReadMode::Raw => ReadMode::Raw,
            ReadMode::Current => ReadMode::Current,
            ReadMode::Reset(log) => ReadMode::Reset(log),
        }
    }

    /// Cell `i` of `run` summed over shards since the last committed reset.
    #[inline(always)]
    pub(crate) fn read(&mut self, run: &CellRun, i: usize) -> u64 {
        match self {
            ReadMode::Raw => run.raw_sum(i),
            ReadMode::Current => {
                // The baseline before the shards (see `CellRun::baseline`).
                let base = run.baseline(i);
                run.raw_sum(i).wrapping_sub(base)
            }
            ReadMode::Reset(log) => log.read(run, i),
        }
    }

    /// [`read`](Self::read) for an `f64` cell.
    #[inline(always)]
    pub(crate) fn read_f64(&mut self, run: &CellRun, i: usize) -> f64 {
        match self {
            ReadMode::Raw => run.raw_sum_f64(i),
            ReadMode::Current => {
                let base = f64::from_bits(run.baseline(i));
                run.raw_sum_f64(i) - base
            }
            ReadMode::Reset(log) => log.read_f64(run, i),
        }
    }

    /// [`read`](Self::read) of cells `0..out.len()` of `run` into `out`, which must hold zeros.
    #[inline(always)]
    pub(crate) fn read_into(&mut self, run: &CellRun, out: &mut [u64]) {
        match self {
            ReadMode::Raw => run.add_raw_sums(out),
            ReadMode::Current => {
                for (k, acc) in out.iter_mut().enumerate() {
                    *acc = run.baseline(k).wrapping_neg();
                }
                run.add_raw_sums(out);
            }
            ReadMode::Reset(log) => log.read_into(run, out),
        }
    }

    /// The largest of cell `i` of `run` over shards (an extreme), which a committed reset clears.
    pub(crate) fn read_extreme(&mut self, run: &CellRun, i: usize) -> u64 {
        match self {
            ReadMode::Raw | ReadMode::Current => run.per_shard(i).max(),
            // The values logged are the values reported from: the commit clears only those.
            ReadMode::Reset(log) => log.extreme(run, i, run.per_shard(i)).iter().copied().max(),
        }
        .unwrap_or(0)
    }
}

/// What a reset read saw: the blocks it staged baselines in (see [`CellRun::stage`]), and the
/// extremes it reported (to clear if unchanged). There is one, kept with the reset turn, so that
/// its lists keep their capacity from reset to reset (a warm reset scrape allocates nothing per
/// series).
pub(crate) struct ResetLog {
    /// Numbers the resets, so that a block is listed once per reset.
    number: u64,
    blocks: Vec<StagedBlock>,
    /// Runs (views: a reset defers the freeing of runs) and cell of the extremes read.
    extremes: Vec<(CellRun, u16)>,
    /// Each extreme's value per shard of its run, one extreme after the other.
    values: Vec<u64>,
}

impl ResetLog {
    const fn new() -> Self {
        ResetLog {
            number: 0,
            blocks: Vec::new(),
            extremes: Vec::new(),
            values: Vec::new(),
        }
    }

    /// A reset read of cell `i` of `run` (see [`ReadMode::read`]): the plain read, then its sum
    /// staged. Out of line, so that the plain reads inline small. A reset holds the reset turn,
    /// so the baselines do not change between the read and the stage.
    #[inline(never)]
    fn read(&mut self, run: &CellRun, i: usize) -> u64 {
        let value = ReadMode::Current.read(run, i);
        self.stage(run, i, [value.wrapping_add(run.baseline(i))]);
        value
    }

    /// A reset read of an `f64` cell (the raw sum staged as read: `value + baseline` would round).
    #[inline(never)]
    fn read_f64(&mut self, run: &CellRun, i: usize) -> f64 {
        let base = f64::from_bits(run.baseline(i));
        let raw = run.raw_sum_f64(i);
        self.stage(run, i, [raw.to_bits()]);
        raw - base
    }

    /// A reset read of cells `0..out.len()` of `run` into `out` (zeros), as [`read`](Self::read).
    #[inline(never)]
    fn read_into(&mut self, run: &CellRun, out: &mut [u64]) {
        ReadMode::Current.read_into(run, out);
        let raw = out.iter().enumerate();
        self.stage(run, 0, raw.map(|(k, v)| v.wrapping_add(run.baseline(k))));
    }

    /// Stages `raws` (raw sums over shards, the bits of an `f64` for a float cell) as the
    /// baselines of cells `first..` of `run`.
    #[inline]
    fn stage(&mut self, run: &CellRun, first: usize, raws: impl IntoIterator<Item = u64>) {
        if let Some(block) = run.stage(first, raws, self.number) {
            self.blocks.push(block);
        }
    }

    /// Records that cell `i` of `run` held `per_shard` (one value per shard) when its extreme was
    /// reported; returns them.
    fn extreme(&mut self, run: &CellRun, i: usize, per_shard: impl Iterator<Item = u64>) -> &[u64] {
        let before = self.values.len();
        self.values.extend(per_shard);
        self.extremes.push((run.view(0), i as u16));
        &self.values[before..]
    }

    /// Starts the log of a new reset.
    fn start(&mut self) {
        self.number += 1;
        slab::reset_started();
    }

    /// Ends the reset: its baselines and cleared extremes take effect if `commit`, else nothing
    /// does.
    fn end(&mut self, commit: bool) {
        if commit && !self.blocks.is_empty() {
            // Release: see `ReadMode::current`.
            COMMITTED.store(true, std::sync::atomic::Ordering::Release);
        }
        for block in self.blocks.drain(..) {
            if commit {
                block.commit();
            } else {
                block.discard();
            }
        }
        if commit {
            let mut values = self.values.as_slice();
            for (run, i) in &self.extremes {
                let (seen, rest) = values.split_at(run.shard_count());
                run.clear_extreme(usize::from(*i), seen);
                values = rest;
            }
        }
        self.extremes.clear();
        self.values.clear();
        slab::reset_ended();
    }
}

/// The process' reset turn (see the module docs), with the log of the reset that has it.
static TURN: Mutex<ResetLog> = Mutex::new(ResetLog::new());

/// A reset-on-read collection that has been read and not yet committed: nothing is reset until
/// [`commit`](Self::commit); dropping it resets nothing, and the next reset read reports
/// everything again. Returned by
/// [`Registry::collect_and_reset`](crate::Registry::collect_and_reset).
///
/// While it exists, other resets in the process wait (a reset's baselines must be committed before
/// the next one reads them): commit or drop it as soon as the reply is produced.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, Opts, Registry, SampleList};
///
/// let registry = Registry::new();
/// let c = Counter::new();
/// registry.register(Opts::new("events", "Events."), c.clone())?;
/// c.inc_by(3);
/// let mut seen = SampleList::new();
/// let reset = registry.collect_and_reset(&mut seen)?;
/// assert_eq!(seen.samples()[0].value, 3.0);
/// drop(reset); // not committed: nothing was reset
/// assert_eq!(c.get(), 3);
///
/// let mut seen = SampleList::new();
/// registry.collect_and_reset(&mut seen)?.commit();
/// assert_eq!(seen.samples()[0].value, 3.0);
/// assert_eq!(c.get(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a reset takes effect only when committed"]
pub struct Reset {
    /// The turn, and the log (empty when the turn is taken).
    log: MutexGuard<'static, ResetLog>,
    committed: bool,
}

impl Reset {
    /// Waits for the process' reset turn.
    pub(crate) fn begin() -> Reset {
        let mut log = TURN.lock().unwrap_or_else(|p| p.into_inner());
        log.start();
        Reset {
            log,
            committed: false,
        }
    }

    /// Where the reset read records what it saw.
    pub(crate) fn log(&mut self) -> &mut ResetLog {
        &mut self.log
    }

    /// Makes the reset take effect: what was read becomes what the next reads subtract.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Opts, Registry, SampleList};
    ///
    /// let registry = Registry::new();
    /// let c = Counter::new();
    /// registry.register(Opts::new("events", "Events."), c.clone())?;
    /// c.inc();
    /// registry.collect_and_reset(&mut SampleList::new())?.commit();
    /// assert_eq!(c.get(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn commit(mut self) {
        self.committed = true;
        // Ended by the drop.
    }

    /// Reads with `read` in reset mode and commits at once (a metric's own `take`).
    pub(crate) fn take<R>(read: impl FnOnce(ReadMode<'_>) -> R) -> R {
        let mut reset = Reset::begin();
        let value = read(ReadMode::Reset(reset.log()));
        reset.commit();
        value
    }
}

impl Drop for Reset {
    /// Ends the reset: committed, or not (then nothing is reset).
    fn drop(&mut self) {
        let commit = self.committed;
        self.log.end(commit);
    }
}

impl fmt::Debug for Reset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reset")
            .field("blocks", &self.log.blocks.len())
            .finish_non_exhaustive()
    }
}
