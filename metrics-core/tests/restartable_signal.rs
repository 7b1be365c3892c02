//! A signal handler that updates the counters (integer and float) and the histogram the
//! interrupted thread is updating: the
//! signal aborts the thread's critical section (on the restartable path), the handler's
//! increment lands, and the thread's add restarts from a fresh load, so neither is lost. A test
//! binary of its own: the timer signal it arms would interrupt other tests' system calls.

#![cfg(all(target_os = "linux", target_env = "gnu", target_arch = "x86_64"))]

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use coremeter::shard::{self, WritePath};
use coremeter::{Counter, FloatCounter, Histogram};

static COUNTER: OnceLock<(Counter, FloatCounter, Histogram)> = OnceLock::new();
static HANDLED: AtomicU64 = AtomicU64::new(0);

extern "C" fn on_alarm(_: libc::c_int) {
    // Async-signal-safe: an increment takes no lock and allocates nothing.
    if let Some((c, f, h)) = COUNTER.get() {
        c.inc();
        f.inc_by(1.0);
        h.observe(1.0);
        HANDLED.fetch_add(1, Ordering::Relaxed);
    }
}

/// Arms (or with 0, disarms) a `SIGALRM` every `micros` microseconds.
fn alarm_every(micros: i64) {
    let interval = libc::timeval {
        tv_sec: 0,
        tv_usec: micros,
    };
    let timer = libc::itimerval {
        it_interval: interval,
        it_value: interval,
    };
    // SAFETY: a valid `itimerval`; the old value is not wanted.
    let rc = unsafe { libc::setitimer(libc::ITIMER_REAL, &timer, std::ptr::null_mut()) };
    assert_eq!(rc, 0, "setitimer");
}

#[test]
fn a_signal_handler_incrementing_the_same_counter_loses_nothing() {
    println!("write path: {:?}", shard::write_path());
    let (counter, float, histogram) =
        COUNTER.get_or_init(|| (Counter::new(), FloatCounter::new(), Histogram::new()));
    // SAFETY: a zeroed `sigaction` is valid; the handler is an `extern "C" fn(c_int)` that only
    // increments atomics; SA_RESTART resumes interrupted system calls.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_alarm as extern "C" fn(libc::c_int) as usize;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        assert_eq!(
            libc::sigaction(libc::SIGALRM, &action, std::ptr::null_mut()),
            0
        );
    }
    const N: u64 = 4_000_000;
    alarm_every(20);
    for _ in 0..N {
        counter.inc();
        float.inc_by(1.0);
        histogram.observe(1.0);
    }
    alarm_every(0);
    // A signal sent before the timer stopped may still be handled, and on any thread of the
    // process (the test harness has others): let it land before reading.
    std::thread::sleep(std::time::Duration::from_millis(100));
    let handled = HANDLED.load(Ordering::Relaxed);
    assert!(handled > 100, "only {handled} signals arrived");
    assert_eq!(counter.get(), N + handled, "{handled} signals handled");
    assert_eq!(
        float.get(),
        (N + handled) as f64,
        "{handled} signals handled"
    );
    let h = histogram.get();
    let expected = (N + handled) as f64;
    assert_eq!(
        (h.value().count() as f64, h.value().sum()),
        (expected, expected)
    );
    if shard::write_path() == WritePath::Restartable {
        println!("{handled} signals, each an abort if it hit the critical section");
    }
}
