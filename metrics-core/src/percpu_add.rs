//! An add to the calling CPU's copy of a sharded cell without an atomic instruction: a Linux
//! restartable sequence (rseq) on x86_64 (docs/design.md §2).
//!
//! The kernel's `this_cpu_add` is a plain add to the current CPU's memory, safe because the
//! thread cannot move in the middle. A restartable sequence gives user space the same: a short
//! critical section that the kernel aborts, and resumes at an abort handler, if the thread is
//! preempted, migrated or signalled before the section's last instruction, a single store that
//! commits it. The section reads the CPU number from the thread's rseq area (which glibc 2.35 or
//! later registers for every thread), loads that CPU's copy of the cell, adds, and stores. A
//! restart reads the cell again, so every add is counted exactly once.
//!
//! The plain store is correct only if no other thread can write the same copy meanwhile: every
//! CPU the process may ever run on must have a copy of its own, and every writer of the cell
//! must use this section. [`shard::restartable`](crate::shard) chooses this path once per
//! process only where that holds (the shard count covers every possible CPU number); everywhere
//! else adds stay atomic. A reader loads the copies with atomic loads: an aligned 8-byte store is
//! one access on x86_64, so it sees the value before or after an add, never a mix.
//!
//! The layout follows the kernel selftests' `rseq-x86.h` and librseq's `rseq_addv`:
//! - `3:` the `struct rseq_cs` descriptor, in section `__rseq_cs` (32-byte aligned): version 0,
//!   flags 0, `start_ip` = `4:`, `post_commit_offset` = `5: - 4:`, `abort_ip` = `6:`;
//! - `2:` the descriptor's address stored into the area's `rseq_cs` field (byte 8);
//! - `4:`..`5:` the section: `cpu_id` (byte 4), the copy's address, load, add, commit;
//! - `6:` the abort handler, in section `__rseq_failure`, right after the 4-byte signature the
//!   kernel checks before it jumps there ([`SIGNATURE`], glibc's `RSEQ_SIG` for x86, after the
//!   bytes `0f b9 3d` so that the whole disassembles as one `ud1`); it goes back to `2:` (the
//!   kernel cleared `rseq_cs` when it aborted).

use crate::sync::AtomicU64;

/// The signature glibc registers with the kernel for x86 (`RSEQ_SIG`): the 4 bytes before an
/// abort handler must equal it, or the kernel kills the thread with `SIGSEGV` when it aborts.
pub(crate) const SIGNATURE: u32 = 0x5305_3053;

/// Bytes between two shard copies of a cell: the slab's page size.
pub(crate) const STRIDE: usize = 4096;

/// The critical section around `$update` (load the copy at `[{cell} + {cpu}]`, add, and commit
/// with one store as its last instruction), with `$signature` before the abort handler (a test
/// passes a wrong one to show the kernel refuses it); `$operands` name `v` and the registers the
/// update uses.
macro_rules! restartable {
    ($signature:expr, [$($update:literal),+], $offset:expr, $cell:expr, $mask:expr, $($operands:tt)+) => {
        std::arch::asm!(
            ".pushsection __rseq_cs, \"aw\"",
            ".balign 32",
            "3:",
            ".long 0, 0",
            ".quad 4f, 5f - 4f, 6f",
            ".popsection",
            "2:",
            "lea {cpu}, [rip + 3b]",
            "mov qword ptr fs:[{rseq} + 8], {cpu}",
            "4:",
            "mov {cpu:e}, dword ptr fs:[{rseq} + 4]",
            "and {cpu}, {mask}",
            "shl {cpu}, 12",
            $($update),+,
            "5:",
            ".pushsection __rseq_failure, \"ax\"",
            ".byte 0x0f, 0xb9, 0x3d",
            ".long {signature}",
            "6:",
            "jmp 2b",
            ".popsection",
            rseq = in(reg) $offset,
            cell = in(reg) $cell,
            mask = in(reg) $mask,
            cpu = out(reg) _,
            signature = const $signature,
            $($operands)+
        )
    };
}

/// The integer add: load, add, commit.
macro_rules! restartable_add {
    ($signature:expr, $offset:expr, $cell:expr, $mask:expr, $v:expr) => {
        restartable!(
            $signature,
            [
                "mov {tmp}, qword ptr [{cell} + {cpu}]",
                "add {tmp}, {v}",
                "mov qword ptr [{cell} + {cpu}], {tmp}"
            ],
            $offset,
            $cell,
            $mask,
            v = in(reg) $v,
            tmp = out(reg) _,
            options(nostack),
        )
    };
}

