//! Criterion benchmarks, run with `cargo bench -p coremeter-benches`; results and the machine they
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

/// Runs `op(i)` for `i in 0..iters` on this thread and returns the time taken (for criterion's
/// `iter_custom`, so that `op` can use the iteration number).
pub fn single_thread_cost(iters: u64, op: impl Fn(u64)) -> Duration {
    let start = Instant::now();
    for i in 0..iters {
        op(i);
    }
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

/// The value of counter series `i` of family `f` in the scrape benchmarks: distinct, of
/// realistic width.
pub fn counter_value(f: usize, i: usize) -> u64 {
    (f * 7919 + i * 104_729) as u64 % 1_000_000
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

/// A 4-value `method` label, as each library spells a fixed-cardinality label.
#[expect(
    missing_docs,
    reason = "measured's `LabelGroup` derive generates undocumented items"
)]
pub mod method {
    use coremeter::{LabelSet, LabelValue, LabelVisitor};

    /// The values, in the order the benches rotate through them.
    pub const NAMES: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];

    /// coremeter: a unit-only enum (`#[derive(LabelValue)]` writes this impl).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum Method {
        /// GET
        Get,
        /// POST
        Post,
        /// PUT
        Put,
        /// DELETE
        Delete,
    }

    /// All four, in the order of [`NAMES`].
    pub const ALL: [Method; 4] = [Method::Get, Method::Post, Method::Put, Method::Delete];

    impl LabelValue for Method {
        const VALUES: Option<&'static [&'static str]> = Some(&NAMES);
        fn index(&self) -> usize {
            *self as usize
        }
    }

    /// coremeter's label set (`#[derive(LabelSet)]` writes this impl).
    #[derive(Clone, Copy, Debug)]
    pub struct ByMethod {
        /// The method.
        pub method: Method,
    }

    impl LabelSet for ByMethod {
        const NAMES: &'static [&'static str] = &["method"];
        const VALUES: &'static [Option<&'static [&'static str]>] = &[Method::VALUES];
        fn visit<V: LabelVisitor>(&self, v: &mut V) {
            v.value(&self.method);
        }
    }

    /// prometheus-client's label value.
    #[derive(
        Clone, Copy, Debug, PartialEq, Eq, Hash, prometheus_client::encoding::EncodeLabelValue,
    )]
    pub enum PcMethod {
        /// GET
        GET,
        /// POST
        POST,
        /// PUT
        PUT,
        /// DELETE
        DELETE,
    }

    /// All four.
    pub const PC_ALL: [PcMethod; 4] = [
        PcMethod::GET,
        PcMethod::POST,
        PcMethod::PUT,
        PcMethod::DELETE,
    ];

    /// prometheus-client's label set.
    #[derive(
        Clone, Copy, Debug, PartialEq, Eq, Hash, prometheus_client::encoding::EncodeLabelSet,
    )]
    pub struct PcLabels {
        /// The method.
        pub method: PcMethod,
    }

    /// measured's fixed-cardinality label value.
    #[derive(Clone, Copy, Debug, PartialEq, measured::FixedCardinalityLabel)]
    pub enum MMethod {
        /// GET
        Get,
        /// POST
        Post,
        /// PUT
        Put,
        /// DELETE
        Delete,
    }

    /// All four.
    pub const M_ALL: [MMethod; 4] = [MMethod::Get, MMethod::Post, MMethod::Put, MMethod::Delete];

    /// measured's label group (dense: fixed cardinality).
    #[derive(Clone, Copy, Debug, measured::LabelGroup)]
    #[label(set = MLabelsSet)]
    pub struct MLabels {
        /// The method.
        pub method: MMethod,
    }
}

/// A string label (`path`), as each library spells a label with an open set of values.
pub mod path {
    use coremeter::{LabelSet, LabelVisitor};

    /// coremeter's label set.
    #[derive(Clone, Copy, Debug)]
    pub struct ByPath(pub &'static str);

    impl LabelSet for ByPath {
        const NAMES: &'static [&'static str] = &["path"];
        const VALUES: &'static [Option<&'static [&'static str]>] = &[None];
        fn visit<V: LabelVisitor>(&self, v: &mut V) {
            v.value(self.0);
        }
    }

    /// prometheus-client's label set.
    #[derive(Clone, Debug, PartialEq, Eq, Hash, prometheus_client::encoding::EncodeLabelSet)]
    pub struct PcPath {
        /// The path.
        pub path: &'static str,
    }

    /// `n` paths of 18 to 20 bytes, leaked once so that every library gets `&'static str`.
    pub fn values(n: usize) -> Vec<&'static str> {
        (0..n)
            .map(|i| &*Box::leak(format!("/api/v1/resource_{i}").into_boxed_str()))
            .collect()
    }
}

/// measured's dynamic string label, interned by lasso (its crate's own approach).
#[expect(
    missing_docs,
    reason = "measured's `LabelGroup` derive generates undocumented items"
)]
pub mod measured_path {
    /// A `path` label whose values are interned at first use.
    #[derive(Clone, Copy, Debug, measured::LabelGroup)]
    #[label(set = MPathSet)]
    pub struct MPath<'a> {
        /// The path.
        #[label(dynamic_with = measured::lasso::ThreadedRodeo)]
        pub path: &'a str,
    }
}
