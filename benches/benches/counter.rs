//! Counter increments: coremeter against a bare `fetch_add` and the peers, on 1 thread, and on
//! 2 and 4 threads updating the same counter (4 threads share the machine's 2 CPUs: a thread's
//! cost there is at least twice its cost alone). `benches/chart.py` draws these groups.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use coremeter_benches::{install_metrics_recorder, per_thread_cost};
use criterion::{Criterion, criterion_group, criterion_main};

/// One `inc` per library, each on a counter made once; `$run!(name, op)` benches the closure
/// `op` (a macro, so that every closure is its own type and the loop inlines it).
macro_rules! each_counter {
    ($run:ident) => {{
        let bare = AtomicU64::new(0);
        $run!("bare fetch_add", || {
            black_box(&bare).fetch_add(1, Ordering::Relaxed);
        });
        let ours = coremeter::Counter::new();
        $run!("coremeter", || black_box(&ours).inc());
        let pc = prometheus_client::metrics::counter::Counter::<u64>::default();
        $run!("prometheus-client", || {
            black_box(&pc).inc();
        });
        let prom = prometheus::IntCounter::new("c", "help").expect("valid name");
        $run!("prometheus", || black_box(&prom).inc());
        install_metrics_recorder();
        let m = metrics::counter!("bench_counter");
        $run!("metrics", || black_box(&m).increment(1));
        let measured = measured::Counter::new();
        $run!("measured", || black_box(&measured).inc());
    }};
}

fn one_thread(c: &mut Criterion) {
    let mut g = c.benchmark_group("counter_inc/1_thread");
    macro_rules! run {
        ($name:expr, $op:expr) => {
            g.bench_function($name, |b| b.iter($op))
        };
    }
    each_counter!(run);
    g.finish();
}

/// `threads` threads updating the same counter.
fn same_counter(c: &mut Criterion, threads: usize) {
    let mut g = c.benchmark_group(format!("counter_inc/{threads}_threads_same_counter"));
    macro_rules! run {
        ($name:expr, $op:expr) => {
            g.bench_function($name, |b| {
                b.iter_custom(|iters| per_thread_cost(threads, iters, |_| ($op)()))
            })
        };
    }
    each_counter!(run);
    g.finish();
}

fn two_threads(c: &mut Criterion) {
    same_counter(c, 2);
}

fn four_threads(c: &mut Criterion) {
    same_counter(c, 4);
}

criterion_group!(benches, one_thread, two_threads, four_threads);
criterion_main!(benches);