/// Adds `v` (wrapping) to the calling CPU's copy of the cell whose copy for shard 0 is `cell0`,
/// copies [`STRIDE`] bytes apart, shard `cpu & mask`.
///
/// The caller guarantees (what `shard::restartable` checks once per process) that `offset` is
/// glibc's `__rseq_offset` with a registered area, that `mask + 1` copies follow `cell0`, and
/// that every CPU number the kernel can report is at most `mask`, so that no two CPUs share a
/// copy; and that every writer of this cell goes through this function.
#[inline(always)]
pub(crate) fn add(offset: isize, cell0: &AtomicU64, mask: usize, v: u64) {
    const { assert!(STRIDE == 1 << 12) };
    let cell = std::ptr::from_ref(cell0);
    // SAFETY:
    // - `offset` is glibc's `__rseq_offset` of a registered area (caller): `fs:[offset]` is this
    //   thread's `struct rseq`, valid for the thread's life; `cpu_id` is its aligned `u32` at
    //   byte 4, `rseq_cs` its aligned `u64` at byte 8, which only this thread and the kernel
    //   (while the thread is stopped) write;
    // - the descriptor is 32-byte aligned in `__rseq_cs` with version 0, flags 0, the section's
    //   bounds and an abort handler preceded by glibc's registered signature, as the kernel
    //   requires (a test runs a wrong one in a child process and sees it killed);
    // - `cell + (cpu & mask) * 4096` is shard `cpu & mask`'s copy: the slab lays a block's
    //   shard pages out contiguously, 4096 bytes each, `mask + 1` of them (caller); no other
    //   thread writes that copy while this one runs on that CPU (caller: every CPU has its own
    //   copy and every writer uses this section), and the kernel restarts the section from the
    //   load if the thread leaves the CPU before the store, so the store never overwrites an
    //   add made meanwhile; the aligned 8-byte store is a single access for concurrent atomic
    //   loads, and asm accesses are not Rust data races;
    // - the asm uses no stack; it clobbers only its declared registers and the flags.
    unsafe {
        restartable_add!(SIGNATURE, offset, cell, mask, v);
    }
}

/// Adds `v` to the `f64` kept as bits in the calling CPU's copy of the cell (see [`add`], with
/// the same guarantees from the caller): a plain load, `addsd` and store, where the atomic path
/// needs a compare-exchange loop.
#[inline(always)]
pub(crate) fn add_f64(offset: isize, cell0: &AtomicU64, mask: usize, v: f64) {
    let cell = std::ptr::from_ref(cell0);
    // SAFETY: as in `add`: the same section, descriptor and signature around a load of the
    // copy into an xmm register, an `addsd` and one store that commits; the copy holds an f64's
    // bits (the caller's cell is a float cell), and no other thread writes it meanwhile.
    unsafe {
        restartable!(
            SIGNATURE,
            [
                "movq {x}, qword ptr [{cell} + {cpu}]",
                "addsd {x}, {v}",
                "movq qword ptr [{cell} + {cpu}], {x}"
            ],
            offset,
            cell,
            mask,
            v = in(xmm_reg) v,
            x = out(xmm_reg) _,
            options(nostack),
        );
    }
}

/// Raises the calling CPU's copy of the cell to `k` if it is below (an unsigned maximum; see
/// [`add`], with the same guarantees from the caller, except that a reset may also write the
/// copy: see below): a plain load, compare and, only if `k` is above, one store that commits.
#[inline(always)]
pub(crate) fn max(offset: isize, cell0: &AtomicU64, mask: usize, k: u64) {
    let cell = std::ptr::from_ref(cell0);
    // SAFETY: as in `add`: the same section, descriptor and signature around a load of the copy,
    // a compare, and either a jump to the section's end (`5:`, its post-commit address: nothing
    // was written) or one store that commits. The one other writer of the copy is a reset's
    // compare-exchange to 0 (`CellRun::clear_extreme`): if it lands between the load and the
    // store, the store writes `k`, which is `max(0, k)`, what an atomic maximum would have left.
    unsafe {
        restartable!(
            SIGNATURE,
            [
                "mov {tmp}, qword ptr [{cell} + {cpu}]",
                "cmp {tmp}, {v}",
                "jae 5f",
                "mov qword ptr [{cell} + {cpu}], {v}"
            ],
            offset,
            cell,
            mask,
            v = in(reg) k,
            tmp = out(reg) _,
            options(nostack),
        );
    }
}

