//! The Pushgateway client against a real `prometheus-pushgateway` on 127.0.0.1, read back from
//! the gateway and through a real Prometheus scraping it.

mod common;

use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Daemon, TempDir, get, sample, wait_for};
use coremeter::{Counter, DynLabels, Family, Gauge, Opts, Registry};
use coremeter_exporter::{PushError, Pushgateway};

fn start_gateway(dir: &TempDir) -> (Daemon, String) {
    start_gateway_with(dir, "--web.enable-admin-api")
}

/// A gateway on 127.0.0.1 with one more flag; its address.
fn start_gateway_with(dir: &TempDir, flag: &str) -> (Daemon, String) {
    let mut gateway = Daemon::spawn(
        Command::new("prometheus-pushgateway").args([
            "--web.listen-address=127.0.0.1:0",
            "--persistence.file=",
            flag,
        ]),
        dir.path().join("pushgateway.log"),
    );
    let port = gateway.listening_port();
    (gateway, format!("127.0.0.1:{port}"))
}

fn batch_registry() -> (Registry, Counter, Gauge) {
    let registry = Registry::new();
    let runs = Counter::new();
    registry
        .register(
            Opts::new("batch_runs", "Runs of the batch job."),
            runs.clone(),
        )
        .unwrap();
    let rows = Gauge::new();
    registry
        .register(
            Opts::new("batch_rows", "Rows processed by the last run."),
            rows.clone(),
        )
        .unwrap();
    (registry, runs, rows)
}

#[test]
fn push_push_add_and_delete_against_the_real_gateway() {
    let dir = TempDir::new("push");
    let (_gateway, addr) = start_gateway(&dir);
    let socket = addr.parse().unwrap();
    let gw = Pushgateway::new(&format!("http://{addr}")).unwrap();

    let (registry, runs, rows) = batch_registry();
    runs.inc_by(3);
    rows.set(1200);
    // A grouping value with a `/`, an empty one and the path segments `.` and `..` (which a
    // router would resolve away) travel in base64.
    let group = [
        ("instance", "db-1"),
        ("path", "/var/lib/x"),
        ("shard", ""),
        ("here", "."),
        ("up", ".."),
    ];
    gw.push("nightly", &group, &registry).unwrap();
    let labels = r#"{here=".",instance="db-1",job="nightly",path="/var/lib/x",shard="",up=".."}"#;
    let text = get(socket, "/metrics", "").text().to_owned();
    assert_eq!(
        sample(&text, &format!("batch_runs_total{labels}")),
        Some(3.0),
        "{text}"
    );
    assert_eq!(sample(&text, &format!("batch_rows{labels}")), Some(1200.0));
    assert!(text.contains("# TYPE batch_runs_total counter"));

    // POST replaces only the families it carries.
    let extra = Registry::new();
    let rows2 = Gauge::new();
    extra
        .register(
            Opts::new("batch_rows", "Rows processed by the last run."),
            rows2.clone(),
        )
        .unwrap();
    rows2.set(7);
    gw.push_add("nightly", &group, &extra).unwrap();
    let text = get(socket, "/metrics", "").text().to_owned();
    assert_eq!(sample(&text, &format!("batch_rows{labels}")), Some(7.0));
    assert_eq!(
        sample(&text, &format!("batch_runs_total{labels}")),
        Some(3.0)
    );

    // PUT replaces the whole group.
    gw.push("nightly", &group, &extra).unwrap();
    let text = get(socket, "/metrics", "").text().to_owned();
    assert_eq!(sample(&text, &format!("batch_runs_total{labels}")), None);

    // Labelled series and a second group.
    let labelled = Registry::new();
    let by_table = Family::<DynLabels, Counter>::with_label_names(&["table"]).unwrap();
    labelled
        .register(Opts::new("batch_copied", "Rows copied."), by_table.clone())
        .unwrap();
    by_table.labels(&["users \"main\""]).unwrap().inc_by(5);
    gw.push("copy", &[], &labelled).unwrap();
    let text = get(socket, "/metrics", "").text().to_owned();
    assert_eq!(
        sample(
            &text,
            r#"batch_copied_total{instance="",job="copy",table="users \"main\""}"#
        ),
        Some(5.0),
        "{text}"
    );

    gw.delete("nightly", &group).unwrap();
    let text = get(socket, "/metrics", "").text().to_owned();
    assert_eq!(sample(&text, &format!("batch_rows{labels}")), None);
    assert!(text.contains("job=\"copy\""));
}

/// A family collected from elsewhere, for pushing what core's own types would not produce.
struct Fixed(coremeter::MetricFamily);

