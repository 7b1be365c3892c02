//! Gauges: one shared cell each (a `set` cannot be sharded). Two threads updating two different
//! gauges made one after the other write two cells of one cache line; this measures what that
//! costs against cells a line apart, for the decision issue #17 asks for (a cache line per gauge
//! cell, or sharded inc/dec-only gauges).

use std::hint::black_box;
use std::sync::Barrier;
use std::sync::atomic::{AtomicI64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

/// Two cells 128 bytes apart (what `crossbeam_utils::CachePadded` gives on x86_64).
#[repr(C, align(128))]
struct Apart(AtomicI64);

/// Per-thread time of `iters` calls of `a` on one thread and `b` on another, started together.
fn two_threads(iters: u64, a: impl Fn() + Sync, b: impl Fn() + Sync) -> Duration {
    let barrier = Barrier::new(3);
    let start = thread::scope(|s| {
        let (a, b, barrier) = (&a, &b, &barrier);
        s.spawn(move || {
            barrier.wait();
            (0..iters).for_each(|_| a());
        });
        s.spawn(move || {
            barrier.wait();
            (0..iters).for_each(|_| b());
        });
        barrier.wait();
        Instant::now()
    });
    start.elapsed()
}

fn gauges(c: &mut Criterion) {
    let mut g = c.benchmark_group("gauge_inc");
    let one = coremeter::Gauge::new();
    g.bench_function("1 thread, coremeter", |b| b.iter(|| black_box(&one).inc()));
    let (x, y) = (coremeter::Gauge::new(), coremeter::Gauge::new());
    g.bench_function(
        "2 threads, 2 coremeter gauges made one after the other",
        |b| b.iter_custom(|n| two_threads(n, || black_box(&x).inc(), || black_box(&y).inc())),
    );
    let near = [AtomicI64::new(0), AtomicI64::new(0)];
    g.bench_function("2 threads, 2 bare atomics in one cache line", |b| {
        b.iter_custom(|n| {
            two_threads(
                n,
                || {
                    black_box(&near[0]).fetch_add(1, Ordering::Relaxed);
                },
                || {
                    black_box(&near[1]).fetch_add(1, Ordering::Relaxed);
                },
            )
        })
    });
    let apart = [Apart(AtomicI64::new(0)), Apart(AtomicI64::new(0))];
    g.bench_function("2 threads, 2 bare atomics 128 bytes apart", |b| {
        b.iter_custom(|n| {
            two_threads(
                n,
                || {
                    black_box(&apart[0].0).fetch_add(1, Ordering::Relaxed);
                },
                || {
                    black_box(&apart[1].0).fetch_add(1, Ordering::Relaxed);
                },
            )
        })
    });
    g.finish();
}

criterion_group!(benches, gauges);
criterion_main!(benches);
