//! End to end: a real Prometheus (Debian `prometheus` 2.42) scrapes the embedded server every
//! second, once with its default `Accept` header (OpenMetrics) and once pinned to text 0.0.4 with
//! the documented `format=text` parameter, and the values come back through its HTTP API.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Prometheus, TempDir, wait_for};
use coremeter::{Counter, Histogram, Opts, Registry};
use coremeter_exporter::{HttpServer, ProcessCollector};

#[test]
fn prometheus_scrapes_both_formats_without_errors() {
    let registry = Arc::new(
        Registry::builder()
            .target_label("service", "e2e")
            .build()
            .unwrap(),
    );
    let requests = Counter::new();
    registry
        .register(
            Opts::new("e2e_requests", "Requests handled."),
            requests.clone(),
        )
        .unwrap();
    let latency = Histogram::new();
    registry
        .register(
            Opts::new("e2e_latency", "Request latency.").unit("seconds"),
            latency.clone(),
        )
        .unwrap();
    ProcessCollector::register(&registry).unwrap();
    let server = HttpServer::new(&registry).start("127.0.0.1:0").unwrap();
    let target = server.local_addr();

    let workload = common::Requests::start(requests, latency);

    let dir = TempDir::new("prometheus-e2e");
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        common::scrape_config(target, &[("openmetrics", None), ("text", Some("text"))]),
    )
    .unwrap();
    let prometheus = Prometheus::start_with(&dir, &config, &["--enable-feature=exemplar-storage"]);

    for job in ["openmetrics", "text"] {
        let up = wait_for(
            Duration::from_secs(40),
            &format!("up{{job={job:?}}}"),
            || prometheus.query_value(&format!("up{{job=\"{job}\"}}")),
        );
        assert_eq!(up, 1.0, "{:?}", prometheus.targets());
        let total = prometheus
            .query_value(&format!("e2e_requests_total{{job=\"{job}\"}}"))
            .unwrap();
        assert!(total > 0.0);
        let rate = wait_for(Duration::from_secs(20), "a rate over two scrapes", || {
            prometheus.query_value(&format!("rate(e2e_requests_total{{job=\"{job}\"}}[5s])"))
        });
        assert!(rate > 10.0 && rate < 1000.0, "{job}: rate {rate}");
        let median = wait_for(Duration::from_secs(20), "a histogram quantile", || {
            prometheus
                .query_value(&format!(
                    "histogram_quantile(0.5, rate(e2e_latency_seconds_bucket{{job=\"{job}\"}}[5s]))"
                ))
                .filter(|v| v.is_finite())
        });
        assert!((0.1..=0.5).contains(&median), "{job}: median {median}");
        let rss = prometheus
            .query_value(&format!("process_resident_memory_bytes{{job=\"{job}\"}}"))
            .unwrap();
        assert!(rss > 1e6, "{job}: rss {rss}");
    }
    // The OpenMetrics scrape carried exemplars; the text one cannot.
    let exemplars = |job: &str| {
        let q: String = form_urlencoded::byte_serialize(
            format!("e2e_requests_total{{job=\"{job}\"}}").as_bytes(),
        )
        .collect();
        common::get(
            prometheus.addr,
            &format!("/api/v1/query_exemplars?query={q}&start=0&end=9999999999"),
            "",
        )
        .text()
        .to_owned()
    };
    let om = wait_for(Duration::from_secs(20), "exemplars", || {
        Some(exemplars("openmetrics")).filter(|b| b.contains("trace_id"))
    });
    assert!(om.contains("\"status\":\"success\""), "{om}");
    assert!(!exemplars("text").contains("trace_id"));
    // OpenMetrics' target_info reached Prometheus as a series.
    assert_eq!(
        prometheus.query_value("target_info{job=\"openmetrics\",service=\"e2e\"}"),
        Some(1.0)
    );

    for (job, health, error) in prometheus.targets() {
        assert_eq!((health.as_str(), error.as_str()), ("up", ""), "job {job}");
    }
    drop(workload);
}
