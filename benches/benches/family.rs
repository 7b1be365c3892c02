//! Labeled counters with a lookup on every call: a 4-value `method` label (fixed cardinality;
//! coremeter's dense family against measured's dense vec and the others' maps), on 1 and 2
//! threads; and a string `path` label with 4 and with 1,000 values (coremeter's dynamic family
//! against prometheus-client's `get_or_create` and the others), on 1 thread, and with 4 values on
//! 2 threads. The unlabeled
//! `Counter::inc` and a bare `fetch_add` run in the same group as the baselines.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use coremeter::{Counter, DynLabels, Family};
use coremeter_benches::method::{
    ALL, ByMethod, M_ALL, MLabels, MLabelsSet, NAMES, PC_ALL, PcLabels,
};
use coremeter_benches::path::{ByPath, PcPath, values};
use coremeter_benches::{install_metrics_recorder, per_thread_cost, single_thread_cost};
use criterion::{Criterion, criterion_group, criterion_main};

/// One labeled `inc` per library; `$run!(name, op)` benches `op(i)`, which uses the method
/// `i % 4`.
macro_rules! each_method_family {
    ($run:ident) => {{
        let bare = AtomicU64::new(0);
        $run!("bare fetch_add", |_: u64| {
            black_box(&bare).fetch_add(1, Ordering::Relaxed);
        });
        let unlabeled = Counter::new();
        $run!("coremeter unlabeled Counter::inc", |_: u64| black_box(&unlabeled).inc());
        let ours: Family<ByMethod, Counter> = Family::new();
        $run!("coremeter get(..).inc()", |i: u64| black_box(&ours)
            .get(&ByMethod { method: ALL[i as usize & 3] })
            .inc());
        $run!("coremeter inc(&labels)", |i: u64| black_box(&ours)
            .inc(&ByMethod { method: ALL[i as usize & 3] }));
        let pc = prometheus_client::metrics::family::Family::<
            PcLabels,
            prometheus_client::metrics::counter::Counter,
        >::default();
        $run!("prometheus-client", |i: u64| {
            black_box(&pc)
                .get_or_create(&PcLabels { method: PC_ALL[i as usize & 3] })
                .inc();
        });
        let prom = prometheus::IntCounterVec::new(prometheus::Opts::new("c", "help"), &["method"])
            .expect("valid");
        $run!("prometheus", |i: u64| black_box(&prom)
            .with_label_values(&[NAMES[i as usize & 3]])
            .inc());
        install_metrics_recorder();
        $run!("metrics", |i: u64| metrics::counter!(
            "bench_family",
            "method" => NAMES[i as usize & 3]
        )
        .increment(1));
        let measured = measured::CounterVec::<MLabelsSet>::new();
        $run!("measured", |i: u64| black_box(&measured)
            .inc(MLabels { method: M_ALL[i as usize & 3] }));
    }};
}

fn one_thread(c: &mut Criterion) {
    let mut g = c.benchmark_group("family_inc_method/1_thread");
    macro_rules! run {
        ($name:expr, $op:expr) => {
            g.bench_function($name, |b| {
                b.iter_custom(|iters| single_thread_cost(iters, $op))
            })
        };
    }
    each_method_family!(run);
    g.finish();
}

fn two_threads(c: &mut Criterion) {
    let mut g = c.benchmark_group("family_inc_method/2_threads_same_family");
    macro_rules! run {
        ($name:expr, $op:expr) => {
            g.bench_function($name, |b| {
                b.iter_custom(|iters| per_thread_cost(2, iters, $op))
            })
        };
    }
    each_method_family!(run);
    g.finish();
}

/// One labeled `inc` with a string label per library, the value `paths[i % N]`.
fn dynamic_group<const N: usize>(c: &mut Criterion, threads: usize) {
    let paths = values(N);
    let name = match threads {
        1 => format!("family_inc_path/{N}_values/1_thread"),
        n => format!("family_inc_path/{N}_values/{n}_threads_same_family"),
    };
    let mut g = c.benchmark_group(name);
    macro_rules! run {
        ($name:expr, $op:expr) => {
            g.bench_function($name, |b| {
                b.iter_custom(|iters| match threads {
                    1 => single_thread_cost(iters, $op),
                    n => per_thread_cost(n, iters, $op),
                })
            })
        };
    }
    let ours: Family<ByPath, Counter> = Family::new();
    run!("coremeter get(..).inc()", |i: u64| black_box(&ours)
        .get(&ByPath(paths[i as usize % N]))
        .inc());
    run!("coremeter inc(&labels)", |i: u64| black_box(&ours)
        .inc(&ByPath(paths[i as usize % N])));
    let strings = Family::<DynLabels, Counter>::with_label_names(&["path"]).expect("valid");
    run!("coremeter labels(&[s])?.inc()", |i: u64| black_box(
        &strings
    )
    .labels(&[paths[i as usize % N]])
    .expect("one value")
    .inc());
    // prometheus-client's borrowed label set (its docs' way to skip an allocation per call).
    let pc = prometheus_client::metrics::family::Family::<
        PcPath,
        prometheus_client::metrics::counter::Counter,
    >::default();
    run!("prometheus-client", |i: u64| {
        black_box(&pc)
            .get_or_create(&PcPath {
                path: paths[i as usize % N],
            })
            .inc();
    });
    let prom = prometheus::IntCounterVec::new(prometheus::Opts::new("p", "help"), &["path"])
        .expect("valid");
    run!("prometheus", |i: u64| black_box(&prom)
        .with_label_values(&[paths[i as usize % N]])
        .inc());
    install_metrics_recorder();
    run!("metrics", |i: u64| metrics::counter!(
        "bench_paths",
        "path" => paths[i as usize % N]
    )
    .increment(1));
    g.finish();
}

fn dynamic(c: &mut Criterion) {
    dynamic_group::<4>(c, 1);
    dynamic_group::<1000>(c, 1);
    dynamic_group::<4>(c, 2);
}

criterion_group!(benches, one_thread, two_threads, dynamic);
criterion_main!(benches);
