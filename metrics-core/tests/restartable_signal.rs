//! A signal handler that updates the counters (integer and float), the histogram and the
//! statistics the interrupted thread is updating: the signal aborts the thread's critical section
//! (on the restartable path), the handler's update lands, and the thread's update restarts from a
//! fresh load, so neither is lost: no increment, and no maximum or minimum the handler set
//! overwritten by the thread's smaller one. A test binary of its own: the timer signal it arms
//! would interrupt other tests' system calls.

#![cfg(all(target_os = "linux", target_env = "gnu", target_arch = "x86_64"))]

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use coremeter::shard::{self, WritePath};
use coremeter::{Counter, FloatCounter, Histogram, Statistics};

/// What the loop and the handler update.
struct Metrics {
    counter: Counter,
    float: FloatCounter,
    histogram: Histogram,
    /// The loop observes `i`, the handler `i + 0.5`: each a new maximum.
    rising: Statistics,
    /// The loop observes `-i`, the handler `-(i + 0.5)`: each a new minimum.
    falling: Statistics,
}

static METRICS: OnceLock<Metrics> = OnceLock::new();
static HANDLED: AtomicU64 = AtomicU64::new(0);
/// The loop's `i`, for the handler.
static POSITION: AtomicU64 = AtomicU64::new(0);
/// The last value the handler observed in `rising` (`f64` bits), stored after it observed it.
static LAST_HANDLED: AtomicU64 = AtomicU64::new(0);

extern "C" fn on_alarm(_: libc::c_int) {
    // Async-signal-safe: an update takes no lock and allocates nothing.
    if let Some(m) = METRICS.get() {
        m.counter.inc();
        m.float.inc_by(1.0);
        m.histogram.observe(1.0);
        let v = POSITION.load(Ordering::Relaxed) as f64 + 0.5;
        m.rising.observe(v);
        m.falling.observe(-v);
        LAST_HANDLED.store(v.to_bits(), Ordering::Release);
        HANDLED.fetch_add(1, Ordering::Release);
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
    let m = METRICS.get_or_init(|| Metrics {
        counter: Counter::new(),
        float: FloatCounter::new(),
        histogram: Histogram::new(),
        rising: Statistics::new(),
        falling: Statistics::new(),
    });
    let (counter, float, histogram) = (&m.counter, &m.float, &m.histogram);
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
    // The statistics in a loop of their own, so that a signal often finds the thread between
    // the load and the store of a new extreme.
    let mut checked = 0;
    for i in 0..N {
        let before = HANDLED.load(Ordering::Acquire);
        POSITION.store(i, Ordering::Relaxed);
        m.rising.observe(i as f64);
        m.falling.observe(-(i as f64));
        if HANDLED.load(Ordering::Acquire) != before {
            // A handler ran meanwhile (maybe in the middle of those observations): its value,
            // above the loop's, is still the maximum and its negation the minimum.
            let v = f64::from_bits(LAST_HANDLED.load(Ordering::Acquire));
            let (rising, falling) = (m.rising.get(), m.falling.get());
            assert!(rising.max >= Some(v), "max {:?} below {v}", rising.max);
            assert!(
                falling.min <= Some(-v),
                "min {:?} above {}",
                falling.min,
                -v
            );
            checked += 1;
        }
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
    assert!(checked > 0, "no handler ran during the observations");
    let counts = (m.rising.get().count, m.falling.get().count);
    assert_eq!(counts, (N + handled, N + handled));
    if shard::write_path() == WritePath::Restartable {
        println!(
            "{handled} signals ({checked} during the statistics), each an abort if it hit a critical section"
        );
    }
}
