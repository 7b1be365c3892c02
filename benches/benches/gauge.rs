//! Gauges: one shared cell each (a `set` cannot be sharded). Two threads updating two different
//! gauges made one after the other write two cells of one cache line; this measures what that
//! costs against cells a line apart, for the decision issue #17 asked for. Since then the
//! unsharded slab spreads consecutive cells a line apart (docs/design.md §2): two gauges, or two
//! children of one gauge family, no longer share a line.

use std::hint::black_box;
use std::sync::Barrier;
use std::sync::atomic::{AtomicI64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use coremeter_benches::method::{ByMethod, Method};
use criterion::{Criterion, criterion_group, criterion_main};

/// Two cells 128 bytes apart (what `crossbeam_utils::CachePadded` gives on x86_64).
#[repr(C, align(128))]
struct Apart(AtomicI64);

/// Two cells 64 bytes apart: neighbouring cache lines.
#[repr(C, align(64))]
struct NextLine(AtomicI64);

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
    let family = coremeter::Family::<ByMethod, coremeter::Gauge>::new();
    let (get, post) = (
        ByMethod {
            method: Method::Get,
        },
        ByMethod {
            method: Method::Post,
        },
    );
    g.bench_function("2 threads, 2 children of one coremeter gauge family", |b| {
        b.iter_custom(|n| {
            two_threads(
                n,
                || black_box(&family).get(&get).inc(),
                || black_box(&family).get(&post).inc(),
            )
        })
    });
    let near = [AtomicI64::new(0), AtomicI64::new(0)];
    let next = [NextLine(AtomicI64::new(0)), NextLine(AtomicI64::new(0))];
    let apart = [Apart(AtomicI64::new(0)), Apart(AtomicI64::new(0))];
    let pairs: [(&str, &AtomicI64, &AtomicI64); 3] = [
        ("in one cache line", &near[0], &near[1]),
        ("64 bytes apart", &next[0].0, &next[1].0),
        ("128 bytes apart", &apart[0].0, &apart[1].0),
    ];
    for (apart, x, y) in pairs {
        let inc = |cell: &AtomicI64| {
            black_box(cell).fetch_add(1, Ordering::Relaxed);
        };
        g.bench_function(format!("2 threads, 2 bare atomics {apart}"), |b| {
            b.iter_custom(|n| two_threads(n, || inc(x), || inc(y)))
        });
    }
    g.finish();
}

criterion_group!(benches, gauges);
criterion_main!(benches);