impl coremeter::Collector for Fixed {
    fn collect(&self) -> Vec<coremeter::MetricFamily> {
        vec![self.0.clone()]
    }
}

#[test]
fn the_gateways_refusal_comes_back_with_its_message() {
    let dir = TempDir::new("push-refused");
    let (_gateway, addr) = start_gateway(&dir);
    let gw = Pushgateway::new(&format!("http://{addr}")).unwrap();
    // `batch_x_total` as a counter in one group and untyped in another is inconsistent.
    let as_counter = Registry::new();
    as_counter
        .register(Opts::new("batch_x", "x"), Counter::new())
        .unwrap();
    gw.push("g1", &[], &as_counter).unwrap();
    let untyped = Registry::new();
    let mut family = coremeter::UnknownMetricFamily::new("batch_x_total", "x", &[]).unwrap();
    family.add_metric(&[], 1.0).unwrap();
    untyped.register_collector(Fixed(family.into())).unwrap();
    match gw.push("g2", &[], &untyped) {
        Err(PushError::Status { status, message }) => {
            assert_eq!(status, 400);
            assert!(message.contains("batch_x_total"), "{message}");
        }
        other => panic!("expected a 400, got {other:?}"),
    }
}

#[test]
fn a_gateway_that_is_down_or_silent_gives_an_error_within_the_timeout() {
    // Nothing listens: refused at once.
    let free = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = free.local_addr().unwrap();
    drop(free);
    let (registry, _, _) = batch_registry();
    let gw = Pushgateway::new(&format!("http://{addr}"))
        .unwrap()
        .timeout(Duration::from_secs(2));
    assert!(matches!(
        gw.push("j", &[], &registry),
        Err(PushError::Connect(_))
    ));

    // Accepts but never answers: the timeout ends it.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let gw = Pushgateway::new(&format!("http://{}", silent.local_addr().unwrap()))
        .unwrap()
        .timeout(Duration::from_millis(500));
    let start = Instant::now();
    let err = gw.delete("j", &[]).unwrap_err();
    assert!(matches!(err, PushError::Timeout(_)), "{err:?}");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(err.to_string().contains("did not answer within"));

    // From inside an async runtime it does not panic either.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let err = runtime.block_on(async { gw.delete("j", &[]) }).unwrap_err();
    assert!(matches!(err, PushError::Timeout(_)));
}

#[test]
fn basic_auth_and_the_header_hook_reach_the_gateway() {
    // A loopback listener stands in for an authenticating proxy: it records the request.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        use std::io::{BufRead, BufReader, Write};
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut head = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        let mut stream = stream;
        stream
            .write_all(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 12\r\n\r\nbad password")
            .unwrap();
        head
    });
    let gw = Pushgateway::new(&format!("http://{addr}/proxy"))
        .unwrap()
        .basic_auth("batch", "s3cret")
        .header_hook(|h| {
            h.insert("x-scope", hyper_header("team-a"));
        });
    let err = gw.delete("j", &[("instance", "i")]).unwrap_err();
    let head = server.join().unwrap();
    assert!(
        head.starts_with("DELETE /proxy/metrics/job/j/instance/i HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("authorization: basic ymf0y2g6cznjcmv0\r\n"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase().contains("x-scope: team-a\r\n"),
        "{head}"
    );
    match err {
        PushError::Status {
            status: 401,
            message,
        } => assert_eq!(message, "bad password"),
        other => panic!("{other:?}"),
    }
}

fn hyper_header(v: &'static str) -> axum::http::HeaderValue {
    axum::http::HeaderValue::from_static(v)
}

/// End to end: a real Prometheus scrapes the gateway (`honor_labels`) and reads the pushed value.
#[test]
fn prometheus_reads_what_was_pushed() {
    let dir = TempDir::new("push-prom");
    let (_gateway, addr) = start_gateway(&dir);
    let (registry, runs, _) = batch_registry();
    runs.inc_by(42);
    Pushgateway::new(&format!("http://{addr}"))
        .unwrap()
        .push("e2e", &[("instance", "x")], &registry)
        .unwrap();

    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: pushgateway\n    honor_labels: true\n    static_configs:\n      - targets: ['{addr}']\n"
        ),
    )
    .unwrap();
    let mut prometheus = common::Prometheus::start(&dir, &config);
    let value = wait_for(
        Duration::from_secs(40),
        "the pushed value in Prometheus",
        || prometheus.query_value("batch_runs_total{job=\"e2e\",instance=\"x\"}"),
    );
    assert_eq!(value, 42.0);
    prometheus.daemon.stop();
}

