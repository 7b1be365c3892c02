//! Counter increments on the restartable write path (Linux, x86_64, glibc with rseq) and on the
//! atomic fallback: exact under more threads than CPUs that hop between CPUs, with a concurrent
//! scraper and concurrent reset scrapes. The fallback runs in child processes of this test: one
//! with rseq disabled by glibc's tunable, one whose CPUs fold onto fewer shards.

#![cfg(all(target_os = "linux", target_env = "gnu", target_arch = "x86_64"))]

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use coremeter::shard::{self, Strategy, WritePath};
use coremeter::{
    Counter, DynLabels, Family, FloatCounter, Histogram, Opts, Registry, SampleList, Statistics,
    Summary,
};

const THREADS: usize = 4;
const PER_THREAD: u64 = 400_000;
/// Increments between two forced moves to another CPU.
const HOP: u64 = 4_096;

/// The CPUs this process may run on.
fn allowed_cpus() -> Vec<usize> {
    // SAFETY: all zeroes is a valid `cpu_set_t`; the call writes at most its size.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: as above; pid 0 is the calling thread.
    let rc = unsafe { libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) };
    assert_eq!(rc, 0, "sched_getaffinity");
    // SAFETY: `CPU_ISSET` reads the initialised set.
    (0..libc::CPU_SETSIZE as usize)
        .filter(|&c| unsafe { libc::CPU_ISSET(c, &set) })
        .collect()
}

/// Moves the calling thread to `cpu`.
fn pin(cpu: usize) {
    // SAFETY: all zeroes is a valid `cpu_set_t`.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `cpu` is below `CPU_SETSIZE` (it came from `allowed_cpus`).
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: a valid set of its size; pid 0 is the calling thread.
    let rc = unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set) };
    assert_eq!(rc, 0, "sched_setaffinity({cpu})");
}

/// Writers hop between the allowed CPUs while a scraper reads and resets: between two resets
/// the values a scrape sees only grow, and what the resets took plus what is left is exact.
fn exact_under_migrations_and_resets() {
    let cpus = allowed_cpus();
    let registry = Registry::new();
    let counter = Counter::new();
    let float = FloatCounter::new();
    let (histogram, summary, statistics) = (Histogram::new(), Summary::new(), Statistics::new());
    let observers = (&histogram, &summary, &statistics);
    let family = Family::<DynLabels, Counter>::with_label_names(&["t"]).unwrap();
    registry
        .register(Opts::new("hops", "Hops."), counter.clone())
        .unwrap();
    registry
        .register(Opts::new("pairs", "Pairs."), family.clone())
        .unwrap();
    let done = AtomicBool::new(false);
    let total = |list: &SampleList, name: &str| -> f64 {
        let samples = list.samples().iter().filter(|s| s.name == name);
        samples.map(|s| s.value).sum()
    };
    let (taken, resets) = thread::scope(|s| {
        let writers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (counter, float, family, cpus) = (&counter, &float, &family, &cpus);
                let (histogram, summary, statistics) = observers;
                s.spawn(move || {
                    let child = family.labels(&[&t.to_string()]).unwrap();
                    for i in 0..PER_THREAD {
                        if i % HOP == 0 {
                            pin(cpus[(t + (i / HOP) as usize) % cpus.len()]);
                        }
                        counter.inc();
                        float.inc_by(0.5);
                        child.inc_by(2);
                        histogram.observe(0.25);
                        summary.observe(2.0);
                        // Every value once over all threads: the extremes are 0 and n - 1.
                        statistics.observe((t as u64 * PER_THREAD + i) as f64);
                    }
                })
            })
            .collect();
        let scraper = s.spawn(|| {
            let (mut taken, mut resets, mut seen) = ((0.0, 0.0), 0, (0.0, 0.0));
            let mut scrapes = 0u64;
            while !done.load(Ordering::Relaxed) {
                scrapes += 1;
                let mut list = SampleList::new();
                if scrapes.is_multiple_of(4) {
                    registry.collect_and_reset(&mut list).unwrap().commit();
                    taken.0 += total(&list, "hops_total");
                    taken.1 += total(&list, "pairs_total");
                    resets += 1;
                    seen = (0.0, 0.0);
                } else {
                    registry.collect(&mut list).unwrap();
                    let now = (total(&list, "hops_total"), total(&list, "pairs_total"));
                    assert!(now.0 >= seen.0 && now.1 >= seen.1, "{now:?} after {seen:?}");
                    seen = now;
                }
            }
            (taken, resets)
        });
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, Ordering::Relaxed);
        scraper.join().unwrap()
    });
    let left = (counter.get() as f64, {
        let mut list = SampleList::new();
        registry.collect(&mut list).unwrap();
        total(&list, "pairs_total")
    });
    let n = (THREADS as u64 * PER_THREAD) as f64;
    assert!(resets > 0, "the scraper reset at least once");
    // These are not registered, so no reset takes from them.
    assert_eq!(float.get(), n / 2.0);
    let h = histogram.get();
    assert_eq!((h.value().count() as f64, h.value().sum()), (n, n / 4.0));
    let v = summary.get();
    assert_eq!((v.count as f64, v.sum), (n, 2.0 * n));
    let v = statistics.get();
    let extremes = (Some(0.0), Some(n - 1.0));
    assert_eq!(
        (v.count as f64, v.sum, (v.min, v.max)),
        (n, n * (n - 1.0) / 2.0, extremes)
    );
    assert_eq!(
        taken.0 + left.0,
        n,
        "counter: taken {} + left {}",
        taken.0,
        left.0
    );
    assert_eq!(
        taken.1 + left.1,
        2.0 * n,
        "family: taken {} + left {}",
        taken.1,
        left.1
    );
}

