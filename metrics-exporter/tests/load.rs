//! Load: `wrk` (a real HTTP load generator) scrapes a 10,000-series registry on 127.0.0.1 while
//! 2 threads update it. Asserts no failed request and bounded memory; prints wrk's report
//! (requests/s, latency percentiles) for benches/README.md. `LOAD_SECONDS` sets each run's
//! length (default 5).

mod common;

use std::process::Command;
use std::sync::Arc;

use coremeter_exporter::HttpServer;

#[test]
fn wrk_scrapes_10k_series_under_updates() {
    let busy = common::Busy::start();
    let registry = Arc::clone(&busy.registry);
    let server = HttpServer::new(&registry).start("127.0.0.1:0").unwrap();
    let url = format!("http://{}/metrics", server.local_addr());
    // Warm up the render caches, then measure memory across the load.
    assert_eq!(common::get(server.local_addr(), "/metrics", "").status, 200);
    let before = common::rss_bytes();
    let seconds = std::env::var("LOAD_SECONDS").unwrap_or_else(|_| "5".into());
    let prometheus_accept = "Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    for (name, headers) in [
        ("text 0.0.4", vec![]),
        (
            "OpenMetrics (Prometheus' Accept)",
            vec!["-H", prometheus_accept],
        ),
        (
            "OpenMetrics + gzip",
            vec!["-H", prometheus_accept, "-H", "Accept-Encoding: gzip"],
        ),
    ] {
        let out = Command::new("wrk")
            .args([
                "-t1",
                "-c4",
                &format!("-d{seconds}s"),
                "--latency",
                "--timeout",
                "5s",
            ])
            .args(&headers)
            .arg(&url)
            .output()
            .expect("wrk (Debian package wrk; .ci/test installs it)");
        let report = String::from_utf8_lossy(&out.stdout);
        println!("=== wrk, {name}\n{report}");
        assert!(out.status.success(), "{report}");
        assert!(!report.contains("Non-2xx"), "failed requests:\n{report}");
        assert!(
            !report.contains("Socket errors"),
            "socket errors:\n{report}"
        );
        let requests: u64 = report
            .lines()
            .find_map(|l| l.trim().split_once(" requests in "))
            .and_then(|(n, _)| n.trim().parse().ok())
            .unwrap();
        assert!(requests > 10, "{report}");
    }
    let after = common::rss_bytes();
    println!(
        "RSS before {:.1} MiB, after {:.1} MiB",
        before as f64 / 1048576.0,
        after as f64 / 1048576.0
    );
    // Bounded: the encoders' buffers and caches are reused, not grown per request.
    assert!(
        after < before + 64 * 1024 * 1024,
        "RSS grew from {before} to {after}"
    );

    let updates = busy.stop();
    // Every update counted exactly once.
    let total: f64 = registry
        .samples()
        .iter()
        .filter(|s| s.name.starts_with("load_family_"))
        .map(|s| s.value)
        .sum();
    assert_eq!(total, updates as f64);
    println!("updates during the load: {updates}");
}
