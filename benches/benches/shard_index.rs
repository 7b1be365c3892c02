//! The candidates for choosing the calling thread's shard, each followed by the `fetch_add` on a
//! per-CPU strided slab that an update does, against a bare `fetch_add` in the same run; then the
//! same with 4 threads on this 2-CPU machine, where following the CPU matters. `Counter::inc`
//! (the active strategy and write path, through coremeter's real slab: on Linux x86_64 with rseq
//! a restartable add committed by one plain store) is measured in both groups.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use coremeter::shard::{self, Strategy};
use coremeter_benches::per_thread_cost;
use criterion::{Criterion, criterion_group, criterion_main};

/// One shard's 4 KiB page, as in coremeter's slab.
#[repr(align(4096))]
struct Page([AtomicU64; 512]);

struct Slab(Vec<Page>);

impl Slab {
    fn new() -> Self {
        Slab(
            (0..shard::shard_count())
                .map(|_| Page(std::array::from_fn(|_| AtomicU64::new(0))))
                .collect(),
        )
    }

    #[inline(always)]
    fn inc(&self, index: usize) {
        self.0[index & (self.0.len() - 1)].0[7].fetch_add(1, Ordering::Relaxed);
    }
}

/// Expands to one benchmark per strategy, each with the strategy as a constant so that
/// `shard::index` inlines to that strategy's code alone.
macro_rules! each_strategy {
    ($group:ident, $slab:ident, |$index:ident| $run:expr) => {
        each_strategy!(@one $group, $slab, Strategy::Rseq, $index, $run);
        each_strategy!(@one $group, $slab, Strategy::CpuHint, $index, $run);
        each_strategy!(@one $group, $slab, Strategy::SchedGetcpu, $index, $run);
        each_strategy!(@one $group, $slab, Strategy::ThreadSlot, $index, $run);
    };
    (@one $group:ident, $slab:ident, $strategy:expr, $index:ident, $run:expr) => {
        if shard::index($strategy).is_some() {
            $group.bench_function($strategy.to_string(), |b| {
                let $index = || shard::index($strategy).unwrap_or(0);
                $run(b)
            });
        }
    };
}

fn one_thread(c: &mut Criterion) {
    let mut g = c.benchmark_group("shard_index/1_thread");
    let bare = AtomicU64::new(0);
    g.bench_function("bare fetch_add", |b| {
        b.iter(|| black_box(&bare).fetch_add(1, Ordering::Relaxed))
    });
    let slab = Slab::new();
    each_strategy!(g, slab, |index| |b: &mut criterion::Bencher<'_>| {
        b.iter(|| slab.inc(index()))
    });
    let counter = coremeter::Counter::new();
    g.bench_function(
        format!(
            "Counter::inc ({}, {:?} write path)",
            shard::active_strategy(),
            shard::write_path()
        ),
        |b| b.iter(|| black_box(&counter).inc()),
    );
    g.finish();
}

fn oversubscribed(c: &mut Criterion) {
    // 4 threads on 2 CPUs: two threads share each thread slot, so when the scheduler runs both
    // threads of a slot at once they contend; a CPU-based index never gives two running threads
    // the same shard. Per-thread cost: at least 2x the 1-thread cost, as each CPU runs 2 threads.
    let mut g = c.benchmark_group("shard_index/4_threads_2_cpus");
    let slab = Slab::new();
    each_strategy!(g, slab, |index| |b: &mut criterion::Bencher<'_>| {
        b.iter_custom(|iters| per_thread_cost(4, iters, |_| slab.inc(index())))
    });
    let counter = coremeter::Counter::new();
    g.bench_function(
        format!(
            "Counter::inc ({}, {:?} write path)",
            shard::active_strategy(),
            shard::write_path()
        ),
        |b| b.iter_custom(|iters| per_thread_cost(4, iters, |_| counter.inc())),
    );
    g.finish();
}

criterion_group!(benches, one_thread, oversubscribed);
criterion_main!(benches);
