//! Deferred reclamation for readers that take no lock and move no reference count: what lets a
//! dynamic family's lookup cost no atomic read-modify-write (docs/design.md §2, "Dynamic
//! families").
//!
//! A reader *pins* its thread ([`Pin::new`]): it stores the current epoch, odd, in its thread's
//! slot, and unpins by storing 0. A writer that unlinks something readers may still hold (a
//! removed child's cells, a replaced lookup table) *retires* it ([`retire`]) with the epoch it
//! moved to; [`collect`] runs a retired item's drop once every pinned slot shows a later epoch.
//!
//! A reader's announcement is a plain store, and it must be visible before the reader's next
//! loads (a store followed by loads: the one order x86 does not keep). Rather than a fence in
//! every reader (a locked instruction, 9 ns here, as much as the whole lookup), the collector
//! makes every running thread of the process execute one, with `membarrier(2)`
//! (`MEMBARRIER_CMD_PRIVATE_EXPEDITED`): a reader whose announcement came before that barrier in
//! its program order is visible to the collector, and one whose announcement came after it loads
//! what the writer unlinked no more. Where `membarrier` is missing (another OS, an old kernel, a
//! seccomp filter) both sides use `fence(SeqCst)`: the same protocol, with its symmetric fences.

use crate::sync::Ordering;
use crate::sync::unmodelled::{AtomicU8, AtomicU64, Mutex, OnceLock, compiler_fence, fence};
use std::cell::Cell;
use std::marker::PhantomData;

/// Retired items waiting for readers; past this many, a [`retire`] collects at once (a
/// collection costs one `membarrier`, a few microseconds), so removals come in batches. Every
/// registry collection collects too.
const COLLECT_AFTER: usize = 64;

/// The epoch: even, moved forward by 2 at every retirement.
static EPOCH: AtomicU64 = AtomicU64::new(2);

/// Every thread's slot (slots of exited threads are reused).
static SLOTS: Mutex<Vec<&'static Slot>> = Mutex::new(Vec::new());

/// Retired items, each with the epoch of its retirement.
static RETIRED: Mutex<Vec<(u64, Retired)>> = Mutex::new(Vec::new());

/// How many items [`RETIRED`] holds, read without its lock.
static PENDING: AtomicU64 = AtomicU64::new(0);

type Retired = Box<dyn FnOnce() + Send>;

/// A thread's announcement, on cache lines of its own: two threads' slots on one line cost each
/// pin a contended line (2 threads on one family: 41 ns a lookup against 17; measured).
#[repr(align(128))]
struct Slot {
    /// 0 outside a read section, else `epoch | 1` of the epoch the section began in.
    state: AtomicU64,
    /// Whether a live thread owns the slot.
    owned: AtomicU8,
}

/// This thread's slot and how many pins it holds (pins nest). No destructor, so that a pin
/// reaches it without the check a destructor's registration adds (1 ns of the 2.5 a pin cost;
/// measured); [`SlotOwner`] gives the slot back when the thread ends.
struct Local {
    slot: Cell<Option<&'static Slot>>,
    depth: Cell<u32>,
}

/// Gives the thread's slot back when the thread ends.
struct SlotOwner;

impl Drop for SlotOwner {
    fn drop(&mut self) {
        LOCAL.with(|local| {
            // A pin still held here (a child kept in another thread-local) keeps the slot:
            // it unpins later, and the slot is never reused. Memory kept, never memory freed
            // under a reader.
            if local.depth.get() == 0
                && let Some(slot) = local.slot.take()
            {
                slot.owned.store(0, Ordering::Release);
            }
        });
    }
}

crate::sync::unmodelled::thread_local! {
    static LOCAL: Local = const {
        Local {
            slot: Cell::new(None),
            depth: Cell::new(0),
        }
    };
    static OWNER: SlotOwner = const { SlotOwner };
}

/// A read section of the calling thread: while it lives, nothing retired after it began is
/// dropped. Not `Send`: the announcement is the thread's.
#[must_use]
pub(crate) struct Pin {
    _thread: PhantomData<*const ()>,
}

// SAFETY: a `Pin` has no method that takes `&self`; sharing a reference to it between threads
// (to share a `Child` that holds it) does nothing with it. It stays `!Send`: it is dropped, and
// so unpins, on the thread that pinned.
unsafe impl Sync for Pin {}

impl Pin {
    /// Pins the calling thread, or `None` where it cannot (a thread that is ending, or under
    /// loom, whose models keep to the locked paths): the caller then takes a lock.
    #[inline]
    pub(crate) fn new() -> Option<Pin> {
        if cfg!(loom) {
            return None;
        }
        LOCAL.with(|local| {
            let depth = local.depth.get();
            if depth == 0 {
                let slot = match local.slot.get() {
                    Some(slot) => slot,
                    None => local_slot(local)?,
                };
                // Acquire: a section that sees a retirement's epoch sees what it unlinked.
                let epoch = EPOCH.load(Ordering::Acquire);
                slot.state.store(epoch | 1, Ordering::Relaxed);
                light_fence();
            }
            local.depth.set(depth + 1);
            Some(Pin {
                _thread: PhantomData,
            })
        })
    }
}