/// Which role this process plays: the test itself, or one of its children.
fn role() -> Option<String> {
    std::env::var("COREMETER_RESTARTABLE_CHILD").ok()
}

/// Runs this test again in a child process with `env`, as `role`.
fn child(role: &str, env: &[(&str, &str)]) {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args([
            "child_process",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("COREMETER_RESTARTABLE_CHILD", role)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "child {role}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("child {role} ran")),
        "child {role} did not run: {stdout}"
    );
}

/// The child's side of [`child`]: checks the write path its environment implies, then the
/// exactness.
#[test]
fn child_process() {
    let Some(role) = role() else { return };
    match role.as_str() {
        "tunable" => {
            // glibc registered no rseq area: the shard index and the adds fall back.
            assert_eq!(shard::active_strategy(), Strategy::ThreadSlot);
            assert_eq!(shard::write_path(), WritePath::Atomic);
        }
        "fold" => {
            // One shard for every CPU: two CPUs share it, so adds must stay atomic.
            shard::set_shard_count(1).unwrap();
            assert_eq!(shard::write_path(), WritePath::Atomic);
        }
        other => panic!("unknown role {other}"),
    }
    exact_under_migrations_and_resets();
    println!("child {role} ran");
}

/// The possible CPUs of this machine (what the restartable path needs a shard for each of).
fn possible_cpus() -> usize {
    let text = std::fs::read_to_string("/sys/devices/system/cpu/possible").unwrap();
    let max = text
        .trim()
        .split(',')
        .map(|r| r.rsplit('-').next().unwrap().parse::<usize>().unwrap())
        .max()
        .unwrap();
    max + 1
}

#[test]
fn restartable_adds_are_exact() {
    if role().is_some() {
        return;
    }
    // Where rseq is registered and every possible CPU has a shard, the path is the
    // restartable one (on the project's machines it is).
    let expected =
        if shard::active_strategy() == Strategy::Rseq && possible_cpus() <= shard::shard_count() {
            WritePath::Restartable
        } else {
            WritePath::Atomic
        };
    assert_eq!(shard::write_path(), expected);
    exact_under_migrations_and_resets();
}

#[test]
fn the_atomic_fallback_is_exact_without_rseq() {
    if role().is_none() {
        child("tunable", &[("GLIBC_TUNABLES", "glibc.pthread.rseq=0")]);
    }
}

#[test]
fn the_atomic_fallback_is_exact_when_cpus_share_a_shard() {
    if role().is_none() && allowed_cpus().len() > 1 {
        child("fold", &[]);
    }
}
