//! The number of shards and the shard the calling thread writes to (docs/design.md §2).
//!
//! Every sharded cell has one copy per shard; an update goes to the copy of the calling thread's
//! shard, a scrape sums all copies. The index should follow the CPU the thread runs on, so that two
//! threads running at the same time never write the same cache line, and it must be cheap: the whole
//! `Counter::inc` has a budget of 1.25x a bare `fetch_add`.
//!
//! The [active strategy](active_strategy) is chosen once per process:
//!
//! - [`Strategy::Rseq`] where glibc (2.35 or later) has registered a restartable-sequences area for
//!   every thread and exports `__rseq_offset`/`__rseq_size` (looked up at run time, so binaries still
//!   run on older libcs): the kernel keeps the `cpu_id` field of that area current, and reading it is
//!   one load relative to the thread pointer. Implemented for Linux on x86_64.
//! - [`Strategy::ThreadSlot`] everywhere else (other architectures and libcs, or rseq disabled with
//!   `GLIBC_TUNABLES=glibc.pthread.rseq=0`): each thread takes, on its first update, the shard that
//!   has the fewest live threads, and gives it back when it exits.
//!
//! The two other [`Strategy`] values exist so that the benchmarks can compare all candidates in
//! one run; `benches/README.md` has the numbers behind this choice.
//!
//! Where updates are atomic ([`WritePath::Atomic`]), a thread may migrate between reading its
//! index and updating the cell. That is harmless: the update is atomic, at worst contended for
//! that one operation. Where counter increments take the [`WritePath::Restartable`] path, the
//! index is read inside a restartable sequence together with the add, and the kernel restarts
//! the sequence if the thread moves before the add is stored.
//!
//! # Examples
//!
//! ```
//! use coremeter::shard;
//!
//! let n = shard::shard_count();
//! assert!(n.is_power_of_two() && n <= shard::MAX_SHARDS);
//! println!("{n} shards, index from {}", shard::active_strategy());
//! ```

use std::fmt;

#[cfg(not(loom))]
use crate::sync::{AtomicUsize, Ordering};

/// The largest shard count. Machines with more CPUs fold several CPUs onto one shard
/// (`cpu mod shard_count()`), trading some contention for memory.
///
/// # Examples
///
/// ```
/// assert!(coremeter::shard::shard_count() <= coremeter::shard::MAX_SHARDS);
/// ```
pub const MAX_SHARDS: usize = 64;

/// A way of choosing the calling thread's shard.
///
/// # Examples
///
/// ```
/// use coremeter::shard::{self, Strategy};
///
/// let strategy = shard::active_strategy();
/// assert!(Strategy::ALL.contains(&strategy));
/// println!("shard index from {strategy}");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Strategy {
    /// The `cpu_id` of the thread's rseq area, which the kernel keeps current: one load.
    Rseq,
    /// A CPU number cached per thread and refreshed with `sched_getcpu()` every 64 calls.
    CpuHint,
    /// `sched_getcpu()` on every call.
    SchedGetcpu,
    /// A slot per thread, assigned on first use to the shard with the fewest live threads and
    /// released when the thread exits. Does not follow migrations.
    ThreadSlot,
}

impl Strategy {
    /// Every strategy, in the order the benchmarks report them.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(coremeter::shard::Strategy::ALL.len(), 4);
    /// ```
    pub const ALL: [Strategy; 4] = [
        Strategy::Rseq,
        Strategy::CpuHint,
        Strategy::SchedGetcpu,
        Strategy::ThreadSlot,
    ];
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strategy::Rseq => "rseq",
            Strategy::CpuHint => "cpu_hint",
            Strategy::SchedGetcpu => "sched_getcpu",
            Strategy::ThreadSlot => "thread_slot",
        })
    }
}

/// The strategy this process uses for every sharded update.
///
/// # Examples
///
/// ```
/// use coremeter::shard::{self, Strategy};
///
/// let s = shard::active_strategy();
/// assert!(s == Strategy::Rseq || s == Strategy::ThreadSlot);
/// ```
pub fn active_strategy() -> Strategy {
    if rseq::offset().is_some() {
        Strategy::Rseq
    } else {
        Strategy::ThreadSlot
    }
}

