//! Exemplars against the real Prometheus (the Debian package, 2.42) on 127.0.0.1: which label
//! values its OpenMetrics parser takes in an exemplar (one bad exemplar makes it reject the
//! whole scrape), that `coremeter` refuses exactly the others, and that it stores the hardest
//! values it takes when it scrapes them from this crate's endpoint.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use common::{Prometheus, TempDir, get, wait_for};
use coremeter::{Counter, ExemplarError, Histogram, Opts, Registry};
use coremeter_exporter::HttpServer;

/// Every ASCII control character, the one kind of character a parser might refuse.
fn control_characters() -> Vec<char> {
    (0u8..0x20).chain([0x7f]).map(char::from).collect()
}

/// Serves, at every request, an OpenMetrics exposition whose one exemplar has a label value
/// with `c` in it (written raw, or escaped where the format says so); its port.
fn serve_exemplar_with(c: char) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let escaped = match c {
                '\n' => "\\n".to_owned(),
                c => c.to_string(),
            };
            let body = format!("# TYPE t counter\nt_total 1 # {{a=\"x{escaped}y\"}} 1\n# EOF\n");
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/openmetrics-text; version=1.0.0; \
                 charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
        }
    });
    port
}

#[test]
fn coremeter_refuses_exactly_the_exemplar_values_prometheus_rejects() {
    let dir = TempDir::new("exemplar-chars");
    let characters = control_characters();
    let mut jobs = String::new();
    for &c in &characters {
        let port = serve_exemplar_with(c);
        jobs.push_str(&format!(
            "  - job_name: char_{:02x}\n    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n",
            c as u32
        ));
    }
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!("global: {{scrape_interval: 1s}}\nscrape_configs:\n{jobs}"),
    )
    .unwrap();
    let prometheus = Prometheus::start_with(&dir, &config, &["--enable-feature=exemplar-storage"]);
    let targets = wait_for(Duration::from_secs(30), "every target scraped", || {
        let targets = prometheus.targets();
        (targets.len() == characters.len() && targets.iter().all(|t| t.1 != "unknown"))
            .then_some(targets)
    });
    let mut rejected: Vec<char> = Vec::new();
    for (job, health, error) in &targets {
        let code = u32::from_str_radix(job.trim_start_matches("char_"), 16).unwrap();
        if health != "up" {
            assert!(error.contains("label value"), "{job}: {error}");
            rejected.push(char::from_u32(code).unwrap());
        }
    }
    rejected.sort();
    // What Prometheus 2.42 rejects: the NUL character alone.
    assert_eq!(rejected, ['\0']);
    // And what coremeter refuses, of the same characters.
    let counter = Counter::new();
    let refused: Vec<char> = characters
        .iter()
        .copied()
        .filter(|c| {
            let value = format!("x{c}y");
            match counter.inc_with_exemplar(&[("a", &value)]) {
                Err(ExemplarError::InvalidLabelValue { .. }) => true,
                Err(other) => panic!("{other}"),
                Ok(()) => false,
            }
        })
        .collect();
    assert_eq!(refused, rejected);
}

#[test]
fn prometheus_stores_the_hardest_exemplar_values_coremeter_takes() {
    let dir = TempDir::new("exemplar-hard");
    let registry = Arc::new(Registry::new());
    let counter = Counter::new();
    registry
        .register(
            Opts::new("hard", "Exemplars with hard values."),
            counter.clone(),
        )
        .unwrap();
    let histogram = Histogram::new();
    registry
        .register(
            Opts::new("hard_latency", "Latency.").unit("seconds"),
            histogram.clone(),
        )
        .unwrap();
    // Every control character but NUL, quotes, backslashes, a newline, non-ASCII: escaped where
    // the format escapes, raw elsewhere.
    let controls: String = control_characters()
        .into_iter()
        .filter(|c| *c != '\0')
        .collect();
    let hard = format!("q\"b\\{controls}é✓");
    counter.inc_with_exemplar(&[("trace_id", &hard)]).unwrap();
    // 128 characters, the most OpenMetrics allows.
    let longest = "x".repeat(128 - "span".len());
    histogram
        .observe_with_exemplar(0.1, &[("span", &longest)])
        .unwrap();
    let server = HttpServer::new(&registry).start("127.0.0.1:0").unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global: {{scrape_interval: 1s}}\nscrape_configs:\n  - job_name: hard\n    \
             static_configs: [{{targets: ['{}']}}]\n",
            server.local_addr()
        ),
    )
    .unwrap();
    let prometheus = Prometheus::start_with(&dir, &config, &["--enable-feature=exemplar-storage"]);
    wait_for(Duration::from_secs(30), "a healthy scrape", || {
        prometheus
            .targets()
            .iter()
            .find(|t| t.0 == "hard" && t.1 == "up")
            .map(|_| ())
    });
    let exemplars = |metric: &str| {
        let q: String = form_urlencoded::byte_serialize(metric.as_bytes()).collect();
        get(
            prometheus.addr,
            &format!("/api/v1/query_exemplars?query={q}&start=0&end=9999999999"),
            "",
        )
        .text()
        .to_owned()
    };
    let stored = wait_for(Duration::from_secs(20), "the exemplars stored", || {
        let counter = exemplars("hard_total");
        let histogram = exemplars("hard_latency_seconds_bucket");
        (counter.contains("trace_id") && histogram.contains(&longest)).then_some(counter)
    });
    // The value came back whole, as JSON escapes it, except that Prometheus 2.42 keeps an
    // exemplar's label value as the exposition escaped it (`\"`, `\\`, `\n`), where a series'
    // label value is unescaped: what it stores is the OpenMetrics text of the value.
    assert!(stored.contains(r#""q\\\"b\\\\\u0001"#), "{stored}");
    assert!(stored.contains(r#"\t\\n\u000b"#), "{stored}");
    assert!(stored.contains("\\u001f"), "{stored}");
    assert!(stored.contains("é✓"), "{stored}");
}
