//! Exporters for `coremeter` registries: the only crate of the workspace that does I/O.
//!
//! | what | feature | entry point |
//! | --- | --- | --- |
//! | HTTP `/metrics` on a background thread (Python's `start_http_server`), hardened against slow and hostile clients | `http` | [`start_http_server`], [`HttpServer`] |
//! | the same as a hyper / tower service to mount at any path of your own server (axum) | `http` | [`MetricsHandler`] |
//! | HTTPS, client certificates (mTLS) | `tls` | [`TlsConfig`] |
//! | Basic or bearer authentication | `http` | [`Auth`] |
//! | Pushgateway `push`, `push_add`, `delete`, blocking or `async`, and periodic pushes (`https://` and client certificates with `tls`) | `push` | [`Pushgateway`], [`PeriodicPush`] |
//! | Graphite plaintext bridge | `graphite` | [`GraphiteBridge`] |
//! | `process_*` metrics (Linux) | `process` | [`ProcessCollector`] |
//! | `tokio_*` metrics of a tokio runtime | `tokio` | [`TokioCollector`] |
//! | request metrics of a tower HTTP server (axum, hyper, tonic), OpenTelemetry's names | `tower` (`axum`: routes from `MatchedPath`) | [`HttpMetricsLayer`] |
//!
//! Default features: `http`, `push`, `graphite`, `process`; `tls` (rustls) is opt-in. Every
//! entry point takes a [`SharedRegistry`]: `coremeter::default_registry()` or an
//! `Arc<Registry>`. Rendering is [`coremeter_encode`]'s: the format follows the `Accept` header,
//! gzip follows `Accept-Encoding`, and `name[]` query parameters filter.
//!
//! # Examples
//!
//! ```
//! use std::sync::Arc;
//! use coremeter::{Counter, Opts, Registry};
//!
//! let registry = Arc::new(Registry::new());
//! let requests = Counter::new();
//! registry.register(Opts::new("requests", "Requests served."), requests.clone())?;
//! # #[cfg(feature = "process")]
//! coremeter_exporter::ProcessCollector::register(&registry)?;
//!
//! # #[cfg(feature = "http")] {
//! let server = coremeter_exporter::start_http_server("127.0.0.1:0", &registry)?;
//! println!("curl http://{}/metrics", server.local_addr());
//! requests.inc();
//! server.stop();
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod shared;
pub use shared::SharedRegistry;

#[cfg(feature = "http")]
mod handler;
#[cfg(feature = "http")]
mod server;
#[cfg(feature = "http")]
pub use handler::{Auth, DEFAULT_SCRAPE_TIMEOUT, MetricsHandler, ResponseFuture};
#[cfg(feature = "http")]
pub use server::{HttpServer, ServerError, ServerHandle, start_http_server};

#[cfg(feature = "tls")]
mod tls;
#[cfg(feature = "tls")]
pub use tls::{TlsConfig, TlsError};

#[cfg(feature = "push")]
mod push;
#[cfg(feature = "push")]
pub use push::{PushError, Pushgateway};

#[cfg(feature = "push")]
mod push_periodic;
#[cfg(feature = "push")]
pub use push_periodic::{PeriodicPush, PushHandle};

#[cfg(feature = "graphite")]
mod graphite;
#[cfg(feature = "graphite")]
pub use graphite::{BridgeHandle, GraphiteBridge, LabelStyle};

#[cfg(feature = "process")]
mod process;
#[cfg(feature = "process")]
pub use process::ProcessCollector;

#[cfg(feature = "tower")]
mod http_layer;
#[cfg(feature = "tower")]
pub use http_layer::{
    HTTP_DURATION_BUCKETS, HttpMetricsFuture, HttpMetricsLayer, HttpMetricsService, UNMATCHED_ROUTE,
};

#[cfg(feature = "tokio")]
mod tokio_runtime;
#[cfg(feature = "tokio")]
pub use tokio_runtime::TokioCollector;