/// An `https://` gateway that requires client certificates (the real Pushgateway with a
/// `--web.config.file`): a push with the CA and a client certificate lands; a client that does
/// not trust the gateway's CA, has no CA at all, or has no client certificate gets an error.
#[cfg(feature = "tls")]
#[test]
fn push_over_https_with_a_client_certificate() {
    use common::{curl, make_certificates};

    let dir = TempDir::new("push-tls");
    make_certificates(dir.path());
    let path = |f: &str| dir.path().join(f).display().to_string();
    let web_config = dir.path().join("web.yml");
    std::fs::write(
        &web_config,
        format!(
            "tls_server_config:\n  cert_file: {}\n  key_file: {}\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {}\n",
            path("server.pem"),
            path("server.key"),
            path("ca.pem")
        ),
    )
    .unwrap();
    let (gateway, addr) =
        start_gateway_with(&dir, &format!("--web.config.file={}", web_config.display()));
    let url = format!("https://{addr}");
    let (registry, runs, _) = batch_registry();
    runs.inc_by(5);

    let gw = Pushgateway::new(&url)
        .unwrap()
        .timeout(Duration::from_secs(5))
        .tls_ca_file(dir.path().join("ca.pem"))
        .unwrap()
        .tls_client_certificate(dir.path().join("client.pem"), dir.path().join("client.key"))
        .unwrap();
    gw.push("secure", &[("instance", "a")], &registry).unwrap();
    let (rc, body) = curl(
        dir.path(),
        &format!("{url}/metrics"),
        &["--cert", "client.pem", "--key", "client.key"],
    );
    assert_eq!(rc, 0, "{body}");
    assert_eq!(
        sample(&body, r#"batch_runs_total{instance="a",job="secure"}"#),
        Some(5.0),
        "{body}"
    );

    // No authority given: refused before anything is sent.
    let err = Pushgateway::new(&url)
        .unwrap()
        .push("secure", &[], &registry)
        .unwrap_err();
    assert!(matches!(err, PushError::Tls(_)), "{err}");
    assert!(err.to_string().contains("tls_ca_file"), "{err}");
    // Another CA: the gateway's certificate is not trusted.
    let other = TempDir::new("push-tls-other");
    make_certificates(other.path());
    let err = Pushgateway::new(&url)
        .unwrap()
        .tls_ca_file(other.path().join("ca.pem"))
        .unwrap()
        .tls_client_certificate(
            other.path().join("client.pem"),
            other.path().join("client.key"),
        )
        .unwrap()
        .push("secure", &[], &registry)
        .unwrap_err();
    assert!(matches!(err, PushError::Tls(_)), "{err}");
    // No client certificate: the gateway ends the exchange; an error, never a success.
    let started = Instant::now();
    let err = Pushgateway::new(&url)
        .unwrap()
        .timeout(Duration::from_secs(5))
        .tls_ca_file(dir.path().join("ca.pem"))
        .unwrap()
        .push("secure", &[("instance", "b")], &registry)
        .unwrap_err();
    assert!(
        matches!(err, PushError::Tls(_) | PushError::Http(_)),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    let (_, body) = curl(
        dir.path(),
        &format!("{url}/metrics"),
        &["--cert", "client.pem", "--key", "client.key"],
    );
    assert!(!body.contains(r#"instance="b""#), "{body}");
    // Plain http to the TLS port: an error too.
    let err = Pushgateway::new(&url.replace("https", "http"))
        .unwrap()
        .timeout(Duration::from_secs(5))
        .push("secure", &[], &registry)
        .unwrap_err();
    assert!(
        matches!(err, PushError::Http(_) | PushError::Status { .. }),
        "{err:?}"
    );
    drop(gateway);
}

/// A gateway that answers 500 with an endless body: the error keeps at most 4 KiB of it, marked
/// as cut, and comes back quickly.
#[test]
fn a_huge_error_body_is_cut() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 4096];
        let _ = stream.read(&mut request);
        let _ = stream
            .write_all(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 104857600\r\n\r\n");
        let chunk = vec![b'x'; 1 << 16];
        // 100 MiB, as long as the client reads.
        for _ in 0..1600 {
            if stream.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    let gw = Pushgateway::new(&format!("http://{addr}")).unwrap();
    let (registry, _, _) = batch_registry();
    let start = Instant::now();
    match gw.push("j", &[], &registry) {
        Err(PushError::Status { status, message }) => {
            assert_eq!(status, 500);
            assert!(message.len() <= 4096 + 20, "{} bytes", message.len());
            assert!(
                message.ends_with("[cut at 4 KiB]"),
                "{}",
                &message[message.len() - 30..]
            );
        }
        other => panic!("expected a 500, got {other:?}"),
    }
    assert!(start.elapsed() < Duration::from_secs(5));
    server.join().unwrap();
}

#[test]
fn async_push_and_delete_against_the_real_gateway() {
    let dir = TempDir::new("push-async");
    let (_gateway, addr) = start_gateway(&dir);
    let socket = addr.parse().unwrap();
    let gw = Pushgateway::new(&format!("http://{addr}")).unwrap();
    let (registry, runs, _) = batch_registry();
    runs.inc_by(5);
    let registry = std::sync::Arc::new(registry);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(gw.push_async("async_job", &[("instance", "a")], &registry))
        .unwrap();
    let text = get(socket, "/metrics", "").text().to_owned();
    assert_eq!(
        sample(&text, r#"batch_runs_total{instance="a",job="async_job"}"#),
        Some(5.0),
        "{text}"
    );
    runtime
        .block_on(gw.push_add_async("async_job", &[("instance", "b")], &registry))
        .unwrap();
    runtime
        .block_on(gw.delete_async("async_job", &[("instance", "a")]))
        .unwrap();
    let text = get(socket, "/metrics", "").text().to_owned();
    assert!(!text.contains(r#"instance="a",job="async_job""#), "{text}");
    assert!(text.contains(r#"instance="b",job="async_job""#), "{text}");
}

/// The periodic pusher against a real gateway that goes away and comes back on the same port:
/// pushes at its interval, counts and reports the failures while the gateway is down (in the
/// pushed registry too), resumes when it is back, and pushes the last values when stopped.
#[test]
fn a_periodic_push_survives_the_gateway_going_away_and_pushes_a_last_time() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    let dir = TempDir::new("push-periodic");
    let (gateway, addr) = start_gateway(&dir);
    let socket: std::net::SocketAddr = addr.parse().unwrap();
    let (registry, runs, _) = batch_registry();
    let registry = Arc::new(registry);
    let reported = Arc::new(AtomicU64::new(0));
    let hook_count = Arc::clone(&reported);
    let pusher = Pushgateway::new(&format!("http://{addr}"))
        .unwrap()
        .timeout(Duration::from_secs(1))
        .every(
            Duration::from_millis(200),
            "periodic",
            &[("instance", "p1")],
        )
        .on_error(move |_| {
            hook_count.fetch_add(1, Ordering::Relaxed);
        })
        .start(&registry);
    let runs_at = |text: &str| sample(text, r#"batch_runs_total{instance="p1",job="periodic"}"#);
    runs.inc_by(2);
    // The pusher counts a push once the gateway's answer is read, a moment after the gateway
    // shows it.
    wait_for(Duration::from_secs(10), "the first pushes", || {
        let shown = runs_at(get(socket, "/metrics", "").text()) == Some(2.0);
        (shown && pusher.pushes() >= 1).then_some(())
    });
    assert_eq!(pusher.failures(), 0);

    // The gateway goes away: failures are counted and reported, the caller never waits.
    drop(gateway);
    runs.inc_by(3);
    wait_for(Duration::from_secs(10), "failed pushes", || {
        (pusher.failures() >= 2).then_some(())
    });
    assert!(reported.load(Ordering::Relaxed) >= 2);
    let counted =
        registry.sample_value("coremeter_push_failures_total", &[("push_job", "periodic")]);
    assert!(counted.is_some_and(|f| f >= 2.0), "{counted:?}");

    // It comes back on the same port: pushes resume with the values counted meanwhile.
    let mut back = Daemon::spawn(
        Command::new("prometheus-pushgateway").args([
            &format!("--web.listen-address={addr}"),
            "--persistence.file=",
        ]),
        dir.path().join("pushgateway-back.log"),
    );
    assert_eq!(back.listening_port(), socket.port());
    wait_for(
        Duration::from_secs(10),
        "pushes to the gateway back",
        || (runs_at(get(socket, "/metrics", "").text()) == Some(5.0)).then_some(()),
    );
    let text = get(socket, "/metrics", "").text().to_owned();
    let failures_pushed = sample(
        &text,
        r#"coremeter_push_failures_total{instance="p1",job="periodic",push_job="periodic"}"#,
    );
    assert!(failures_pushed.is_some_and(|f| f >= 2.0), "{text}");

    // Stopping pushes the last values.
    runs.inc_by(10);
    let start = Instant::now();
    pusher.stop();
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(runs_at(get(socket, "/metrics", "").text()), Some(15.0));
}
