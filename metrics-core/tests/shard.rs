//! The shard index follows the CPU: pinned to each allowed CPU in turn, the rseq `cpu_id` and
//! the refreshed hint agree with `sched_getcpu()`. Under `GLIBC_TUNABLES=glibc.pthread.rseq=0`
//! (which `.ci/run` also runs) rseq is unavailable and the thread slots take over.

use coremeter::shard::{self, Strategy};

fn rseq_disabled_by_tunable() -> bool {
    std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("glibc.pthread.rseq=0"))
}

#[test]
fn active_strategy_matches_the_platform() {
    let active = shard::active_strategy();
    assert_eq!(
        active == Strategy::Rseq,
        shard::index(Strategy::Rseq).is_some()
    );
    if rseq_disabled_by_tunable() {
        assert_eq!(active, Strategy::ThreadSlot);
    } else if cfg!(all(
        target_os = "linux",
        target_env = "gnu",
        target_arch = "x86_64"
    )) {
        // glibc >= 2.35 on a kernel >= 4.18, as on the CI machines.
        assert_eq!(active, Strategy::Rseq);
    }
    // Metrics work with either.
    let c = coremeter::Counter::new();
    c.inc();
    assert_eq!(c.get(), 1);
}

#[cfg(target_os = "linux")]
fn pin_to(cpu: usize) -> bool {
    // SAFETY: an all-zero `cpu_set_t` is a valid empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `cpu` is below `CPU_SETSIZE` (checked by the caller's range) and `set` is valid.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: pid 0 is the calling thread; `set` is a valid set of the size passed.
    unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set) == 0 }
}

#[cfg(target_os = "linux")]
#[test]
fn cpu_strategies_follow_the_cpu() {
    let mut checked = 0;
    std::thread::spawn(move || {
        for cpu in 0..64 {
            if !pin_to(cpu) {
                continue;
            }
            // The kernel moves the thread before sched_setaffinity returns.
            assert_eq!(shard::index(Strategy::SchedGetcpu), Some(cpu));
            if let Some(rseq) = shard::index(Strategy::Rseq) {
                assert_eq!(rseq, cpu, "rseq cpu_id disagrees with sched_getcpu");
            }
            // The hint is refreshed at least every 64 calls.
            let hints: Vec<_> = (0..65).map(|_| shard::index(Strategy::CpuHint)).collect();
            assert_eq!(*hints.last().unwrap(), Some(cpu));
            checked += 1;
        }
        assert!(checked >= 1, "could not pin to any CPU");
    })
    .join()
    .unwrap();
}
