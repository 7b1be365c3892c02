//! End to end: a real Prometheus (Debian `prometheus` 2.42) with native histograms enabled asks
//! for the protobuf exposition first; it scrapes the embedded server every second, once by
//! negotiation and once pinned with `format=protobuf`, and every type comes back through its HTTP
//! API with the values it was given: counters (with exemplars), gauges, histograms, summaries,
//! statistics, infos, state sets, label values that need escaping in text, and `target_info`.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Prometheus, TempDir, wait_for};
use coremeter::{
    Counter, DynLabels, Family, Gauge, Histogram, Info, Opts, Registry, StateSet, Statistics,
    Summary,
};
use coremeter_exporter::HttpServer;

/// What Prometheus 2.42 sends with `--enable-feature=native-histograms`
/// (../shared/REAL-COMPONENTS.md).
const NATIVE_HISTOGRAMS_ACCEPT: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

#[test]
fn prometheus_scrapes_protobuf_and_stores_every_type() {
    let registry = Arc::new(
        Registry::builder()
            .target_label("service", "protobuf-e2e")
            .build()
            .unwrap(),
    );
    macro_rules! register {
        ($name:expr, $help:expr, $metric:expr) => {
            registry.register(Opts::new($name, $help), $metric).unwrap()
        };
    }
    let requests = Counter::new();
    register!("pb_requests", "Requests handled.", requests.clone());
    let paths = Family::<DynLabels, Counter>::with_label_names(&["path"]).unwrap();
    register!("pb_paths", "Requests by path.", paths.clone());
    for (path, n) in [("quote \" here", 2), ("line\nbreak", 3), ("ünïcödé ✓", 4)] {
        paths.labels(&[path]).unwrap().inc_by(n);
    }
    let depth = Gauge::new();
    register!("pb_queue_depth", "Jobs waiting.", depth.clone());
    depth.set(-3);
    let latency = Histogram::new();
    registry
        .register(
            Opts::new("pb_latency", "Request latency.").unit("seconds"),
            latency.clone(),
        )
        .unwrap();
    let payload = Summary::new();
    register!("pb_payload_bytes", "Payload sizes.", payload.clone());
    payload.observe(100.0);
    payload.observe(250.0);
    let batch = Statistics::new();
    register!("pb_batch_size", "Items per batch.", batch.clone());
    for v in [3.0, 7.0, 5.0] {
        batch.observe(v);
    }
    let build = Info::new(&[("version", "1.2.3"), ("commit", "abc\"def")]).unwrap();
    register!("pb_build", "Build information.", build);
    let state = StateSet::new(["starting", "running", "stopped"]).unwrap();
    state.set("running").unwrap();
    register!("pb_state", "Lifecycle state.", state);

    let server = HttpServer::new(&registry).start("127.0.0.1:0").unwrap();
    let target = server.local_addr();

    // The server picks protobuf for the Accept header Prometheus sends.
    let reply = common::get(
        target,
        "/metrics",
        &format!("Accept: {NATIVE_HISTOGRAMS_ACCEPT}\r\n"),
    );
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some(
            "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
        )
    );

    let workload = common::Requests::start(requests, latency);

    let dir = TempDir::new("prometheus-protobuf");
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        common::scrape_config(
            target,
            &[("negotiated", None), ("pinned", Some("protobuf"))],
        ),
    )
    .unwrap();
    let prometheus = Prometheus::start_with(
        &dir,
        &config,
        &[
            "--enable-feature=native-histograms",
            "--enable-feature=exemplar-storage",
        ],
    );

    for job in ["negotiated", "pinned"] {
        let q = |promql: &str| prometheus.query_value(&promql.replace("JOB", job));
        let up = wait_for(Duration::from_secs(40), &format!("up of {job}"), || {
            q("up{job=\"JOB\"}")
        });
        assert_eq!(up, 1.0, "{:?}", prometheus.targets());
        let rate = wait_for(Duration::from_secs(20), "a rate over two scrapes", || {
            q("rate(pb_requests_total{job=\"JOB\"}[5s])")
        });
        assert!(rate > 10.0 && rate < 1000.0, "{job}: rate {rate}");
        let median = wait_for(Duration::from_secs(20), "a histogram quantile", || {
            q("histogram_quantile(0.5, rate(pb_latency_seconds_bucket{job=\"JOB\"}[5s]))")
                .filter(|v| v.is_finite())
        });
        assert!((0.1..=0.5).contains(&median), "{job}: median {median}");
        let expected = [
            ("pb_paths_total{job=\"JOB\",path=\"quote \\\" here\"}", 2.0),
            ("pb_paths_total{job=\"JOB\",path=\"line\\nbreak\"}", 3.0),
            ("pb_paths_total{job=\"JOB\",path=\"ünïcödé ✓\"}", 4.0),
            ("pb_queue_depth{job=\"JOB\"}", -3.0),
            ("pb_payload_bytes_count{job=\"JOB\"}", 2.0),
            ("pb_payload_bytes_sum{job=\"JOB\"}", 350.0),
            ("pb_batch_size_count{job=\"JOB\"}", 3.0),
            ("pb_batch_size_sum{job=\"JOB\"}", 15.0),
            ("pb_batch_size_min{job=\"JOB\"}", 3.0),
            ("pb_batch_size_max{job=\"JOB\"}", 7.0),
            (
                "pb_build_info{job=\"JOB\",version=\"1.2.3\",commit=\"abc\\\"def\"}",
                1.0,
            ),
            ("pb_state{job=\"JOB\",pb_state=\"running\"}", 1.0),
            ("pb_state{job=\"JOB\",pb_state=\"stopped\"}", 0.0),
            ("target_info{job=\"JOB\",service=\"protobuf-e2e\"}", 1.0),
        ];
        for (promql, want) in expected {
            assert_eq!(q(promql), Some(want), "{job}: {promql}");
        }
    }
    // Exemplars came with the counter.
    let q: String =
        form_urlencoded::byte_serialize(b"pb_requests_total{job=\"negotiated\"}").collect();
    let exemplars = wait_for(Duration::from_secs(20), "exemplars", || {
        let body = common::get(
            prometheus.addr,
            &format!("/api/v1/query_exemplars?query={q}&start=0&end=9999999999"),
            "",
        )
        .text()
        .to_owned();
        Some(body).filter(|b| b.contains("trace_id"))
    });
    assert!(exemplars.contains("\"status\":\"success\""), "{exemplars}");

    for (job, health, error) in prometheus.targets() {
        assert_eq!((health.as_str(), error.as_str()), ("up", ""), "job {job}");
    }
    drop(workload);
}
