//! Exporters for `metrics-core` registries: the only crate of the workspace that does I/O.
//!
//! This crate will hold the HTTP endpoint (`/metrics`, `/metricsandreset`, a background server
//! started with one call and a service to mount in an existing server), the Pushgateway client,
//! the Graphite bridge and the process collector. It is not implemented yet.

#![forbid(unsafe_code)]
