//! Heap bytes per series, counted with a counting global allocator, for coremeter and the
//! peers: a counter and an 11-bucket histogram, each as a bare handle and as a series registered
//! (and coremeter's native histogram, empty and after observing the histogram bench's values)
//! under its own name. Prints a Markdown table (`cargo bench -p coremeter-benches --bench memory`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use coremeter_benches::BUCKETS_11;

struct Counting;

static ALLOCATED: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so `System`'s
// guarantees hold; the bookkeeping is one atomic add that never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        ALLOCATED.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged; `ptr` came from `alloc` with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const N: usize = 10_000;

/// Heap bytes per item for `make(i)`, `N` items kept alive in a pre-allocated `Vec` (which is not
/// counted), plus the size of the item itself (kept wherever the program keeps it). The items are
/// never dropped, so no row reuses memory an earlier row freed.
fn per_item<T>(mut make: impl FnMut(usize) -> T) -> (f64, usize) {
    let mut kept = Vec::with_capacity(N);
    let before = ALLOCATED.load(Ordering::Relaxed);
    for i in 0..N {
        kept.push(make(i));
    }
    let bytes = (ALLOCATED.load(Ordering::Relaxed) - before) as f64 / N as f64;
    std::mem::forget(kept);
    (bytes, size_of::<T>())
}

/// Heap bytes per series of 1,000 families of 10 series each, the families kept in a
/// pre-allocated `Vec` (not counted, like `per_item`).
fn dyn_row<T>(library: &str, mut make: impl FnMut() -> T) {
    let mut kept = Vec::with_capacity(1000);
    let before = ALLOCATED.load(Ordering::Relaxed);
    for _ in 0..1000 {
        kept.push(make());
    }
    let bytes = (ALLOCATED.load(Ordering::Relaxed) - before) as f64 / 10_000.0;
    std::mem::forget(kept);
    println!(
        "| {library} | counter, dynamic label (1,000 families x 10 values) | {bytes:.1} | {} per family |",
        size_of::<T>()
    );
}

