//! The HTTP metrics layer in a real axum server on 127.0.0.1, with real requests: routes from
//! `MatchedPath`, the unmatched fallback, statuses, methods outside the standard set, the gauge
//! of requests in flight, and requests that are cancelled or panic.
#![cfg(feature = "axum")]

mod common;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::routing::get;
use common::{get as http_get, request, wait_for};
use coremeter::Registry;
use coremeter_exporter::HttpMetricsLayer;

fn serve(registry: &Arc<Registry>) -> SocketAddr {
    let layer = HttpMetricsLayer::new(registry).unwrap();
    let app = axum::Router::new()
        .route("/users/{id}", get(|| async { "user" }))
        .route("/fail", get(|| async { StatusCode::INTERNAL_SERVER_ERROR }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(400)).await;
                "slow"
            }),
        )
        .route(
            "/panic",
            get(|| async {
                panic!("the handler panics");
                #[allow(unreachable_code)]
                ""
            }),
        )
        .layer(layer);
    common::serve_axum(app)
}

fn count(registry: &Registry, labels: [(&str, &str); 4]) -> f64 {
    registry
        .sample_value("http_server_request_duration_seconds_count", &labels)
        .unwrap_or(0.0)
}

fn labels<'a>(
    method: &'a str,
    route: &'a str,
    status: &'a str,
    error: &'a str,
) -> [(&'a str, &'a str); 4] {
    [
        ("http_request_method", method),
        ("http_route", route),
        ("http_response_status_code", status),
        ("error_type", error),
    ]
}

#[test]
fn an_axum_server_measures_its_requests() {
    let registry = Arc::new(Registry::new());
    let addr = serve(&registry);
    assert_eq!(http_get(addr, "/users/1", "").status, 200);
    assert_eq!(http_get(addr, "/users/2", "").status, 200);
    assert_eq!(http_get(addr, "/fail", "").status, 500);
    assert_eq!(http_get(addr, "/no/such/path/9f3a", "").status, 404);
    let purge = request(
        addr,
        &format!("PURGE /users/3 HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )
    .unwrap();
    assert_eq!(purge.status, 405);
    assert_eq!(
        count(&registry, labels("GET", "/users/{id}", "200", "")),
        2.0
    );
    assert_eq!(count(&registry, labels("GET", "/fail", "500", "")), 1.0);
    // Never the raw path: one bounded value for whatever matched no route.
    assert_eq!(count(&registry, labels("GET", "unmatched", "404", "")), 1.0);
    assert!(
        !coremeter_encode::render(&registry, coremeter_encode::Format::Text)
            .expect("renders")
            .contains("9f3a")
    );
    assert_eq!(
        count(&registry, labels("_OTHER", "/users/{id}", "405", "")),
        1.0
    );

    // In flight: the gauge counts the slow request while it runs.
    let slow = std::thread::spawn(move || http_get(addr, "/slow", "").status);
    let active = || {
        registry
            .sample_value(
                "http_server_active_requests",
                &[("http_request_method", "GET")],
            )
            .unwrap_or(0.0)
    };
    wait_for(Duration::from_secs(5), "the slow request in flight", || {
        (active() == 1.0).then_some(())
    });
    assert_eq!(slow.join().unwrap(), 200);
    assert_eq!(active(), 0.0);
    let slow_seconds = registry
        .sample_value(
            "http_server_request_duration_seconds_sum",
            &labels("GET", "/slow", "200", ""),
        )
        .unwrap();
    assert!((0.4..5.0).contains(&slow_seconds), "{slow_seconds}");

    // A client that goes away mid-request: the request is cancelled, and counted so.
    let mut gone = TcpStream::connect(addr).unwrap();
    gone.write_all(format!("GET /slow HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    drop(gone);
    wait_for(Duration::from_secs(5), "the cancelled request", || {
        (count(&registry, labels("GET", "/slow", "", "cancelled")) == 1.0).then_some(())
    });

    // A handler that panics: counted as such (the server goes on).
    let start = Instant::now();
    let mut panicking = TcpStream::connect(addr).unwrap();
    panicking
        .write_all(
            format!("GET /panic HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .unwrap();
    panicking
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    // The connection closes without an answer.
    let _ = std::io::Read::read_to_end(&mut panicking, &mut Vec::new());
    assert!(start.elapsed() < Duration::from_secs(5));
    wait_for(Duration::from_secs(5), "the panicked request", || {
        (count(&registry, labels("GET", "/panic", "", "panic")) == 1.0).then_some(())
    });
    assert_eq!(active(), 0.0);
    assert_eq!(http_get(addr, "/users/1", "").status, 200);
}