/// How this process adds to the calling CPU's copy of a cell (counter increments, and the count
/// and sum of a histogram, summary or statistics observation), chosen once.
///
/// # Examples
///
/// ```
/// use coremeter::shard::{self, WritePath};
///
/// let path = shard::write_path();
/// assert!(path == WritePath::Restartable || path == WritePath::Atomic);
/// println!("counters add with {path:?}");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WritePath {
    /// A plain add in a Linux restartable sequence, which the kernel restarts if the thread
    /// leaves its CPU before the add is stored: Linux on x86_64 where glibc registered rseq and
    /// every CPU the process may run on has a shard of its own.
    Restartable,
    /// An atomic add (`lock add` on x86_64): everywhere else, and wherever two CPUs could share
    /// a shard (more possible CPUs than [`shard_count`]).
    Atomic,
}

/// The write path of this process' sharded adds (see [`WritePath`]). It is fixed by the first
/// add, after the [shard count](shard_count) is.
///
/// # Examples
///
/// ```
/// use coremeter::shard::{self, WritePath};
///
/// if shard::write_path() == WritePath::Restartable {
///     assert!(shard::active_strategy() == shard::Strategy::Rseq);
/// }
/// ```
pub fn write_path() -> WritePath {
    if restartable().is_some() {
        WritePath::Restartable
    } else {
        WritePath::Atomic
    }
}

/// The rseq area's offset if counter increments take the restartable path (see
/// [`WritePath::Restartable`]). This is the hot path of every counter increment.
#[inline(always)]
pub(crate) fn restartable() -> Option<isize> {
    #[cfg(rseq)]
    {
        let offset = rseq::RESTARTABLE.load(Ordering::Relaxed);
        if offset > rseq::UNAVAILABLE {
            return Some(offset);
        }
        if offset == rseq::UNINIT {
            return rseq::choose_write_path();
        }
    }
    None
}

/// The calling thread's index under `strategy`, not yet reduced modulo [`shard_count`]: a CPU
/// number for the CPU-based strategies, a slot for [`Strategy::ThreadSlot`]. `None` where the
/// strategy is unavailable on this platform or process.
///
/// This is the building block the benchmarks compare; metrics always use [`active_strategy`].
///
/// # Examples
///
/// ```
/// use coremeter::shard::{self, Strategy};
///
/// let slot = shard::index(Strategy::ThreadSlot).expect("always available");
/// assert!(slot < shard::shard_count());
/// ```
#[inline]
pub fn index(strategy: Strategy) -> Option<usize> {
    match strategy {
        Strategy::Rseq => rseq::offset().map(rseq::read_cpu_id),
        Strategy::CpuHint => cpu::hint(),
        Strategy::SchedGetcpu => cpu::sched_getcpu(),
        Strategy::ThreadSlot => Some(slot::current()),
    }
}

/// The calling thread's index under the active strategy; callers reduce it with a mask of
/// `shard_count() - 1`. This is the hot path of every sharded update.
#[inline(always)]
pub(crate) fn current() -> usize {
    #[cfg(rseq)]
    {
        let offset = rseq::OFFSET.load(Ordering::Relaxed);
        if offset > rseq::UNAVAILABLE {
            return rseq::read_cpu_id(offset);
        }
        if offset == rseq::UNINIT {
            return rseq::init_then_current();
        }
    }
    slot::current()
}

