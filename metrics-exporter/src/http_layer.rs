//! Request metrics for HTTP servers built on tower (axum, hyper, tonic): a [`Layer`] named after
//! the OpenTelemetry HTTP semantic conventions in their Prometheus form.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use std::time::Instant;

use coremeter::{Buckets, DynLabels, Family, FloatGauge, Histogram, Opts, Registry, RegistryError};
use hyper::{Method, Request, Response};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

/// The route label of a request no route matched (or whose route is unknown): one bounded
/// value, never the raw path (which would make a series per URL a client makes up).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The duration histogram's buckets: the ones the OpenTelemetry HTTP semantic conventions
/// advise for `http.server.request.duration`, in seconds.
pub const HTTP_DURATION_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

type RouteOf = Arc<dyn Fn(&http::Extensions) -> Option<String> + Send + Sync>;

/// A tower [`Layer`] that measures the requests of the service it wraps, as the OpenTelemetry
/// HTTP semantic conventions name them in Prometheus:
///
/// | name | type | labels |
/// | --- | --- | --- |
/// | `http_server_request_duration_seconds` | histogram ([`HTTP_DURATION_BUCKETS`]) | `http_request_method`, `http_route`, `http_response_status_code`, `error_type` |
/// | `http_server_active_requests` | gauge | `http_request_method` |
///
/// - `http_request_method`: one of `GET`, `HEAD`, `POST`, `PUT`, `DELETE`, `CONNECT`, `OPTIONS`,
///   `TRACE`, `PATCH`, or `_OTHER` for any other method (as the conventions say): a bounded set.
/// - `http_route`: the route template that matched (axum's `MatchedPath`, with the `axum`
///   feature, or what [`route_from`](Self::route_from) reads), else [`UNMATCHED_ROUTE`]: never
///   the raw path.
/// - `http_response_status_code`: the status of the response; empty (so absent in Prometheus)
///   when none was sent.
/// - `error_type`: empty for a response (whatever its status), `cancelled` when the request's
///   future was dropped before it completed (the client went away), `panic` when the service
///   panicked (the panic goes on), `error` when the service returned an error. The duration of
///   such requests is observed too, up to their end.
///
/// Label sets are bounded by the families' cardinality limit (2,000 each by default, see
/// [`Family::with_limit`]) like any other family.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use coremeter::Registry;
/// use coremeter_exporter::HttpMetricsLayer;
///
/// let registry = Arc::new(Registry::new());
/// let layer = HttpMetricsLayer::new(&registry)?;
/// let app: axum::Router = axum::Router::new()
///     .route("/users/{id}", axum::routing::get(|| async { "user" }))
///     .layer(layer);
/// # let _ = app;
/// # Ok::<(), coremeter::RegistryError>(())
/// ```
#[derive(Clone)]
pub struct HttpMetricsLayer {
    metrics: Arc<HttpMetrics>,
}

#[derive(Clone)]
struct HttpMetrics {
    duration: Family<DynLabels, Histogram>,
    active: Family<DynLabels, FloatGauge>,
    route_of: RouteOf,
}

impl HttpMetricsLayer {
    /// A layer whose metrics are registered in `registry`.
    ///
    /// # Errors
    ///
    /// [`RegistryError::Duplicate`] when the registry has them already (one layer per registry,
    /// cloned onto every router that should share it).
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = coremeter::Registry::new();
    /// let layer = coremeter_exporter::HttpMetricsLayer::new(&registry)?;
    /// assert!(coremeter_exporter::HttpMetricsLayer::new(&registry).is_err());
    /// # let _ = layer;
    /// # Ok::<(), coremeter::RegistryError>(())
    /// ```
    pub fn new(registry: &Registry) -> Result<Self, RegistryError> {
        let names = [
            "http_request_method",
            "http_route",
            "http_response_status_code",
            "error_type",
        ];
        let buckets = Buckets::new(&HTTP_DURATION_BUCKETS).unwrap_or_default();
        let duration =
            Family::<DynLabels, Histogram>::with_label_names_and_config(&names, buckets)?;
        let active = Family::<DynLabels, FloatGauge>::with_label_names(&["http_request_method"])?;
        registry.register(
            Opts::new(
                "http_server_request_duration",
                "Duration of HTTP server requests.",
            )
            .unit("seconds"),
            duration.clone(),
        )?;
        registry.register(
            Opts::new(
                "http_server_active_requests",
                "HTTP server requests being served.",
            ),
            active.clone(),
        )?;
        Ok(HttpMetricsLayer {
            metrics: Arc::new(HttpMetrics {
                duration,
                active,
                route_of: Arc::new(default_route),
            }),
        })
    }

