//! Criterion benchmarks, run with `cargo bench -p metrics-benches`; results and the machine they
//! came from are in `benches/README.md`. This library holds what the bench targets share.

#![forbid(unsafe_code)]

use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

/// Runs `op(i)` for `i in 0..iters` on each of `threads` threads started together and returns
/// the wall time. Divided by `iters` (which criterion does) this is the cost of one operation on
/// one thread while the others run the same loop: for `threads = 1` the plain cost, above that
/// the cost under whatever contention the operation has.
pub fn per_thread_cost(threads: usize, iters: u64, op: impl Fn(u64) + Sync) -> Duration {
    let barrier = Barrier::new(threads + 1);
    let start = thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                barrier.wait();
                for i in 0..iters {
                    op(i);
                }
            });
        }
        barrier.wait();
        Instant::now()
    });
    start.elapsed()
}

/// 1024 values spread log-uniformly over 0.0005..20 (deterministic), so that every bucket of a
/// latency histogram is hit and the bucket search is not trivially predicted.
pub fn observations() -> Vec<f64> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let unit = (x >> 11) as f64 / (1u64 << 53) as f64;
            0.0005 * (20.0f64 / 0.0005).powf(unit)
        })
        .collect()
}

/// Go's default buckets (11 bounds), used for every library's histogram.
pub const BUCKETS_11: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Installs `metrics`' Prometheus recorder as the global recorder (once per process) and keeps
/// its upkeep running, as an application using `metrics-exporter-prometheus` would: histograms
/// buffer raw observations until upkeep folds them into buckets.
pub fn install_metrics_recorder() {
    use std::sync::OnceLock;
    static HANDLE: OnceLock<()> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
            .set_buckets(&BUCKETS_11)
            .expect("valid buckets")
            .build_recorder();
        let handle = recorder.handle();
        metrics::set_global_recorder(recorder).expect("no other recorder in a bench binary");
        thread::spawn(move || {
            loop {
                thread::sleep(Duration::from_millis(100));
                handle.run_upkeep();
            }
        });
    });
}