/// The number of shards S: a power of two, at least 1 and at most [`MAX_SHARDS`].
///
/// Unless [`set_shard_count`] fixed it first, it is fixed on first use as the number of CPUs this
/// process may run on (its affinity mask), rounded up to a power of two and capped at
/// [`MAX_SHARDS`]. Every sharded cell costs `8 * shard_count()` bytes.
///
/// CPU `c` writes shard `c mod shard_count()`. Any contiguous range of allowed CPUs (all CPUs, or
/// a cpuset such as 8-15) maps to distinct shards; a scattered set (CPUs 1 and 3 only) can fold
/// two CPUs onto one shard, which costs contention, never correctness.
///
/// # Examples
///
/// ```
/// let s = coremeter::shard::shard_count();
/// assert!(s.is_power_of_two() && s <= coremeter::shard::MAX_SHARDS);
/// ```
pub fn shard_count() -> usize {
    #[cfg(loom)]
    {
        2
    }
    #[cfg(not(loom))]
    {
        // Relaxed: only the value matters, and the compare-exchange makes every thread agree on
        // the first one stored.
        match SHARDS.load(Ordering::Relaxed) {
            0 => match SHARDS.compare_exchange(
                0,
                default_shard_count(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => SHARDS.load(Ordering::Relaxed),
                Err(fixed) => fixed,
            },
            fixed => fixed,
        }
    }
}

#[cfg(not(loom))]
static SHARDS: AtomicUsize = AtomicUsize::new(0);

/// Fixes the shard count before the first metric is created, for example to save memory on a
/// large machine or to get more shards than CPUs in a test.
///
/// # Errors
///
/// [`ShardCountError::NotPowerOfTwo`] unless `count` is a power of two in `1..=MAX_SHARDS`, and
/// [`ShardCountError::AlreadyFixed`] if the count was already fixed to another value (by an
/// earlier call or by the first metric).
///
/// # Examples
///
/// ```
/// use coremeter::shard::{self, ShardCountError};
///
/// let s = shard::shard_count(); // fixes it
/// assert_eq!(shard::set_shard_count(s), Ok(()));
/// assert_eq!(shard::set_shard_count(3), Err(ShardCountError::NotPowerOfTwo(3)));
/// ```
pub fn set_shard_count(count: usize) -> Result<(), ShardCountError> {
    if !count.is_power_of_two() || count > MAX_SHARDS {
        return Err(ShardCountError::NotPowerOfTwo(count));
    }
    #[cfg(loom)]
    let result = if count == 2 { Ok(()) } else { Err(2) };
    #[cfg(not(loom))]
    let result = match SHARDS.compare_exchange(0, count, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => Ok(()),
        Err(fixed) if fixed == count => Ok(()),
        Err(fixed) => Err(fixed),
    };
    result.map_err(|current| ShardCountError::AlreadyFixed { current })
}

/// Why [`set_shard_count`] refused a count.
///
/// # Examples
///
/// ```
/// use coremeter::shard::{ShardCountError, set_shard_count};
///
/// assert!(matches!(set_shard_count(3), Err(ShardCountError::NotPowerOfTwo(3))));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShardCountError {
    /// The count is not a power of two in `1..=MAX_SHARDS`.
    NotPowerOfTwo(usize),
    /// The count was fixed already, to `current`.
    AlreadyFixed {
        /// The count in use.
        current: usize,
    },
}

impl fmt::Display for ShardCountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShardCountError::NotPowerOfTwo(n) => write!(
                f,
                "shard count {n} is not a power of two between 1 and {MAX_SHARDS}"
            ),
            ShardCountError::AlreadyFixed { current } => write!(
                f,
                "shard count is already fixed to {current}: set it before the first metric is created"
            ),
        }
    }
}

impl std::error::Error for ShardCountError {}

#[cfg(not(loom))]
fn default_shard_count() -> usize {
    cpu::allowed_cpus()
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
        .next_power_of_two()
        .min(MAX_SHARDS)
}

/// The rseq `cpu_id` read (Linux, glibc, x86_64).
#[cfg(rseq)]
mod rseq {
    use crate::sync::Ordering;
    use crate::sync::unmodelled::AtomicIsize;

    /// `__rseq_offset` once looked up, else one of the two sentinels below. Real offsets are
    /// small (the rseq area sits in the thread's static TLS block), so the sentinels never clash.
    pub(super) static OFFSET: AtomicIsize = AtomicIsize::new(UNINIT);
    /// [`OFFSET`] if counter increments take the restartable path, else a sentinel.
    pub(super) static RESTARTABLE: AtomicIsize = AtomicIsize::new(UNINIT);
    pub(super) const UNINIT: isize = isize::MIN;
    pub(super) const UNAVAILABLE: isize = isize::MIN + 1;

    /// Byte offset of `cpu_id` in the kernel's `struct rseq` (after `u32 cpu_id_start`).
    const CPU_ID: isize = 4;

    /// The offset of this thread's rseq area from the thread pointer, if glibc registered one.
    #[inline(always)]
    pub(super) fn offset() -> Option<isize> {
        // Relaxed: the value is written once, from data glibc fixed before `main`; racing
        // initialisations store the same value.
        let offset = match OFFSET.load(Ordering::Relaxed) {
            UNINIT => init(),
            offset => offset,
        };
        (offset > UNAVAILABLE).then_some(offset)
    }

    #[cold]
    #[inline(never)]
    fn init() -> isize {
        let offset = lookup().unwrap_or(UNAVAILABLE);
        OFFSET.store(offset, Ordering::Relaxed);
        offset
    }

    #[cold]
    #[inline(never)]
    pub(super) fn init_then_current() -> usize {
        match init() {
            UNAVAILABLE => super::slot::current(),
            offset => read_cpu_id(offset),
        }
    }

