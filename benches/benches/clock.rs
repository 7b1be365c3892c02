//! The clock behind timers and `#[timed]`: the cost of timing one scope (read the clock, read it
//! again, convert the difference to seconds) with `std::time::Instant` and with `quanta` (TSC
//! when the CPU's is invariant, the OS clock otherwise), and the whole `Timer` guard.

use std::hint::black_box;

use coremeter::{Histogram, Timer};
use criterion::{Criterion, criterion_group, criterion_main};

fn clocks(c: &mut Criterion) {
    let mut g = c.benchmark_group("clock/time_a_scope");
    g.bench_function("std::time::Instant", |b| {
        b.iter(|| {
            let start = std::time::Instant::now();
            black_box(());
            black_box(start.elapsed().as_secs_f64())
        })
    });
    let clock = quanta::Clock::new();
    g.bench_function("quanta::Clock::now (TSC, calibrated)", |b| {
        b.iter(|| {
            let start = clock.now();
            black_box(());
            black_box(clock.now().duration_since(start).as_secs_f64())
        })
    });
    g.bench_function("quanta::Instant (global clock)", |b| {
        b.iter(|| {
            let start = quanta::Instant::now();
            black_box(());
            black_box(start.elapsed().as_secs_f64())
        })
    });
    g.bench_function(
        "quanta::Clock::raw + delta_as_nanos (what Timer uses)",
        |b| {
            b.iter(|| {
                let start = clock.raw();
                black_box(());
                black_box(clock.delta_as_nanos(start, clock.raw()) as f64 * 1e-9)
            })
        },
    );
    g.finish();

    let mut g = c.benchmark_group("clock/timer_guard");
    let h = Histogram::new();
    g.bench_function("std Instant + observe (the Timer before quanta)", |b| {
        b.iter(|| {
            let start = std::time::Instant::now();
            black_box(());
            h.observe(start.elapsed().as_secs_f64());
        })
    });
    g.bench_function("coremeter Timer into a histogram", |b| {
        b.iter(|| {
            let _t = Timer::new(&h);
            black_box(());
        })
    });
    g.bench_function("histogram observe alone", |b| {
        b.iter(|| h.observe(black_box(0.001)))
    });
    g.finish();
}

criterion_group!(benches, clocks);
criterion_main!(benches);
