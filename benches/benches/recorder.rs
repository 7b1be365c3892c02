//! The `metrics` facade's call paths: `counter!(name, label => value).increment(1)` (a lookup of
//! the name and the label set at every call) and an increment through a handle the caller kept,
//! with coremeter-recorder and with metrics-exporter-prometheus as recorder, beside coremeter's
//! own `Counter::inc`, a `Family` lookup and a bare `fetch_add`, in one run.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};

const ROUTES: [&str; 4] = ["/", "/search", "/cart", "/checkout"];

/// The two recorders, each made the way its docs show (ours over a registry of its own).
fn recorders() -> (
    coremeter_recorder::CoremeterRecorder,
    metrics_exporter_prometheus::PrometheusRecorder,
) {
    let registry = Arc::new(coremeter::Registry::new());
    let ours = coremeter_recorder::RecorderBuilder::new()
        .registry(&registry)
        .build();
    (
        ours,
        metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder(),
    )
}

fn per_call(c: &mut Criterion) {
    let (ours, peer) = recorders();
    let family =
        coremeter::Family::<coremeter::DynLabels, coremeter::Counter>::with_label_names(&["route"])
            .expect("valid");
    let mut g = c.benchmark_group("facade/counter!(..).increment(1), 4 label values");
    let mut i = 0usize;
    g.bench_function("coremeter-recorder", |b| {
        metrics::with_local_recorder(&ours, || {
            b.iter(|| {
                i = (i + 1) & 3;
                metrics::counter!("requests", "route" => black_box(ROUTES[i])).increment(1);
            })
        })
    });
    g.bench_function("metrics-exporter-prometheus", |b| {
        metrics::with_local_recorder(&peer, || {
            b.iter(|| {
                i = (i + 1) & 3;
                metrics::counter!("requests", "route" => black_box(ROUTES[i])).increment(1);
            })
        })
    });
    g.bench_function("coremeter Family::labels(..).inc() (no facade)", |b| {
        b.iter(|| {
            i = (i + 1) & 3;
            family
                .labels(&[black_box(ROUTES[i])])
                .expect("one label")
                .inc();
        })
    });
    g.finish();
}

fn kept_handle(c: &mut Criterion) {
    let (ours, peer) = recorders();
    let ours_handle = metrics::with_local_recorder(&ours, || metrics::counter!("kept"));
    let peer_handle = metrics::with_local_recorder(&peer, || metrics::counter!("kept"));
    let counter = coremeter::Counter::new();
    let bare = AtomicU64::new(0);
    let mut g = c.benchmark_group("facade/kept handle increment(1)");
    g.bench_function("bare fetch_add", |b| {
        b.iter(|| black_box(&bare).fetch_add(1, Ordering::Relaxed))
    });
    g.bench_function("coremeter Counter::inc", |b| {
        b.iter(|| black_box(&counter).inc())
    });
    g.bench_function("coremeter-recorder", |b| {
        b.iter(|| black_box(&ours_handle).increment(1))
    });
    g.bench_function("metrics-exporter-prometheus", |b| {
        b.iter(|| black_box(&peer_handle).increment(1))
    });
    g.finish();
}

criterion_group!(benches, per_call, kept_handle);
criterion_main!(benches);
