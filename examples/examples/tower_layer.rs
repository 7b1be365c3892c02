//! tower_layer: request metrics of an axum application from `HttpMetricsLayer` (OpenTelemetry's
//! HTTP names: `http_server_request_duration_seconds`, `http_server_active_requests`), and the
//! tokio runtime's own metrics from `TokioCollector`, in one registry served at `/metrics`.
//!
//! Run: `cargo run --example tower_layer`, then `curl http://127.0.0.1:3001/users/7` (or any
//! path) and `curl http://127.0.0.1:3001/metrics`. `--addr HOST:PORT` changes the address (port
//! 0: the system chooses); `--seconds N` stops after N seconds.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use coremeter::Registry;
use coremeter_examples::Options;
use coremeter_exporter::{HttpMetricsLayer, MetricsHandler, TokioCollector};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = Options::parse(
        "tower_layer",
        &[("--addr", "HOST:PORT"), ("--seconds", "N")],
    )?;
    let addr = options.get("--addr").unwrap_or("127.0.0.1:3001");
    let seconds = options.seconds()?;
    let registry = Arc::new(Registry::new());
    TokioCollector::register(&registry, tokio::runtime::Handle::current())?;
    let app = Router::new()
        .route("/users/{id}", get(|| async { "a user\n" }))
        // Measured: the application's routes (the layer applies to the routes above it).
        .layer(HttpMetricsLayer::new(&registry)?)
        .route_service("/metrics", MetricsHandler::new(&registry));
    coremeter_examples::serve_axum(app, addr, seconds, |local| {
        format!("try http://{local}/users/7, then http://{local}/metrics")
    })
    .await
}
