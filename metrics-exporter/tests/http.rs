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
        coremeter_encode::render(&registry, coremeter_encode::Format::Text).expect("renders")
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

/// With credentials required, an anonymous client learns nothing of the routes: every path and
/// method answers 401, whether the reset route is enabled or not.
#[test]
fn without_credentials_every_request_gets_401() {
    let (registry, _) = registry();
    for reset in [false, true] {
        let server = HttpServer::new(&registry)
            .auth(Auth::bearer("t0ken"))
            .metrics_and_reset(reset)
            .start("127.0.0.1:0")
            .unwrap();
        let addr = server.local_addr();
        for (method, path) in [
            ("GET", "/metrics"),
            ("GET", "/nope"),
            ("GET", "/metricsandreset"),
            ("POST", "/metrics"),
            ("DELETE", "/anything"),
            ("HEAD", "/"),
        ] {
            let raw = format!(
                "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            assert_eq!(
                request(addr, &raw).unwrap().status,
                401,
                "{method} {path} (reset route {reset})"
            );
        }
        let authorized = "Authorization: Bearer t0ken\r\n";
        assert_eq!(get(addr, "/nope", authorized).status, 404);
        let reset_status = get(addr, "/metricsandreset", authorized).status;
        assert_eq!(reset_status, if reset { 200 } else { 404 });
    }
}

/// A callback that blocks delays only the scrapes that read it: the server keeps answering
/// everything else at once, answers the blocked scrape 503 at its timeout, and its header
/// timeout still closes a silent connection meanwhile.
#[test]
fn a_blocking_callback_delays_only_the_scrapes_that_read_it() {
    let (registry, _) = registry();
    let blocking = Arc::new(AtomicBool::new(true));
    let flag = Arc::clone(&blocking);
    registry
        .register(
            Opts::new("slow_probe", "A callback that blocks."),
            coremeter::FnGauge::new(move || {
                while flag.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(10));
                }
                1.0
            }),
        )
        .unwrap();
    let server = HttpServer::new(&registry)
        .scrape_timeout(Duration::from_millis(700))
        .header_timeout(Duration::from_millis(500))
        .start("127.0.0.1:0")
        .unwrap();
    let addr = server.local_addr();
    // The scrape that reads the callback: 503 at its timeout.
    let blocked = std::thread::spawn(move || {
        let start = Instant::now();
        let response = get(addr, "/metrics", "");
        (response.status, start.elapsed())
    });
    std::thread::sleep(Duration::from_millis(100));
    let quick = |path: &str| {
        let start = Instant::now();
        let status = get(addr, path, "").status;
        (status, start.elapsed())
    };
    for (path, want) in [("/nope", 404), ("/metrics?name[]=jobs", 200)] {
        let (status, took) = quick(path);
        assert_eq!(status, want, "{path}");
        assert!(took < Duration::from_millis(300), "{path} took {took:?}");
    }
    let mut silent = TcpStream::connect(addr).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let start = Instant::now();
    let _ = silent.read(&mut [0u8; 1]);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "a silent connection held {:?} while a callback blocked",
        start.elapsed()
    );
    let (status, took) = blocked.join().unwrap();
    assert_eq!(status, 503);
    assert!(
        took < Duration::from_secs(2),
        "the blocked scrape took {took:?}"
    );
    // A Prometheus scrape timeout shorter than the server's applies.
    let start = Instant::now();
    let response = get(
        addr,
        "/metrics",
        "X-Prometheus-Scrape-Timeout-Seconds: 0.2\r\n",
    );
    assert_eq!(response.status, 503);
    assert!(start.elapsed() < Duration::from_millis(600));
    blocking.store(false, Ordering::Relaxed);
    assert_eq!(get(addr, "/metrics", "").status, 200);
}

#[test]
fn compression_can_be_turned_off() {
    let (registry, _) = registry();
    let server = HttpServer::new(&registry)
        .compression(false)
        .start("127.0.0.1:0")
        .unwrap();
    let response = get(server.local_addr(), "/metrics", "Accept-Encoding: gzip\r\n");
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-encoding"), None);
    assert!(response.text().contains("jobs_total 0"));
}

/// A panicking collector: 500 with a one-line reason, and the server goes on.
#[test]
fn a_panicking_collector_gets_500_and_the_server_goes_on() {
    struct Broken;
    impl coremeter::Collector for Broken {
        fn collect(&self) -> Vec<coremeter::MetricFamily> {
            panic!("broken collector")
        }
    }
    let registry = Arc::new(Registry::new());
    let armed = Arc::new(AtomicBool::new(false));
    struct Later(Arc<AtomicBool>);
    impl coremeter::Collector for Later {
        fn collect(&self) -> Vec<coremeter::MetricFamily> {
            if self.0.load(Ordering::Relaxed) {
                Broken.collect()
            } else {
                Vec::new()
            }
        }
    }
    registry
        .register_collector(Later(Arc::clone(&armed)))
        .unwrap();
    let server = HttpServer::new(&registry).start("127.0.0.1:0").unwrap();
    let addr = server.local_addr();
    armed.store(true, Ordering::Relaxed);
    let response = get(addr, "/metrics", "");
    assert_eq!(response.status, 500);
    assert_eq!(response.text().lines().count(), 1);
    armed.store(false, Ordering::Relaxed);
    assert_eq!(get(addr, "/metrics", "").status, 200);
}

