//! End to end: a real Prometheus (Debian `prometheus` 2.42) started with
//! `--enable-feature=native-histograms` scrapes native histograms over the protobuf exposition
//! and stores them as native histograms, alone and as a label family's series:
//! `histogram_count`, `histogram_sum` and `histogram_quantile(0.9, ..)` over them, through its
//! HTTP API, return what was observed.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Prometheus, TempDir, wait_for};
use coremeter::{Buckets, DynLabels, Family, NativeHistogram, Opts, Registry};
use coremeter_exporter::HttpServer;

#[test]
fn prometheus_stores_native_histograms() {
    let registry = Arc::new(Registry::new());
    // 0.001, 0.002, .., 1.000 s: count 1000, sum 500.5, 0.9-quantile 0.9.
    let latency = NativeHistogram::new();
    registry
        .register(
            Opts::new("nh_latency", "Request latency.").unit("seconds"),
            latency.clone(),
        )
        .unwrap();
    for i in 1..=1000 {
        latency.observe(f64::from(i) / 1000.0);
    }
    // Negative values, zeros and a coarse schema, with classic buckets beside.
    let drift = NativeHistogram::builder()
        .schema(0)
        .zero_threshold(0.01)
        .classic_buckets(Buckets::new(&[-1.0, 0.0, 1.0]).unwrap())
        .build()
        .unwrap();
    registry
        .register(Opts::new("nh_drift", "Clock drift."), drift.clone())
        .unwrap();
    for v in [-4.0, -3.0, -0.5, 0.0, 0.001, 2.0, 3.0, 5.0, 6.0, 7.0] {
        drift.observe(v);
    }
    // A family: one native histogram per method.
    let rpc = Family::<DynLabels, NativeHistogram>::with_label_names(&["method"]).unwrap();
    registry
        .register(
            Opts::new("nh_rpc", "RPC time.").unit("seconds"),
            rpc.clone(),
        )
        .unwrap();
    for i in 1..=100 {
        rpc.labels(&["get"]).unwrap().observe(f64::from(i) / 100.0);
    }
    rpc.labels(&["put"]).unwrap().observe(2.0);
    // No observation yet.
    registry
        .register(Opts::new("nh_idle", "Nothing yet."), NativeHistogram::new())
        .unwrap();

    let server = HttpServer::new(&registry).start("127.0.0.1:0").unwrap();
    let target = server.local_addr();
    // The text formats carry the count and sum (and the classic buckets, where there are any).
    let text = common::get(target, "/metrics", "").text().to_owned();
    for line in [
        "nh_latency_seconds_bucket{le=\"+Inf\"} 1000\n",
        "nh_latency_seconds_count 1000\n",
        "nh_drift_bucket{le=\"-1.0\"} 2\n",
        "nh_drift_count 10\n",
        "nh_idle_count 0\n",
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }

    let dir = TempDir::new("prometheus-native");
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, common::scrape_config(target, &[("native", None)])).unwrap();
    let prometheus = Prometheus::start_with(&dir, &config, &["--enable-feature=native-histograms"]);
    let q = |promql: &str| prometheus.query_value(promql);

    let count = wait_for(
        Duration::from_secs(40),
        "a native histogram's count",
        || q("histogram_count(nh_latency_seconds{job=\"native\"})"),
    );
    assert_eq!(count, 1000.0);
    let sum = q("histogram_sum(nh_latency_seconds{job=\"native\"})").unwrap();
    assert!((sum - 500.5).abs() < 1e-9, "sum {sum}");
    // Within the bucket of 0.9 at schema 3: (2^(-2/8), 2^(-1/8)] = (0.8409, 0.9170].
    let p90 = q("histogram_quantile(0.9, nh_latency_seconds{job=\"native\"})").unwrap();
    assert!((0.8409..=0.9171).contains(&p90), "0.9-quantile {p90}");
    // No classic series was stored for it: Prometheus took the native buckets.
    assert_eq!(q("count(nh_latency_seconds_bucket)"), None);

    assert_eq!(q("histogram_count(nh_drift{job=\"native\"})"), Some(10.0));
    assert_eq!(q("histogram_sum(nh_drift{job=\"native\"})"), Some(15.501));
    // 3 of 10 observations are below -0.01: the 0.2-quantile is among them, in the bucket of
    // -3 ((-4, -2] at schema 0), and the 0.5-quantile in the zero bucket.
    let p20 = q("histogram_quantile(0.2, nh_drift{job=\"native\"})").unwrap();
    assert!((-4.0..=-2.0).contains(&p20), "0.2-quantile {p20}");
    let p35 = q("histogram_quantile(0.35, nh_drift{job=\"native\"})").unwrap();
    assert!((-1.0..=-0.01).contains(&p35) || p35.abs() <= 0.01, "{p35}");
    assert_eq!(q("histogram_count(nh_idle{job=\"native\"})"), Some(0.0));
    assert_eq!(
        q("histogram_count(nh_rpc_seconds{job=\"native\",method=\"get\"})"),
        Some(100.0)
    );
    assert_eq!(
        q("histogram_sum(nh_rpc_seconds{job=\"native\",method=\"put\"})"),
        Some(2.0)
    );
    let rpc_p90 =
        q("histogram_quantile(0.9, nh_rpc_seconds{job=\"native\",method=\"get\"})").unwrap();
    assert!((0.8409..=0.9171).contains(&rpc_p90), "{rpc_p90}");

    // Later observations arrive too.
    latency.observe(0.5);
    wait_for(Duration::from_secs(20), "the next observation", || {
        q("histogram_count(nh_latency_seconds{job=\"native\"})").filter(|&c| c == 1001.0)
    });
    for (job, health, error) in prometheus.targets() {
        assert_eq!((health.as_str(), error.as_str()), ("up", ""), "job {job}");
    }
}