impl Drop for Pin {
    #[inline]
    fn drop(&mut self) {
        LOCAL.with(|local| {
            let depth = local.depth.get() - 1;
            local.depth.set(depth);
            if depth == 0
                && let Some(slot) = local.slot.get()
            {
                // Release: the section's loads come before a collector sees it ended.
                slot.state.store(0, Ordering::Release);
            }
        });
    }
}

/// Gives this thread a slot: a free one, or a new one (leaked: slots live as long as the
/// process, one per thread alive at a time); `None` once the thread is ending.
#[cold]
fn local_slot(local: &Local) -> Option<&'static Slot> {
    // Registers the slot's return at the thread's end; fails once the thread is ending.
    OWNER.try_with(|_| ()).ok()?;
    fences();
    let mut slots = locked(&SLOTS);
    let slot = match slots.iter().find(|s| {
        s.owned
            .compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }) {
        Some(slot) => *slot,
        None => {
            let slot: &'static Slot = Box::leak(Box::new(Slot {
                state: AtomicU64::new(0),
                owned: AtomicU8::new(1),
            }));
            slots.push(slot);
            slot
        }
    };
    local.slot.set(Some(slot));
    Some(slot)
}

/// Hands `drop` over to run once no reader that might see what it frees is left. The caller
/// has already unlinked it (readers that begin from now on cannot reach it).
pub(crate) fn retire(drop: impl FnOnce() + Send + 'static) {
    if cfg!(loom) {
        // Loom's readers never pin (they lock), and what is dropped belongs to this model run.
        return drop();
    }
    // AcqRel: the unlink comes before the new epoch, which readers acquire.
    let epoch = EPOCH.fetch_add(2, Ordering::AcqRel) + 2;
    let pending = {
        let mut retired = locked(&RETIRED);
        retired.push((epoch, Box::new(drop)));
        PENDING.store(retired.len() as u64, Ordering::Relaxed);
        retired.len()
    };
    if pending >= COLLECT_AFTER {
        collect();
    }
}

/// Runs every retired drop that no reader can still reach; cheap when nothing is retired.
pub(crate) fn collect() {
    if PENDING.load(Ordering::Relaxed) == 0 {
        return;
    }
    let ready: Vec<Retired> = {
        let mut retired = locked(&RETIRED);
        if !heavy_fence() {
            return;
        }
        // The oldest epoch a reader is in; a reader in a later epoch began after every
        // retirement up to it and cannot reach what they unlinked.
        let oldest = locked(&SLOTS)
            .iter()
            .map(|slot| slot.state.load(Ordering::Acquire))
            .filter(|&state| state != 0)
            .min()
            .unwrap_or(u64::MAX);
        let (ready, waiting) = std::mem::take(&mut *retired)
            .into_iter()
            .partition(|&(epoch, _)| epoch | 1 <= oldest);
        *retired = waiting;
        PENDING.store(retired.len() as u64, Ordering::Relaxed);
        ready.into_iter().map(|(_, drop)| drop).collect()
    };
    for drop in ready {
        drop();
    }
}

/// Locks one of this module's mutexes, ignoring poisoning (nothing in their sections panics).
fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// How the two sides are ordered, decided once for the process.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fences {
    /// Readers: a compiler fence; collectors: `membarrier`.
    Asymmetric,
    /// Both: `fence(SeqCst)`.
    Symmetric,
}

/// The process's choice (a thread decides before its first pin, a collector before it relies
/// on it), kept in [`MODE`] for the readers' fast check.
fn fences() -> Fences {
    static DECIDED: OnceLock<Fences> = OnceLock::new();
    *DECIDED.get_or_init(|| {
        // `--cfg coremeter_symmetric_fences` takes the fallback anywhere, for its tests (CI).
        let fences = if !cfg!(coremeter_symmetric_fences) && membarrier::register() {
            Fences::Asymmetric
        } else {
            Fences::Symmetric
        };
        MODE.store(fences as u8, Ordering::Relaxed);
        fences
    })
}

/// [`fences`] for the readers' path (each thread called `fences` before its first pin).
static MODE: AtomicU8 = AtomicU8::new(Fences::Symmetric as u8);

#[inline]
fn light_fence() {
    if MODE.load(Ordering::Relaxed) == Fences::Asymmetric as u8 {
        compiler_fence(Ordering::SeqCst);
    } else {
        fence(Ordering::SeqCst);
    }
}