/// A collector that panics during `/metricsandreset` resets nothing: the reply is `500`, every
/// counter keeps what it counted, and the next reset scrape delivers it.
#[test]
fn a_reset_that_fails_resets_nothing() {
    struct Once(Arc<AtomicBool>);
    impl coremeter::Collector for Once {
        fn collect(&self) -> Vec<coremeter::MetricFamily> {
            if self.0.swap(false, Ordering::Relaxed) {
                panic!("the queue is gone");
            }
            Vec::new()
        }
    }
    let (registry, jobs) = registry();
    let armed = Arc::new(AtomicBool::new(false));
    registry
        .register_collector(Once(Arc::clone(&armed)))
        .unwrap();
    let server = HttpServer::new(&registry)
        .metrics_and_reset(true)
        .start("127.0.0.1:0")
        .unwrap();
    let addr = server.local_addr();
    jobs.inc_by(100);
    armed.store(true, Ordering::Relaxed);
    let failed = get(addr, "/metricsandreset", "");
    assert_eq!(failed.status, 500);
    assert_eq!(failed.text().lines().count(), 1);
    assert!(
        failed.text().contains("the queue is gone"),
        "{}",
        failed.text()
    );
    assert_eq!(jobs.get(), 100, "the failed reset reset the counter");
    let next = get(addr, "/metricsandreset", "");
    assert_eq!(next.status, 200);
    assert_eq!(sample(next.text(), "jobs_total"), Some(100.0));
    assert_eq!(jobs.get(), 0);
}

/// A reset scrape that names part of a family (`latency_seconds_count`) is refused with `400`
/// and resets nothing; naming the family resets it, and returns all of it.
#[test]
fn a_reset_of_part_of_a_family_is_refused() {
    let (registry, _) = registry();
    let latency = Histogram::with_buckets(&[0.5]).unwrap();
    registry
        .register(Opts::new("h", "H."), latency.clone())
        .unwrap();
    for _ in 0..14 {
        latency.observe(0.25);
    }
    let server = HttpServer::new(&registry)
        .metrics_and_reset(true)
        .start("127.0.0.1:0")
        .unwrap();
    let addr = server.local_addr();
    let refused = get(addr, "/metricsandreset?name[]=h_count", "");
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.text(),
        "a reset scrape resets whole families: h_count is part of histogram h (ask for h)\n"
    );
    let kept = latency.get();
    assert_eq!((kept.value().count(), kept.value().sum()), (14, 3.5));
    // Other families named beside it are not reset either.
    let both = get(addr, "/metricsandreset?name[]=jobs&name[]=h_sum", "");
    assert_eq!(both.status, 400);
    let whole = get(addr, "/metricsandreset?name[]=h", "");
    assert_eq!(whole.status, 200);
    let text = whole.text();
    assert_eq!(sample(text, "h_count"), Some(14.0));
    assert_eq!(sample(text, "h_sum"), Some(3.5));
    assert_eq!(sample(text, "h_bucket{le=\"0.5\"}"), Some(14.0));
    assert_eq!(latency.get().value().count(), 0);
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
    // The workers go on until the scraper has answered a few times while they ran (an
    // increment takes a few nanoseconds, a scrape far longer), and count what they did.
    let answered = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (jobs, answered) = (jobs.clone(), Arc::clone(&answered));
            std::thread::spawn(move || {
                let mut done = 0u64;
                while done < 300_000 || answered.load(Ordering::Relaxed) < 5 {
                    jobs.inc();
                    done += 1;
                }
                done
            })
        })
        .collect();
    let mut seen = 0.0;
    let mut responses = 0;
    let scraper = {
        let (stop, answered) = (Arc::clone(&stop), Arc::clone(&answered));
        move || {
            while !stop.load(Ordering::Relaxed) {
                let r = get(addr, "/metricsandreset", "");
                assert_eq!(r.header("cache-control"), Some("no-store"));
                seen += sample(r.text(), "jobs_total").unwrap();
                responses += 1;
                answered.fetch_add(1, Ordering::Relaxed);
            }
            (seen, responses)
        }
    };
    let scraper = std::thread::spawn(scraper);
    let counted: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    stop.store(true, Ordering::Relaxed);
    let (seen, responses) = scraper.join().unwrap();
    let rest = sample(get(addr, "/metricsandreset", "").text(), "jobs_total").unwrap();
    assert!(
        responses > 1,
        "only {responses} scrapes overlapped the updates"
    );
    assert_eq!(seen + rest, counted as f64);
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
        .response_timeout(Duration::from_secs(2))
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
fn at_the_connection_limit_the_longest_waiting_connection_makes_room() {
    let (registry, _) = registry();
    let server = HttpServer::new(&registry)
        .max_connections(2)
        .start("127.0.0.1:0")
        .unwrap();
    let addr = server.local_addr();
    // Two connections that never send a request hold both slots ...
    let mut hold: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    // ... until a client that sends one arrives: it is served at once, in place of the oldest.
    let start = Instant::now();
    let response = get(addr, "/metrics", "");
    assert_eq!(response.status, 200);
    assert!(start.elapsed() < Duration::from_secs(1));
    hold[0]
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 1];
    assert_eq!(
        hold[0].read(&mut buf).unwrap_or(0),
        0,
        "the oldest silent connection was closed"
    );
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
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "home" }))
        .route_service("/metrics", handler.clone())
        .route_service("/internal/metrics", handler);
    let addr = common::serve_axum(app);
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
    // Mounted at another path with route_service, it serves there too.
    let elsewhere = get(addr, "/internal/metrics", "");
    assert_eq!(elsewhere.status, 200);
    assert!(elsewhere.text().contains("jobs_total 3\n"));
    assert_eq!(get(addr, "/", "").text(), "home");
}