    /// Chooses the write path once: restartable adds need rseq and a shard for every CPU number
    /// the kernel may report (all possible CPUs, not only those the process may run on now: the
    /// affinity can change).
    #[cold]
    #[inline(never)]
    pub(super) fn choose_write_path() -> Option<isize> {
        let offset = offset().filter(|_| {
            super::cpu::possible_cpus().is_some_and(|cpus| cpus <= super::shard_count())
        });
        // Racing choices store the same value.
        RESTARTABLE.store(offset.unwrap_or(UNAVAILABLE), Ordering::Relaxed);
        offset
    }

    fn lookup() -> Option<isize> {
        // SAFETY: `dlsym` with `RTLD_DEFAULT` and a NUL-terminated name has no preconditions;
        // it returns null for a symbol this process does not have (a libc older than 2.35).
        let offset = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"__rseq_offset".as_ptr()) };
        // SAFETY: as above.
        let size = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"__rseq_size".as_ptr()) };
        if offset.is_null() || size.is_null() {
            return None;
        }
        // SAFETY:
        // - glibc defines `const ptrdiff_t __rseq_offset` and `const unsigned int __rseq_size`,
        //   so the non-null addresses point to live, aligned objects of those types;
        // - both are set while the process starts and never written again, so the reads don't race.
        let (offset, size) = unsafe { (*offset.cast::<isize>(), *size.cast::<u32>()) };
        // Size 0 means registration failed (old kernel, or disabled by a tunable); the `cpu_id`
        // field ends at byte 8.
        (size >= 8).then_some(offset)
    }

    /// The CPU the kernel last saw this thread on.
    #[inline(always)]
    pub(super) fn read_cpu_id(offset: isize) -> usize {
        let cpu: u32;
        // SAFETY:
        // - `offset` is glibc's `__rseq_offset` (only `lookup` produces values above
        //   `UNAVAILABLE`), checked with `__rseq_size >= 8`: for every thread glibc registers a
        //   `struct rseq` at thread pointer + `offset`, in the thread's static TLS block, valid
        //   for the thread's whole life; the x86_64 thread pointer is the `fs` segment base;
        // - `cpu_id` is the naturally aligned `u32` at byte 4 of that struct;
        // - the kernel writes it only while this thread is not running user code, so the load
        //   sees a whole value; asm loads are not Rust data races;
        // - the asm only reads memory, uses no stack and keeps the flags.
        unsafe {
            std::arch::asm!(
                "mov {cpu:e}, dword ptr fs:[{offset} + {field}]",
                offset = in(reg) offset,
                field = const CPU_ID,
                cpu = lateout(reg) cpu,
                options(nostack, readonly, preserves_flags),
            );
        }
        cpu as usize
    }
}

/// Stand-in where rseq is not implemented: never available.
#[cfg(not(rseq))]
mod rseq {
    #[inline(always)]
    pub(super) fn offset() -> Option<isize> {
        None
    }

    pub(super) fn read_cpu_id(_: isize) -> usize {
        0
    }
}

/// `sched_getcpu()` and the affinity mask.
mod cpu {
    use std::cell::Cell;

    use crate::sync::thread_local_const;

    /// Calls between two `sched_getcpu()` refreshes of [`hint`].
    const REFRESH: u32 = 64;

    thread_local_const! {
        /// (cached CPU, calls left before the next refresh)
        static HINT: Cell<(u32, u32)> = Cell::new((0, 0));
    }

    #[inline(always)]
    pub(super) fn hint() -> Option<usize> {
        HINT.with(|hint| match hint.get() {
            (_, 0) => {
                let cpu = sched_getcpu()?;
                hint.set((cpu as u32, REFRESH - 1));
                Some(cpu)
            }
            (cpu, left) => {
                hint.set((cpu, left - 1));
                Some(cpu as usize)
            }
        })
    }

    #[cfg(target_os = "linux")]
    #[inline(always)]
    pub(super) fn sched_getcpu() -> Option<usize> {
        // SAFETY: `sched_getcpu` takes no arguments and has no preconditions.
        let cpu = unsafe { libc::sched_getcpu() };
        usize::try_from(cpu).ok()
    }

    #[cfg(not(target_os = "linux"))]
    pub(super) fn sched_getcpu() -> Option<usize> {
        None
    }

