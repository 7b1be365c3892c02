//! axum: the metrics endpoint mounted in an application that already runs a server.
//!
//! Shows: `MetricsHandler` (a tower service) on `/metrics` next to the application's own routes,
//! with the application's handler instrumented by `#[timed]` and `#[in_progress]` on an
//! `async fn`; one server, one port, one runtime (the application's).
//!
//! Run: `cargo run --example axum`, then `curl http://127.0.0.1:3000/hello` and
//! `curl http://127.0.0.1:3000/metrics`. `--addr HOST:PORT` changes the address (port 0: the
//! system chooses); `--seconds N` stops after N seconds.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use coremeter::{Counter, Gauge, Histogram, Metrics, default_registry, in_progress, timed};
use coremeter_examples::Options;
use coremeter_exporter::MetricsHandler;

/// The application's metrics, in the default registry.
#[derive(Metrics)]
#[metrics(namespace = "axum_example", static = APP)]
struct AppMetrics {
    /// Greetings served.
    greetings: Counter,
    /// Greetings being served.
    in_flight: Gauge,
    /// Time to greet.
    #[metric(unit = "seconds", buckets = exponential(0.000_1, 4.0, 8))]
    greeting_duration: Histogram,
}

#[timed(APP.greeting_duration)]
#[in_progress(APP.in_flight)]
async fn hello() -> &'static str {
    APP.greetings.inc();
    tokio::time::sleep(Duration::from_millis(2)).await;
    "hello\n"
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = Options::parse("axum", &[("--addr", "HOST:PORT"), ("--seconds", "N")])?;
    let addr = options.get("--addr").unwrap_or("127.0.0.1:3000");
    let seconds = options.seconds()?;
    let app = Router::new()
        .route("/hello", get(hello))
        .route_service("/metrics", MetricsHandler::new(default_registry()));
    coremeter_examples::serve_axum(app, addr, seconds, |local| {
        format!("try http://{local}/hello, then http://{local}/metrics")
    })
    .await
}
