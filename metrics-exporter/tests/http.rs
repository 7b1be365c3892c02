//! The embedded server and the handler over real sockets on 127.0.0.1.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{get, head, request, sample};
use coremeter::{Counter, Gauge, Histogram, Opts, Registry};
use coremeter_exporter::{Auth, HttpServer, MetricsHandler, start_http_server};

const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

fn registry() -> (Arc<Registry>, Counter) {
    let registry = Arc::new(Registry::new());
    let jobs = Counter::new();
    registry
        .register(Opts::new("jobs", "Jobs run."), jobs.clone())
        .unwrap();
    let depth = Gauge::new();
    registry
        .register(Opts::new("queue_depth", "Jobs waiting."), depth.clone())
        .unwrap();
    depth.set(4);
    let latency = Histogram::new();
    registry
        .register(Opts::new("latency_seconds", "Latency."), latency.clone())
        .unwrap();
    latency.observe(0.2);
    (registry, jobs)
}

#[test]
fn serves_negotiated_formats_gzip_and_filters() {
    let (registry, jobs) = registry();
    jobs.inc_by(7);
    let server = start_http_server("127.0.0.1:0", &registry).unwrap();
    let addr = server.local_addr();
    assert!(addr.ip().is_loopback());

    let text = get(addr, "/metrics", "");
    assert_eq!(text.status, 200);
    assert_eq!(
        text.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    assert_eq!(
        text.text(),
        coremeter_encode::render(&registry, coremeter_encode::Format::Text)
    );
    assert_eq!(sample(text.text(), "jobs_total"), Some(7.0));

    let om = get(
        addr,
        "/metrics",
        &format!("Accept: {PROMETHEUS_ACCEPT}\r\n"),
    );
    assert_eq!(
        om.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    assert!(om.text().ends_with("# EOF\n"));

    // A config's `params: {format: [text]}` pins the text format whatever Accept says.
    let pinned = get(
        addr,
        "/metrics?format=text",
        &format!("Accept: {PROMETHEUS_ACCEPT}\r\n"),
    );
    assert_eq!(pinned.text(), text.text());
    let bad = get(addr, "/metrics?format=json", "");
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("format=text"), "{}", bad.text());

    let gz = get(addr, "/metrics", "Accept-Encoding: gzip, deflate\r\n");
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    let mut plain = String::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_string(&mut plain)
        .unwrap();
    assert_eq!(plain, text.text());

    let filtered = get(
        addr,
        "/metrics?name[]=queue_depth&name%5B%5D=latency_seconds_count",
        "",
    );
    assert_eq!(
        filtered.text(),
        "# HELP queue_depth Jobs waiting.\n# TYPE queue_depth gauge\nqueue_depth 4\n\
         # HELP latency_seconds Latency.\n# TYPE latency_seconds histogram\nlatency_seconds_count 1\n"
    );

    let head = head(addr, "/metrics");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
}

#[test]
fn wrong_paths_methods_and_malformed_requests_get_errors_and_the_server_goes_on() {
    let (registry, _) = registry();
    let server = start_http_server("127.0.0.1:0", &registry).unwrap();
    let addr = server.local_addr();

    assert_eq!(get(addr, "/", "").status, 404);
    // Off unless enabled.
    assert_eq!(get(addr, "/metricsandreset", "").status, 404);
    let post = request(addr, &format!("POST /metrics HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")).unwrap();
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));

    for garbage in [
        "GARBAGE\r\n\r\n",
        "GET /metrics HTTP/9.9\r\n\r\n",
        "GET /metrics HTTP/1.1\r\nBad Header\r\n\r\n",
        "\x00\x01\x02\r\n\r\n",
    ] {
        let response = request(addr, garbage).unwrap();
        assert_eq!(response.status, 400, "{garbage:?}");
    }
    assert_eq!(get(addr, "/metrics", "").status, 200);
}

#[test]
fn credentials_are_required_when_configured() {
    let (registry, _) = registry();
    let basic = HttpServer::new(&registry)
        .auth(Auth::basic("prom", "pa:ss"))
        .start("127.0.0.1:0")
        .unwrap();
    let addr = basic.local_addr();
    let denied = get(addr, "/metrics", "");
    assert_eq!(denied.status, 401);
    assert!(
        denied
            .header("www-authenticate")
            .unwrap()
            .starts_with("Basic realm=")
    );
    assert!(!denied.text().contains("jobs"));
    // "prom:pa:sx" and "prom:pa:ss" in base64.
    assert_eq!(
        get(
            addr,
            "/metrics",
            "Authorization: Basic cHJvbTpwYTpzeA==\r\n"
        )
        .status,
        401
    );
    assert_eq!(
        get(
            addr,
            "/metrics",
            "Authorization: Bearer cHJvbTpwYTpzcw==\r\n"
        )
        .status,
        401
    );
    let ok = get(
        addr,
        "/metrics",
        "Authorization: Basic cHJvbTpwYTpzcw==\r\n",
    );
    assert_eq!(ok.status, 200);
    assert!(ok.text().contains("jobs_total 0"));

    let bearer = HttpServer::new(&registry)
        .auth(Auth::bearer("t0ken"))
        .start("127.0.0.1:0")
        .unwrap();
    let addr = bearer.local_addr();
    assert_eq!(
        get(addr, "/metrics", "Authorization: Bearer t0ke\r\n").status,
        401
    );
    assert_eq!(
        get(addr, "/metrics", "Authorization: Bearer t0ken\r\n").status,
        200
    );
}