    /// The number of CPUs in this process's affinity mask.
    #[cfg(all(target_os = "linux", not(loom)))]
    pub(super) fn allowed_cpus() -> Option<usize> {
        // SAFETY: `cpu_set_t` is a plain bit array for which all zeroes is a valid value.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: `set` is a valid, writable `cpu_set_t` of the size passed; pid 0 is this thread.
        let rc = unsafe { libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) };
        if rc != 0 {
            return None;
        }
        // SAFETY: `CPU_COUNT` only reads the initialised set.
        let count = unsafe { libc::CPU_COUNT(&set) };
        usize::try_from(count).ok().filter(|&n| n > 0)
    }

    #[cfg(all(not(target_os = "linux"), not(loom)))]
    pub(super) fn allowed_cpus() -> Option<usize> {
        None
    }

    /// One more than the largest CPU number the kernel may ever report (the system's possible
    /// CPUs, `/sys/devices/system/cpu/possible`, such as `0-63`), if it can be read.
    #[cfg(all(target_os = "linux", not(loom)))]
    pub(super) fn possible_cpus() -> Option<usize> {
        let text = std::fs::read_to_string("/sys/devices/system/cpu/possible").ok()?;
        parse_cpu_list(text.trim())
    }

    /// One more than the largest CPU number of a kernel CPU list (`0-3,8,10-11`).
    #[cfg(all(target_os = "linux", not(loom)))]
    pub(super) fn parse_cpu_list(list: &str) -> Option<usize> {
        let mut max = None;
        for range in list.split(',') {
            let last = range.rsplit('-').next()?;
            let last: usize = last.trim().parse().ok()?;
            max = max.max(Some(last));
        }
        max.map(|m| m + 1)
    }
}

/// Per-thread slots: the portable strategy.
pub(crate) mod slot {
    use std::cell::{Cell, RefCell};

    use crate::sync::{AtomicUsize, Ordering, thread_local_const};

    const UNASSIGNED: usize = usize::MAX;

    thread_local_const! {
        /// This thread's slot (no destructor, so the hot read is a plain TLS load).
        static SLOT: Cell<usize> = Cell::new(UNASSIGNED);
        /// Gives the slot back when the thread exits.
        static RELEASE: Release = Release(RefCell::new(None));
    }

    /// Live threads per slot.
    #[cfg(not(loom))]
    type Live = &'static [AtomicUsize; super::MAX_SHARDS];

    #[cfg(not(loom))]
    fn live() -> Live {
        static LIVE: [AtomicUsize; super::MAX_SHARDS] =
            [const { AtomicUsize::new(0) }; super::MAX_SHARDS];
        &LIVE
    }

    /// Under loom, statics are torn down before the main thread's thread-locals, so the release
    /// hook holds its own reference to the counts.
    #[cfg(loom)]
    type Live = crate::sync::Arc<Vec<AtomicUsize>>;

    #[cfg(loom)]
    fn live() -> Live {
        loom::lazy_static! {
            static ref LIVE: Live = crate::sync::Arc::new(
                (0..super::MAX_SHARDS).map(|_| AtomicUsize::new(0)).collect()
            );
        }
        Live::clone(&LIVE)
    }

    struct Release(RefCell<Option<(Live, usize)>>);

    impl Drop for Release {
        fn drop(&mut self) {
            if let Some((live, slot)) = self.0.get_mut().take() {
                // Relaxed: the counts only balance future assignments; no data hangs on them.
                live[slot].fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    /// How many live threads hold `slot` (for the loom models).
    #[cfg(all(test, loom))]
    pub(crate) fn live_threads(slot: usize) -> usize {
        live()[slot].load(Ordering::Relaxed)
    }

    #[inline(always)]
    pub(crate) fn current() -> usize {
        match SLOT.with(Cell::get) {
            UNASSIGNED => assign(),
            slot => slot,
        }
    }

    #[cold]
    #[inline(never)]
    fn assign() -> usize {
        let live = live();
        let slots = super::shard_count();
        // Relaxed: a stale count only makes the balance slightly worse; two threads racing for
        // the same least-loaded slot both take it, which is allowed (slots are not exclusive).
        let slot = (0..slots)
            .min_by_key(|&i| live[i].load(Ordering::Relaxed))
            .unwrap_or(0);
        live[slot].fetch_add(1, Ordering::Relaxed);
        // Count the thread only if its exit can be observed: during thread-local destruction
        // the release hook may already be gone, and then the count is taken back at once.
        let hook = RELEASE.try_with(|r| r.0.replace(Some((Live::clone(&live), slot))));
        if hook.is_err() {
            live[slot].fetch_sub(1, Ordering::Relaxed);
        }
        SLOT.with(|s| s.set(slot));
        slot
    }
}