    /// Reads the route template of a request from its extensions (where the router put it),
    /// instead of axum's `MatchedPath`. `None` is [`UNMATCHED_ROUTE`].
    ///
    /// # Examples
    ///
    /// ```
    /// #[derive(Clone)]
    /// struct Route(&'static str);
    ///
    /// let registry = coremeter::Registry::new();
    /// let layer = coremeter_exporter::HttpMetricsLayer::new(&registry)?
    ///     .route_from(|ext| ext.get::<Route>().map(|r| r.0.to_owned()));
    /// # let _ = layer;
    /// # Ok::<(), coremeter::RegistryError>(())
    /// ```
    #[must_use]
    pub fn route_from(
        mut self,
        route: impl Fn(&http::Extensions) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        let metrics = Arc::make_mut(&mut self.metrics);
        metrics.route_of = Arc::new(route);
        self
    }
}

/// axum's `MatchedPath`, with the `axum` feature.
fn default_route(extensions: &http::Extensions) -> Option<String> {
    #[cfg(feature = "axum")]
    if let Some(path) = extensions.get::<axum::extract::MatchedPath>() {
        return Some(path.as_str().to_owned());
    }
    let _ = extensions;
    None
}

/// The `http_request_method` label of a method: the standard ones, or `_OTHER`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::CONNECT => "CONNECT",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::PATCH => "PATCH",
        _ => "_OTHER",
    }
}

impl<S> Layer<S> for HttpMetricsLayer {
    type Service = HttpMetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HttpMetricsService {
            inner,
            metrics: Arc::clone(&self.metrics),
        }
    }
}

/// The service an [`HttpMetricsLayer`] wraps around another.
#[derive(Clone)]
pub struct HttpMetricsService<S> {
    inner: S,
    metrics: Arc<HttpMetrics>,
}

impl<S, B, ResBody> Service<Request<B>> for HttpMetricsService<S>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = HttpMetricsFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let method = method_label(request.method());
        let route =
            (self.metrics.route_of)(request.extensions()).unwrap_or_else(|| UNMATCHED_ROUTE.into());
        let active = self
            .metrics
            .active
            .labels(&[method])
            .map(|g| g.into_owned())
            .ok();
        if let Some(active) = &active {
            active.inc();
        }
        HttpMetricsFuture {
            inner: self.inner.call(request),
            request: Some(InFlight {
                metrics: Arc::clone(&self.metrics),
                method,
                route,
                active,
                start: Instant::now(),
                ended: false,
            }),
        }
    }
}

/// A request being served: recorded once, when it ends however it ends (a dropped one as
/// `cancelled`, or `panic` while unwinding).
struct InFlight {
    metrics: Arc<HttpMetrics>,
    method: &'static str,
    route: String,
    active: Option<FloatGauge>,
    start: Instant,
    ended: bool,
}

impl InFlight {
    fn end(&mut self, status: &str, error_type: &str) {
        if std::mem::replace(&mut self.ended, true) {
            return;
        }
        let seconds = self.start.elapsed().as_secs_f64();
        if let Ok(h) = self
            .metrics
            .duration
            .labels(&[self.method, &self.route, status, error_type])
        {
            h.observe(seconds);
        }
        if let Some(active) = &self.active {
            active.dec();
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let error_type = if std::thread::panicking() {
            "panic"
        } else {
            "cancelled"
        };
        self.end("", error_type);
    }
}

pin_project! {
    /// The future of a request through an [`HttpMetricsService`].
    pub struct HttpMetricsFuture<F> {
        #[pin]
        inner: F,
        request: Option<InFlight>,
    }
}

impl<F, ResBody, E> Future for HttpMetricsFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let output = std::task::ready!(this.inner.poll(cx));
        if let Some(mut request) = this.request.take() {
            match &output {
                Ok(response) => {
                    let mut status = itoa::Buffer::new();
                    request.end(status.format(response.status().as_u16()), "");
                }
                Err(_) => request.end("", "error"),
            }
        }
        Poll::Ready(output)
    }
}

impl<F> fmt::Debug for HttpMetricsFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpMetricsFuture").finish_non_exhaustive()
    }
}

impl<S> fmt::Debug for HttpMetricsService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpMetricsService").finish_non_exhaustive()
    }
}

impl fmt::Debug for HttpMetricsLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpMetricsLayer").finish_non_exhaustive()
    }
}
