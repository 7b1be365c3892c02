//! Histogram observations (11 buckets, Go's defaults) of values spread over every bucket:
//! coremeter against the peers and a bare `fetch_add`, on 1 thread, and on 2 and 4 threads
//! observing into the same histogram (4 threads share the machine's 2 CPUs). coremeter's
//! `Statistics` (count, sum, minimum, maximum) and `NativeHistogram` (schema 3, exponential buckets
//! over the same values) run in the same groups. `benches/chart.py` draws
//! them.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use coremeter_benches::{
    BUCKETS_11, install_metrics_recorder, observations, per_thread_cost, single_thread_cost,
};
use criterion::{Criterion, criterion_group, criterion_main};

/// One `observe` per library, each on a histogram made once; `$run!(name, op)` benches the
/// closure `op(i)`, which observes the `i`-th value (mod 1024) of [`observations`].
macro_rules! each_histogram {
    ($run:ident, $values:ident) => {{
        let bare = AtomicU64::new(0);
        $run!("bare fetch_add", |_: u64| {
            black_box(&bare).fetch_add(1, Ordering::Relaxed);
        });
        let ours = coremeter::Histogram::with_buckets(&BUCKETS_11).expect("valid buckets");
        $run!("coremeter", |i: u64| black_box(&ours)
            .observe($values[i as usize & 1023]));
        let native = coremeter::NativeHistogram::new();
        $run!("coremeter NativeHistogram", |i: u64| black_box(&native)
            .observe($values[i as usize & 1023]));
        let statistics = coremeter::Statistics::new();
        $run!("coremeter Statistics", |i: u64| black_box(&statistics)
            .observe($values[i as usize & 1023]));
        let pc = prometheus_client::metrics::histogram::Histogram::new(BUCKETS_11);
        $run!("prometheus-client", |i: u64| black_box(&pc)
            .observe($values[i as usize & 1023]));
        let prom = prometheus::Histogram::with_opts(
            prometheus::HistogramOpts::new("h", "help").buckets(BUCKETS_11.to_vec()),
        )
        .expect("valid histogram");
        $run!("prometheus", |i: u64| black_box(&prom)
            .observe($values[i as usize & 1023]));
        install_metrics_recorder();
        let m = metrics::histogram!("bench_histogram");
        $run!("metrics", |i: u64| black_box(&m)
            .record($values[i as usize & 1023]));
        let measured = measured::Histogram::<11>::with_metadata(
            measured::metric::histogram::Thresholds::with_buckets(BUCKETS_11),
        );
        $run!("measured", |i: u64| black_box(&measured)
            .observe($values[i as usize & 1023]));
    }};
}

fn one_thread(c: &mut Criterion) {
    let values = observations();
    let mut g = c.benchmark_group("histogram_observe/1_thread");
    macro_rules! run {
        ($name:expr, $op:expr) => {
            g.bench_function($name, |b| {
                b.iter_custom(|iters| single_thread_cost(iters, $op))
            })
        };
    }
    each_histogram!(run, values);
    g.finish();
}

/// `threads` threads observing into the same histogram.
fn same_histogram(c: &mut Criterion, threads: usize) {
    let values = observations();
    let mut g = c.benchmark_group(format!(
        "histogram_observe/{threads}_threads_same_histogram"
    ));
    macro_rules! run {
        ($name:expr, $op:expr) => {
            g.bench_function($name, |b| {
                b.iter_custom(|iters| per_thread_cost(threads, iters, $op))
            })
        };
    }
    each_histogram!(run, values);
    g.finish();
}

fn two_threads(c: &mut Criterion) {
    same_histogram(c, 2);
}

fn four_threads(c: &mut Criterion) {
    same_histogram(c, 4);
}

/// A lookup and an observation every call, string label with 4 values: the classic and the
/// native histogram as a family's child.
fn labelled(c: &mut Criterion) {
    use coremeter::{Family, Histogram, NativeHistogram};
    use coremeter_benches::path::ByPath;
    let values = observations();
    let paths = coremeter_benches::path::values(4);
    let mut g = c.benchmark_group("histogram_observe/4_values_string_label/1_thread");
    macro_rules! run {
        ($name:expr, $family:expr) => {{
            let family = $family;
            g.bench_function($name, |b| {
                b.iter_custom(|iters| {
                    single_thread_cost(iters, |i: u64| {
                        black_box(&family)
                            .get(&ByPath(paths[i as usize % 4]))
                            .observe(values[i as usize & 1023])
                    })
                })
            });
        }};
    }
    let buckets = coremeter::Buckets::new(&BUCKETS_11).expect("valid buckets");
    run!(
        "coremeter Histogram get(..).observe",
        Family::<ByPath, Histogram>::with_config(buckets)
    );
    run!(
        "coremeter NativeHistogram get(..).observe",
        Family::<ByPath, NativeHistogram>::new()
    );
    g.finish();
}

criterion_group!(benches, one_thread, two_threads, four_threads, labelled);
criterion_main!(benches);