fn row(library: &str, what: &str, (heap, handle): (f64, usize)) {
    println!("| {library} | {what} | {heap:.1} | {handle} |");
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    println!(
        "shard count S = {} ({} CPUs)\n",
        coremeter::shard::shard_count(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| library | series | heap bytes per series | handle bytes |");
    println!("| --- | --- | --- | --- |");

    // Counters, bare handles.
    row(
        "coremeter",
        "counter, handle",
        per_item(|_| coremeter::Counter::new()),
    );
    row(
        "prometheus-client",
        "counter, handle",
        per_item(|_| prometheus_client::metrics::counter::Counter::<u64>::default()),
    );
    row(
        "measured",
        "counter, handle",
        per_item(|_| measured::Counter::new()),
    );

    // Counters registered under their own name.
    let ours = coremeter::Registry::new();
    row(
        "coremeter",
        "counter, registered",
        per_item(|i| {
            let c = coremeter::Counter::new();
            ours.register(coremeter::Opts::new(format!("c_{i}"), "help"), c.clone())
                .expect("valid");
            c
        }),
    );
    let mut pc = prometheus_client::registry::Registry::default();
    row(
        "prometheus-client",
        "counter, registered",
        per_item(|i| {
            let c = prometheus_client::metrics::counter::Counter::<u64>::default();
            pc.register(format!("c_{i}"), "help", c.clone());
            c
        }),
    );
    let prom = prometheus::Registry::new();
    row(
        "prometheus",
        "counter, registered",
        per_item(|i| {
            let c = prometheus::IntCounter::new(format!("c_{i}"), "help").expect("valid");
            prom.register(Box::new(c.clone())).expect("unique");
            c
        }),
    );
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(&BUCKETS_11)
        .expect("valid")
        .build_recorder();
    row(
        "metrics",
        "counter, registered",
        per_item(|i| {
            metrics::with_local_recorder(&recorder, || metrics::counter!(format!("c_{i}")))
        }),
    );

    // Dynamic-label counter series: 1,000 families x 10 string values, as in issue #3.
    let values: Vec<&'static str> = (0..10)
        .map(|i| &*Box::leak(format!("value_{i}").into_boxed_str()))
        .collect();
    dyn_row("coremeter", || {
        let f: coremeter::Family<coremeter_benches::path::ByPath, coremeter::Counter> =
            coremeter::Family::new();
        for v in &values {
            f.get(&coremeter_benches::path::ByPath(v)).inc();
        }
        f
    });
    dyn_row("prometheus-client", || {
        let f = prometheus_client::metrics::family::Family::<
            coremeter_benches::path::PcPath,
            prometheus_client::metrics::counter::Counter,
        >::default();
        for v in &values {
            f.get_or_create(&coremeter_benches::path::PcPath { path: v })
                .inc();
        }
        f
    });
    dyn_row("measured", || {
        use coremeter_benches::measured_path::{MPath, MPathSet};
        let f = measured::CounterVec::with_label_set(MPathSet {
            path: measured::lasso::ThreadedRodeo::new(),
        });
        for v in &values {
            f.inc(MPath { path: v });
        }
        f
    });
    dyn_row("prometheus", || {
        let f = prometheus::IntCounterVec::new(prometheus::Opts::new("c", "h"), &["path"])
            .expect("valid");
        for v in &values {
            f.with_label_values(&[v]).inc();
        }
        f
    });

    // Histograms with 11 bounds.
    row(
        "coremeter",
        "histogram, handle",
        per_item(|_| coremeter::Histogram::with_buckets(&BUCKETS_11).expect("valid")),
    );
    row(
        "prometheus-client",
        "histogram, handle",
        per_item(|_| prometheus_client::metrics::histogram::Histogram::new(BUCKETS_11)),
    );
    row(
        "measured",
        "histogram, handle",
        per_item(|_| {
            measured::Histogram::<11>::with_metadata(
                measured::metric::histogram::Thresholds::with_buckets(BUCKETS_11),
            )
        }),
    );
    // Native histograms: nothing observed, and the bench's 1,024 values (0.5 ms to 20 s, 15
    // powers of 2: 120 buckets at schema 3, in 8 chunks of 16).
    row(
        "coremeter",
        "native histogram, handle, empty",
        per_item(|_| coremeter::NativeHistogram::new()),
    );
    let values = coremeter_benches::observations();
    row(
        "coremeter",
        "native histogram, handle, 0.5 ms to 20 s observed",
        per_item(|_| {
            let h = coremeter::NativeHistogram::new();
            for &v in &values {
                h.observe(v);
            }
            h
        }),
    );
    row(
        "coremeter",
        "histogram, registered",
        per_item(|i| {
            let h = coremeter::Histogram::with_buckets(&BUCKETS_11).expect("valid");
            ours.register(coremeter::Opts::new(format!("h_{i}"), "help"), h.clone())
                .expect("valid");
            h
        }),
    );
    row(
        "prometheus-client",
        "histogram, registered",
        per_item(|i| {
            let h = prometheus_client::metrics::histogram::Histogram::new(BUCKETS_11);
            pc.register(format!("h_{i}"), "help", h.clone());
            h
        }),
    );
    row(
        "prometheus",
        "histogram, registered",
        per_item(|i| {
            let h = prometheus::Histogram::with_opts(
                prometheus::HistogramOpts::new(format!("h_{i}"), "help")
                    .buckets(BUCKETS_11.to_vec()),
            )
            .expect("valid");
            prom.register(Box::new(h.clone())).expect("unique");
            h
        }),
    );
    row(
        "metrics",
        "histogram, registered",
        per_item(|i| {
            metrics::with_local_recorder(&recorder, || metrics::histogram!(format!("h_{i}")))
        }),
    );
}