/// Orders every reader's announcement with this thread's loads; false if it could not.
fn heavy_fence() -> bool {
    fence(Ordering::SeqCst);
    let done = match fences() {
        Fences::Asymmetric => membarrier::barrier(),
        Fences::Symmetric => true,
    };
    fence(Ordering::SeqCst);
    done
}

/// The `membarrier(2)` system call (values from `linux/membarrier.h`, which the libc crate
/// does not carry).
mod membarrier {
    #[cfg(target_os = "linux")]
    const REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;
    #[cfg(target_os = "linux")]
    const PRIVATE_EXPEDITED: libc::c_long = 1 << 3;

    #[cfg(target_os = "linux")]
    fn call(command: libc::c_long) -> bool {
        // SAFETY: membarrier takes two integers and touches no memory of ours.
        unsafe { libc::syscall(libc::SYS_membarrier, command, 0 as libc::c_long) == 0 }
    }

    /// Registers the process for expedited private barriers; false where they are missing.
    pub(super) fn register() -> bool {
        #[cfg(target_os = "linux")]
        return call(REGISTER_PRIVATE_EXPEDITED);
        #[cfg(not(target_os = "linux"))]
        false
    }

    /// A memory barrier on every CPU running a thread of this process.
    pub(super) fn barrier() -> bool {
        #[cfg(target_os = "linux")]
        return call(PRIVATE_EXPEDITED);
        #[cfg(not(target_os = "linux"))]
        false
    }
}

#[cfg(all(test, not(loom)))]
pub(crate) mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    /// Collects until `done` holds: other tests' threads, running beside, may be pinned for a
    /// moment. Panics after 10 s.
    pub(crate) fn collect_until(done: impl Fn() -> bool) {
        let start = std::time::Instant::now();
        while !done() {
            assert!(
                start.elapsed().as_secs() < 10,
                "retired items never dropped"
            );
            collect();
            std::thread::yield_now();
        }
    }

    fn retire_flag() -> Arc<AtomicBool> {
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&dropped);
        retire(move || flag.store(true, Ordering::SeqCst));
        dropped
    }

    #[test]
    fn a_pinned_reader_holds_back_what_was_retired_after_it_began() {
        let pin = Pin::new().expect("thread-locals are alive");
        let dropped = retire_flag();
        collect();
        assert!(!dropped.load(Ordering::SeqCst), "dropped under a reader");
        // A nested pin does not end the section.
        drop(Pin::new());
        collect();
        assert!(!dropped.load(Ordering::SeqCst), "dropped under a reader");
        drop(pin);
        collect_until(|| dropped.load(Ordering::SeqCst));
    }

    #[test]
    fn a_reader_on_another_thread_holds_it_back_too() {
        let (pinned, release) = (
            Arc::new(std::sync::Barrier::new(2)),
            Arc::new(std::sync::Barrier::new(2)),
        );
        let reader = {
            let (pinned, release) = (Arc::clone(&pinned), Arc::clone(&release));
            std::thread::spawn(move || {
                let pin = Pin::new();
                pinned.wait();
                release.wait();
                drop(pin);
            })
        };
        pinned.wait();
        let dropped = retire_flag();
        collect();
        assert!(!dropped.load(Ordering::SeqCst), "dropped under a reader");
        release.wait();
        reader.join().expect("reader");
        collect_until(|| dropped.load(Ordering::SeqCst));
    }

    #[test]
    fn threads_that_end_give_their_slots_back() {
        // 200 threads in turn, each pinning once: the slots stay about as many as the threads
        // alive at once (the other tests' threads run beside these).
        for _ in 0..200 {
            std::thread::spawn(|| drop(Pin::new().expect("thread-locals are alive")))
                .join()
                .expect("pins");
        }
        let slots = locked(&SLOTS).len();
        assert!(slots < 50, "{slots} slots for 200 threads that ended");
        // A slot handed out again starts outside any section.
        assert!(
            locked(&SLOTS)
                .iter()
                .filter(|s| s.owned.load(Ordering::Acquire) == 0)
                .all(|s| s.state.load(Ordering::Acquire) == 0)
        );
    }

    #[test]
    fn the_fallback_is_taken_where_asked_for() {
        if cfg!(coremeter_symmetric_fences) {
            assert!(fences() == Fences::Symmetric);
        }
        // Either way readers and collectors agree.
        let decided = fences();
        assert_eq!(MODE.load(Ordering::Relaxed), decided as u8);
    }

    #[test]
    fn a_reader_that_began_after_the_retirement_does_not_hold_it_back() {
        let dropped = retire_flag();
        let pin = Pin::new();
        collect_until(|| dropped.load(Ordering::SeqCst));
        drop(pin);
    }
}