/// [`add`] with an abort handler preceded by a signature that is not glibc's: the kernel kills
/// the thread with `SIGSEGV` at its first abort. Only for the test that shows it.
#[cfg(test)]
#[inline(never)]
pub(crate) fn add_with_wrong_signature(offset: isize, cell0: &AtomicU64, mask: usize, v: u64) {
    let cell = std::ptr::from_ref(cell0);
    // SAFETY: as in `add`, except the signature, which makes the kernel kill the process at the
    // first abort instead of resuming it in a handler it does not trust: no memory is touched
    // wrongly, the test's child process dies.
    unsafe {
        restartable_add!(0x1234_5678_u32, offset, cell, mask, v);
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::ExitStatusExt;
    use std::process::Command;
    use std::time::{Duration, Instant};

    use super::*;

    /// Set in the child process: which signature its critical section carries.
    const CHILD: &str = "COREMETER_RSEQ_SIGNATURE_CHILD";

    /// Shard copies of one cell, [`STRIDE`] bytes apart, as the slab lays them out.
    #[repr(C, align(4096))]
    struct Copy([AtomicU64; STRIDE / 8]);

    extern "C" fn ignore(_: libc::c_int) {}

    /// A `SIGALRM` every millisecond: each one that finds the thread with a critical section
    /// registered makes the kernel check its descriptor and signature.
    fn alarm_every_millisecond() {
        // SAFETY: a zeroed `sigaction` is valid; the handler does nothing; SA_RESTART resumes
        // interrupted system calls.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = ignore as extern "C" fn(libc::c_int) as usize;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            assert_eq!(
                libc::sigaction(libc::SIGALRM, &action, std::ptr::null_mut()),
                0
            );
        }
        let ms = libc::timeval {
            tv_sec: 0,
            tv_usec: 1_000,
        };
        let timer = libc::itimerval {
            it_interval: ms,
            it_value: ms,
        };
        // SAFETY: a valid `itimerval`; the old value is not wanted.
        let rc = unsafe { libc::setitimer(libc::ITIMER_REAL, &timer, std::ptr::null_mut()) };
        assert_eq!(rc, 0, "setitimer");
    }

    /// The child's side: adds for half a second under signals, with glibc's signature or a
    /// wrong one, then reports that it survived.
    #[test]
    fn signature_child() {
        let Ok(which) = std::env::var(CHILD) else {
            return;
        };
        let offset = crate::shard::restartable().expect("the restartable path");
        let shards = crate::shard::shard_count();
        let copies: Vec<Copy> = (0..shards)
            .map(|_| Copy(std::array::from_fn(|_| AtomicU64::new(0))))
            .collect();
        let cell0 = &copies[0].0[0];
        alarm_every_millisecond();
        let start = Instant::now();
        let mut adds = 0u64;
        while start.elapsed() < Duration::from_millis(500) {
            for _ in 0..1_000 {
                match which.as_str() {
                    "glibc" => add(offset, cell0, shards - 1, 1),
                    _ => add_with_wrong_signature(offset, cell0, shards - 1, 1),
                }
            }
            adds += 1_000;
        }
        let sum: u64 = copies
            .iter()
            .map(|c| c.0[0].load(crate::sync::Ordering::Relaxed))
            .sum();
        assert_eq!(sum, adds);
        println!("survived {adds} adds");
    }

    /// Runs [`signature_child`] in a child process with `which` signature.
    fn run_child(which: &str) -> std::process::Output {
        Command::new(std::env::current_exe().unwrap())
            .args([
                "percpu_add::tests::signature_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, which)
            .output()
            .unwrap()
    }

    #[test]
    fn the_kernel_accepts_glibcs_signature_and_kills_on_another() {
        if std::env::var(CHILD).is_ok() || crate::shard::restartable().is_none() {
            return;
        }
        let glibc = run_child("glibc");
        let stdout = String::from_utf8_lossy(&glibc.stdout);
        assert!(glibc.status.success(), "{}: {stdout}", glibc.status);
        assert!(stdout.contains("survived"), "{stdout}");
        let wrong = run_child("wrong");
        assert_eq!(
            wrong.status.signal(),
            Some(libc::SIGSEGV),
            "{}: {}",
            wrong.status,
            String::from_utf8_lossy(&wrong.stdout)
        );
    }
}