/// Updates from 2 threads while a client loops on `/metricsandreset`: the values of all the
/// responses plus what is left add up to exactly what was counted.
#[test]
fn metrics_and_reset_delivers_every_update_exactly_once() {
    let (registry, jobs) = registry();
    let server = HttpServer::new(&registry)
        .metrics_and_reset(true)
        .start("127.0.0.1:0")
        .unwrap();
    let addr = server.local_addr();
    let stop = Arc::new(AtomicBool::new(false));
    let per_thread = 300_000u64;
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let jobs = jobs.clone();
            std::thread::spawn(move || {
                for _ in 0..per_thread {
                    jobs.inc();
                }
            })
        })
        .collect();
    let mut seen = 0.0;
    let mut responses = 0;
    let scraper = {
        let stop = Arc::clone(&stop);
        move || {
            while !stop.load(Ordering::Relaxed) {
                let r = get(addr, "/metricsandreset", "");
                assert_eq!(r.header("cache-control"), Some("no-store"));
                seen += sample(r.text(), "jobs_total").unwrap();
                responses += 1;
            }
            (seen, responses)
        }
    };
    let scraper = std::thread::spawn(scraper);
    for w in workers {
        w.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    let (seen, responses) = scraper.join().unwrap();
    let rest = sample(get(addr, "/metricsandreset", "").text(), "jobs_total").unwrap();
    assert!(
        responses > 1,
        "only {responses} scrapes overlapped the updates"
    );
    assert_eq!(seen + rest, (2 * per_thread) as f64);
    // /metrics does not reset, nor does a HEAD of /metricsandreset (its answer has no body to
    // carry the values).
    jobs.inc_by(5);
    assert_eq!(
        sample(get(addr, "/metrics", "").text(), "jobs_total"),
        Some(5.0)
    );
    let head = head(addr, "/metricsandreset");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(
        sample(get(addr, "/metricsandreset", "").text(), "jobs_total"),
        Some(5.0)
    );
}

#[test]
fn slow_and_silent_clients_are_cut_off() {
    let (registry, _) = registry();
    let server = HttpServer::new(&registry)
        .header_timeout(Duration::from_millis(500))
        .idle_timeout(Duration::from_secs(2))
        .start("127.0.0.1:0")
        .unwrap();
    let addr = server.local_addr();

    // Silent from the start.
    let start = Instant::now();
    let mut silent = TcpStream::connect(addr).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = Vec::new();
    let _ = silent.read_to_end(&mut buf);
    let held = start.elapsed();
    assert!(held < Duration::from_secs(3), "held for {held:?}");

    // Slowloris: one header byte every 100 ms never completes within the header timeout.
    let start = Instant::now();
    let mut slow = TcpStream::connect(addr).unwrap();
    let request = format!(
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n"
    );
    let mut cut = false;
    for byte in request.as_bytes() {
        if slow.write_all(&[*byte]).is_err() {
            cut = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        if start.elapsed() > Duration::from_secs(5) {
            break;
        }
    }
    if !cut {
        slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = Vec::new();
        let _ = slow.read_to_end(&mut buf);
        assert!(
            !String::from_utf8_lossy(&buf).contains("jobs_total"),
            "the slow request was served"
        );
    }
    assert!(
        start.elapsed() < Duration::from_secs(6),
        "slowloris held for {:?}",
        start.elapsed()
    );

    // Keep-alive connection that goes silent after one request.
    let start = Instant::now();
    let mut idle = TcpStream::connect(addr).unwrap();
    idle.write_all(format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut all = Vec::new();
    let _ = idle.read_to_end(&mut all);
    assert!(String::from_utf8_lossy(&all).contains("jobs_total"));
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "idle keep-alive held for {:?}",
        start.elapsed()
    );

    assert_eq!(get(addr, "/metrics", "").status, 200);
}

#[test]
fn connections_beyond_the_limit_wait_for_a_free_slot() {
    let (registry, _) = registry();
    let server = HttpServer::new(&registry)
        .max_connections(2)
        .start("127.0.0.1:0")
        .unwrap();
    let addr = server.local_addr();
    let hold: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut third = TcpStream::connect(addr).unwrap();
    third
        .write_all(
            format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .unwrap();
    third
        .set_read_timeout(Some(Duration::from_millis(700)))
        .unwrap();
    let mut buf = [0u8; 1];
    assert!(
        third.read(&mut buf).is_err(),
        "served beyond the connection limit"
    );
    drop(hold);
    third
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut rest = Vec::new();
    third.read_to_end(&mut rest).unwrap();
    assert!(String::from_utf8_lossy(&rest).starts_with("HTTP/1.1 200"));
}

#[test]
fn a_stopped_server_releases_its_port() {
    let (registry, _) = registry();
    let server = start_http_server("127.0.0.1:0", &registry).unwrap();
    let addr = server.local_addr();
    let _keep_alive = TcpStream::connect(addr).unwrap();
    server.stop();
    assert!(TcpStream::connect(addr).is_err());
    assert!(matches!(
        start_http_server("256.0.0.1:1", &registry),
        Err(coremeter_exporter::ServerError::Bind(_))
    ));
}

/// The handler mounted in an axum application, next to its own routes.
#[test]
fn mounts_in_axum() {
    let (registry, jobs) = registry();
    jobs.inc_by(3);
    let handler = MetricsHandler::new(&registry);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "home" }))
        .route_service("/metrics", handler);
    let thread = std::thread::spawn(move || {
        runtime.block_on(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(tokio::time::sleep(Duration::from_secs(3)))
                .await
                .unwrap()
        })
    });
    let response = get(
        addr,
        "/metrics",
        &format!("Accept: {PROMETHEUS_ACCEPT}\r\n"),
    );
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    assert!(response.text().contains("jobs_total 3\n"));
    assert_eq!(get(addr, "/", "").text(), "home");
    thread.join().unwrap();
}
