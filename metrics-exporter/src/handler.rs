//! The HTTP handler: routes, authentication, negotiation and rendering, on `http` types, so that
//! the embedded server, a hyper server and a tower stack (axum) share one implementation.

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use coremeter_encode::{Encoder, Format, RenderError, Scrape};
use http_body_util::Full;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode, Uri};
use subtle::ConstantTimeEq as _;
use tokio::sync::{Semaphore, oneshot};

use crate::SharedRegistry;

/// Credentials a request must carry, checked in constant time. A request without them gets
/// `401 Unauthorized` (with `WWW-Authenticate`) and no metrics.
///
/// # Examples
///
/// ```
/// use coremeter_exporter::Auth;
///
/// let basic = Auth::basic("prometheus", "s3cret");
/// let bearer = Auth::bearer("token-from-a-secret-store");
/// # let _ = (basic, bearer);
/// ```
#[derive(Clone)]
pub struct Auth(AuthKind);

#[derive(Clone)]
enum AuthKind {
    /// `user:password`, as the `Basic` scheme encodes it.
    Basic(Vec<u8>),
    Bearer(Vec<u8>),
}

impl Auth {
    /// HTTP Basic authentication (RFC 7617) with this user and password. Use it over HTTPS:
    /// Basic credentials travel in clear text otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter_exporter::{Auth, MetricsHandler};
    ///
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let handler = MetricsHandler::new(&registry).auth(Auth::basic("prom", "pw"));
    /// let anonymous = hyper::Request::get("/metrics").body(())?;
    /// assert_eq!(handler.respond(&anonymous).status(), 401);
    /// let signed = hyper::Request::get("/metrics").header("authorization", "Basic cHJvbTpwdw==").body(())?;
    /// assert_eq!(handler.respond(&signed).status(), 200);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn basic(user: impl AsRef<str>, password: impl AsRef<str>) -> Auth {
        Auth(AuthKind::Basic(
            format!("{}:{}", user.as_ref(), password.as_ref()).into_bytes(),
        ))
    }

    /// A bearer token (RFC 6750): `Authorization: Bearer <token>`, what Prometheus sends for a
    /// scrape config's `authorization: { credentials: ... }`.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter_exporter::{Auth, MetricsHandler};
    ///
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let handler = MetricsHandler::new(&registry).auth(Auth::bearer("t0ken"));
    /// let request = hyper::Request::get("/metrics").header("authorization", "Bearer t0ken").body(())?;
    /// assert_eq!(handler.respond(&request).status(), 200);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bearer(token: impl AsRef<str>) -> Auth {
        Auth(AuthKind::Bearer(token.as_ref().as_bytes().to_vec()))
    }

    fn accepts(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return false;
        };
        let Some((scheme, credentials)) =
            value.to_str().ok().and_then(|v| v.trim().split_once(' '))
        else {
            return false;
        };
        let credentials = credentials.trim();
        match &self.0 {
            AuthKind::Basic(expected) => {
                scheme.eq_ignore_ascii_case("basic")
                    && STANDARD
                        .decode(credentials)
                        .is_ok_and(|given| bool::from(given.ct_eq(expected)))
            }
            AuthKind::Bearer(expected) => {
                scheme.eq_ignore_ascii_case("bearer")
                    && bool::from(credentials.as_bytes().ct_eq(expected))
            }
        }
    }

    fn challenge(&self) -> &'static str {
        match self.0 {
            AuthKind::Basic(_) => "Basic realm=\"metrics\", charset=\"UTF-8\"",
            AuthKind::Bearer(_) => "Bearer realm=\"metrics\"",
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret.
        let scheme = match self.0 {
            AuthKind::Basic(_) => "Basic",
            AuthKind::Bearer(_) => "Bearer",
        };
        write!(f, "Auth({scheme}, <redacted>)")
    }
}

/// The metrics endpoint as an HTTP handler: what [`start_http_server`](crate::start_http_server)
/// serves, and a [`hyper`] and [`tower`](tower_service) service to mount in a server you already
/// run (axum's `Router::route_service` or `nest_service`, a hyper `serve_connection`, any tower
/// stack).
///
/// Routes (`GET` and `HEAD`; other methods get `405`):
///
/// - the metrics: at whatever path the handler is mounted at (`route_service("/internal/metrics",
///   handler)` serves there), or only at the [path](MetricsHandler::path) it is told (the
///   embedded server's is `/metrics`; other paths get `404`). The registry, in the format the
///   `Accept` header prefers (OpenMetrics 1.0.0 for Prometheus, text 0.0.4 otherwise), gzipped
///   when `Accept-Encoding` allows it and [compression](MetricsHandler::compression) is on.
/// - a path whose last segment is `metricsandreset`, when
///   [enabled](MetricsHandler::metrics_and_reset) (`404` otherwise): the same, then counters,
///   histograms, summaries and statistics restart from 0. Each update lands in exactly one such
///   response: the reset takes effect once the response is produced (see
///   [`Registry::collect_and_reset`](coremeter::Registry::collect_and_reset)); an update is lost
///   only if the response carrying it is (the client disconnects). A custom collector that fails
///   gives `500` and resets nothing; a `name[]` that names part of a family (`h_count`) gives
///   `400` and resets nothing. A `HEAD` of it resets nothing. Never point Prometheus at it next
///   to `/metrics` of the same registry: the resets break `rate()` there.
///
/// With [credentials](MetricsHandler::auth) set, every request without them gets `401`, whatever
/// its path or method: nothing about the routes is told to an anonymous client.
///
/// Query parameters: `name[]=NAME` (repeatable) restricts the output to those families or sample
/// names, as Python's `prometheus_client` does (in the protobuf format, a family named in part
/// comes whole); `format=text`, `format=openmetrics` or `format=protobuf` overrides the `Accept`
/// header (for a Prometheus scrape config's `params`, to pin a format). Anything
/// else is ignored; a `format` the handler does not know gets `400`.
///
/// As a service (hyper, tower), the handler renders on tokio's blocking threads, never on the
/// thread that serves connections, within the [scrape timeout](MetricsHandler::scrape_timeout)
/// (or the `X-Prometheus-Scrape-Timeout-Seconds` Prometheus sends, if shorter): past it the
/// answer is `503`, and a custom collector that panics gives `500` with a one-line reason (as
/// Python's client does; the registry's [error hook](coremeter::Registry::on_collect_error) is
/// told, and nothing is printed). A scrape of `/metricsandreset` is
/// never cut short, as its values would be lost with the answer.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use coremeter::{Counter, Opts, Registry};
/// use coremeter_exporter::MetricsHandler;
///
/// let registry = Arc::new(Registry::new());
/// let jobs = Counter::new();
/// registry.register(Opts::new("jobs", "Jobs run."), jobs.clone())?;
/// jobs.inc();
///
/// let handler = MetricsHandler::new(&registry);
/// let request = hyper::Request::get("/metrics?name[]=jobs").body(())?;
/// let response = handler.respond(&request);
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.headers()["content-type"], "text/plain; version=0.0.4; charset=utf-8");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct MetricsHandler {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: SharedRegistry,
    auth: Option<Auth>,
    path: Option<String>,
    reset_route: bool,
    compression: bool,
    scrape_timeout: Duration,
    /// Encoders keep their buffers and render caches between scrapes; concurrent scrapes take
    /// one each.
    pool: Mutex<Vec<Encoder>>,
    /// Renders queued and not started yet, by what they render, with the requests waiting for
    /// them: a request that asks for the same joins the queued render (which starts after it
    /// arrived, so its values are read after the request), instead of queueing one more.
    queued: Mutex<HashMap<Scrape, Vec<oneshot::Sender<Rendered>>>>,
    /// Renders running at once.
    slots: Arc<Semaphore>,
}

/// What a render gives its waiting requests.
type Rendered = Result<Bytes, RenderFailed>;

#[derive(Clone, Debug)]
enum RenderFailed {
    /// The render refused to give out what it read (a collector failed, a reset asked for part
    /// of a family).
    Refused(RenderError),
    /// The render itself panicked (a bug of this crate: collectors are caught in the registry).
    Panicked,
    /// It ran past the scrape timeout.
    TimedOut(Duration),
}

impl RenderFailed {
    /// The answer: `400` for a request to fix, `500` for a registry that could not be read,
    /// `503` for a scrape that took too long; a one-line reason.
    fn answer(&self) -> Response<Bytes> {
        match self {
            RenderFailed::Refused(e @ RenderError::PartialReset { .. }) => {
                plain(StatusCode::BAD_REQUEST, &format!("{e}\n"))
            }
            RenderFailed::Refused(e) => plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("the metrics could not be read: {e}\n"),
            ),
            RenderFailed::Panicked => plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the metrics could not be rendered\n",
            ),
            RenderFailed::TimedOut(deadline) => plain(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("the scrape took longer than {deadline:?}\n"),
            ),
        }
    }
}

impl Clone for Inner {
    fn clone(&self) -> Self {
        Inner {
            registry: self.registry.clone(),
            auth: self.auth.clone(),
            path: self.path.clone(),
            reset_route: self.reset_route,
            compression: self.compression,
            scrape_timeout: self.scrape_timeout,
            pool: Mutex::new(Vec::new()),
            queued: Mutex::new(HashMap::new()),
            slots: Arc::new(Semaphore::new(CONCURRENT_RENDERS)),
        }
    }
}

/// Renders that run at once per handler: enough for two scrapers, and few enough that a flood
/// of requests coalesces into the renders queued behind them.
const CONCURRENT_RENDERS: usize = 2;

/// Encoders kept between scrapes: enough for the usual one or two concurrent scrapers.
const POOL: usize = 4;

/// The default [scrape timeout](MetricsHandler::scrape_timeout): below Prometheus' default of
/// 10 s, so that a slow scrape is answered `503` before Prometheus gives up on it.
pub const DEFAULT_SCRAPE_TIMEOUT: Duration = Duration::from_secs(8);

/// A request the handler will render: what to render, and how to answer.
struct Render {
    scrape: Scrape,
    /// A `HEAD`: the answer has no body, and nothing is rendered (or reset).
    head: bool,
    /// How long the render may take (`None`: as long as it takes, for a reset).
    deadline: Option<Duration>,
}

impl MetricsHandler {
    /// A handler serving `registry` at the path it is mounted at, without authentication.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let handler = coremeter_exporter::MetricsHandler::new(&registry);
    /// let request = hyper::Request::get("/internal/metrics").body(())?;
    /// assert_eq!(handler.respond(&request).status(), 200);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(registry: impl Into<SharedRegistry>) -> Self {
        MetricsHandler {
            inner: Arc::new(Inner {
                registry: registry.into(),
                auth: None,
                path: None,
                reset_route: false,
                compression: true,
                scrape_timeout: DEFAULT_SCRAPE_TIMEOUT,
                pool: Mutex::new(Vec::new()),
                queued: Mutex::new(HashMap::new()),
                slots: Arc::new(Semaphore::new(CONCURRENT_RENDERS)),
            }),
        }
    }

    /// Requires these credentials on every request, whatever its path or method.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter_exporter::{Auth, MetricsHandler};
    ///
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let handler = MetricsHandler::new(&registry).auth(Auth::bearer("s3cret")).path("/metrics");
    /// let request = hyper::Request::get("/metrics").body(())?;
    /// assert_eq!(handler.respond(&request).headers()["www-authenticate"], "Bearer realm=\"metrics\"");
    /// let elsewhere = hyper::Request::delete("/nope").body(())?;
    /// assert_eq!(handler.respond(&elsewhere).status(), 401);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn auth(mut self, auth: Auth) -> Self {
        self.inner_mut().auth = Some(auth);
        self
    }

    /// Serves the metrics only at `path` (other paths get `404`); without it, at whatever path
    /// the handler is mounted at.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let handler = coremeter_exporter::MetricsHandler::new(&registry).path("/internal/metrics");
    /// let request = hyper::Request::get("/internal/metrics").body(())?;
    /// assert_eq!(handler.respond(&request).status(), 200);
    /// let other = hyper::Request::get("/metrics").body(())?;
    /// assert_eq!(handler.respond(&other).status(), 404);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.inner_mut().path = Some(path.into());
        self
    }

    /// Serves `/metricsandreset` too (off by default: see the type's documentation).
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let handler = coremeter_exporter::MetricsHandler::new(&registry).metrics_and_reset(true);
    /// let request = hyper::Request::get("/metricsandreset").body(())?;
    /// assert_eq!(handler.respond(&request).status(), 200);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn metrics_and_reset(mut self, enabled: bool) -> Self {
        self.inner_mut().reset_route = enabled;
        self
    }

    /// Whether to gzip an answer when the request's `Accept-Encoding` allows it (on by default;
    /// Python's `disable_compression`). Turn it off when a proxy in front compresses, or to save
    /// the CPU.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let handler = coremeter_exporter::MetricsHandler::new(&registry).compression(false);
    /// let request = hyper::Request::get("/metrics").header("accept-encoding", "gzip").body(())?;
    /// assert!(handler.respond(&request).headers().get("content-encoding").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn compression(mut self, enabled: bool) -> Self {
        self.inner_mut().compression = enabled;
        self
    }

    /// How long a scrape may take before it is answered `503` (default
    /// [`DEFAULT_SCRAPE_TIMEOUT`], 8 s); a request carrying Prometheus'
    /// `X-Prometheus-Scrape-Timeout-Seconds` gets the shorter of the two. Applies where the
    /// handler renders off the serving thread (as a service, and in the embedded server); a
    /// reset scrape is never cut short.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let handler = coremeter_exporter::MetricsHandler::new(&registry)
    ///     .scrape_timeout(std::time::Duration::from_secs(2));
    /// # let _ = handler;
    /// ```
    #[must_use]
    pub fn scrape_timeout(mut self, timeout: Duration) -> Self {
        self.inner_mut().scrape_timeout = timeout;
        self
    }

    fn inner_mut(&mut self) -> &mut Inner {
        // Builder methods run before the handler is shared; afterwards they copy it.
        Arc::make_mut(&mut self.inner)
    }

    /// The registry it serves.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let handler = coremeter_exporter::MetricsHandler::new(&registry);
    /// assert!(handler.registry().samples().is_empty());
    /// ```
    pub fn registry(&self) -> &SharedRegistry {
        &self.inner.registry
    }

    /// Answers one request on the calling thread (its body is not read): for a server of your
    /// own that is not async. The services render off the serving thread instead (see
    /// [`serve`](Self::serve)).
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let handler = coremeter_exporter::MetricsHandler::new(&registry);
    /// let request = hyper::Request::get("/metrics?format=openmetrics").body(())?;
    /// let response = handler.respond(&request);
    /// assert_eq!(response.headers()["content-type"], "application/openmetrics-text; version=1.0.0; charset=utf-8");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn respond<B>(&self, request: &Request<B>) -> Response<Full<Bytes>> {
        self.respond_to(request.method(), request.uri(), request.headers())
    }

    /// Answers a request given by its parts, on the calling thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let handler = coremeter_exporter::MetricsHandler::new(&registry);
    /// let response = handler.respond_to(&hyper::Method::POST, &"/metrics".parse()?, &hyper::HeaderMap::new());
    /// assert_eq!(response.status(), 405);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn respond_to(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Response<Full<Bytes>> {
        let response = match self.prepare(method, uri, headers) {
            Ok(render) if render.head => answer(&render.scrape, Bytes::new()),
            Ok(render) => match self.render(&render.scrape) {
                Ok(body) => answer(&render.scrape, body),
                Err(failed) => failed.answer(),
            },
            Err(response) => *response,
        };
        response.map(Full::new)
    }

    /// Answers one request, rendering on tokio's blocking threads within the scrape timeout:
    /// what the hyper and tower services and the embedded server call. Outside a tokio runtime
    /// it renders on the calling thread.
    ///
    /// # Examples
    ///
    /// ```
    /// # let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    /// # runtime.block_on(async {
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let handler = coremeter_exporter::MetricsHandler::new(&registry);
    /// let request = hyper::Request::get("/metrics").body(())?;
    /// let response = handler.serve(&request).await;
    /// assert_eq!(response.status(), 200);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn serve<B>(
        &self,
        request: &Request<B>,
    ) -> impl Future<Output = Response<Bytes>> + Send + 'static + use<B> {
        let prepared = self.prepare(request.method(), request.uri(), request.headers());
        let handler = self.clone();
        async move {
            let render = match prepared {
                Ok(render) => render,
                Err(response) => return *response,
            };
            if render.head {
                return answer(&render.scrape, Bytes::new());
            }
            if tokio::runtime::Handle::try_current().is_err() {
                return match handler.render(&render.scrape) {
                    Ok(body) => answer(&render.scrape, body),
                    Err(failed) => failed.answer(),
                };
            }
            let waiting = handler.enqueue(&render.scrape);
            let rendered = match render.deadline {
                Some(deadline) => tokio::time::timeout(deadline, waiting)
                    .await
                    .unwrap_or(Ok(Err(RenderFailed::TimedOut(deadline)))),
                None => waiting.await,
            };
            match rendered {
                Ok(Ok(body)) => answer(&render.scrape, body),
                Ok(Err(failed)) => failed.answer(),
                Err(_) => RenderFailed::Panicked.answer(),
            }
        }
    }

    /// Waits for a render of `scrape` that starts after now: joins the one queued for the same
    /// scrape, or queues one (a reset is never shared: each delivers its own values).
    fn enqueue(&self, scrape: &Scrape) -> oneshot::Receiver<Rendered> {
        let (tx, rx) = oneshot::channel();
        let mut queued = self
            .inner
            .queued
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if !scrape.is_reset()
            && let Some(waiting) = queued.get_mut(scrape)
        {
            waiting.push(tx);
            return rx;
        }
        // A reset's one waiter goes with its render; others wait in the queue, to be joined.
        let waiters = if scrape.is_reset() {
            vec![tx]
        } else {
            queued.insert(scrape.clone(), vec![tx]);
            Vec::new()
        };
        drop(queued);
        let (handler, scrape) = (self.clone(), scrape.clone());
        tokio::spawn(async move { handler.run_render(scrape, waiters).await });
        rx
    }

    /// Runs one queued render when a slot is free and answers its waiters. A render that runs
    /// past the scrape timeout frees its slot (its thread goes on until the collectors return),
    /// except a reset, which is never cut short.
    async fn run_render(self, scrape: Scrape, mut waiters: Vec<oneshot::Sender<Rendered>>) {
        let Ok(slot) = Arc::clone(&self.inner.slots).acquire_owned().await else {
            return;
        };
        // The render starts: from now on, a request for the same scrape queues another.
        waiters.extend(
            self.inner
                .queued
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&scrape)
                .unwrap_or_default(),
        );
        let reset = scrape.is_reset();
        let handler = self.clone();
        let job = tokio::task::spawn_blocking(move || handler.render(&scrape));
        let rendered = if reset {
            job.await
                .map_err(|_| RenderFailed::Panicked)
                .and_then(|r| r)
        } else {
            let timeout = self.inner.scrape_timeout;
            match tokio::time::timeout(timeout, job).await {
                Ok(done) => done.map_err(|_| RenderFailed::Panicked).and_then(|r| r),
                Err(_) => Err(RenderFailed::TimedOut(timeout)),
            }
        };
        drop(slot);
        for waiter in waiters {
            let _ = waiter.send(rendered.clone());
        }
    }

    /// Checks the request (credentials, method, route, query) and says what to render, or the
    /// answer that refuses it.
    fn prepare(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<Render, Box<Response<Bytes>>> {
        if let Some(auth) = &self.inner.auth
            && !auth.accepts(headers)
        {
            let mut response = plain(StatusCode::UNAUTHORIZED, "unauthorized\n");
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(auth.challenge()),
            );
            return Err(Box::new(response));
        }
        if method != Method::GET && method != Method::HEAD {
            let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "use GET or HEAD\n");
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return Err(Box::new(response));
        }
        let path = uri.path();
        let reset = match (path.rsplit('/').next(), &self.inner.path) {
            (Some("metricsandreset"), _) if self.inner.reset_route => true,
            (Some("metricsandreset"), _) => {
                return Err(Box::new(not_found(self.inner.path.as_deref())));
            }
            (_, Some(only)) if path != only => return Err(Box::new(not_found(Some(only)))),
            _ => false,
        };
        let header_str = |name| {
            headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
        };
        let encoding = header_str(header::ACCEPT_ENCODING).filter(|_| self.inner.compression);
        let mut scrape = Scrape::negotiate(header_str(header::ACCEPT), encoding).reset(reset);
        if let Some(query) = uri.query() {
            match parse_query(query) {
                Ok((format, names)) => {
                    if let Some(format) = format {
                        scrape = scrape.with_format(format);
                    }
                    scrape = scrape.names(names);
                }
                Err(message) => return Err(Box::new(plain(StatusCode::BAD_REQUEST, &message))),
            }
        }
        // Prometheus says how long it waits; answer before it gives up.
        let prometheus = header_str(HeaderName::from_static(SCRAPE_TIMEOUT_HEADER))
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(Duration::from_secs_f64);
        let deadline = match prometheus {
            Some(p) => p.min(self.inner.scrape_timeout),
            None => self.inner.scrape_timeout,
        };
        Ok(Render {
            scrape,
            head: method == Method::HEAD,
            deadline: (!reset).then_some(deadline),
        })
    }

    /// Renders one scrape with a pooled encoder.
    fn render(&self, scrape: &Scrape) -> Result<Bytes, RenderFailed> {
        let lock = |pool: &Mutex<Vec<Encoder>>| {
            // A panic while the lock was held left a valid Vec behind.
            pool.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop()
                .unwrap_or_default()
        };
        let mut encoder = lock(&self.inner.pool);
        let body = encoder
            .render(&self.inner.registry, scrape)
            .map(Bytes::copy_from_slice)
            .map_err(RenderFailed::Refused);
        let mut pool = self
            .inner
            .pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if pool.len() < POOL {
            pool.push(encoder);
        }
        body
    }
}

/// The header in which Prometheus sends its scrape timeout, in seconds.
const SCRAPE_TIMEOUT_HEADER: &str = "x-prometheus-scrape-timeout-seconds";

/// The answer carrying a rendered `body` of `scrape`.
fn answer(scrape: &Scrape, body: Bytes) -> Response<Bytes> {
    let mut response = Response::new(body);
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(scrape.content_type()),
    );
    if let Some(encoding) = scrape.content_encoding() {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    h.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Accept-Encoding"),
    );
    if scrape.is_reset() {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

fn not_found(path: Option<&str>) -> Response<Bytes> {
    match path {
        Some(path) => plain(
            StatusCode::NOT_FOUND,
            &format!("not found: the metrics are at {path}\n"),
        ),
        None => plain(StatusCode::NOT_FOUND, "not found\n"),
    }
}

/// `format` and `name[]` from a query string.
fn parse_query(query: &str) -> Result<(Option<Format>, Vec<String>), String> {
    let mut format = None;
    let mut names = Vec::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match &*key {
            "name[]" => names.push(value.into_owned()),
            "format" => {
                format = Some(match &*value {
                    "text" | "prometheus" => Format::Text,
                    "openmetrics" => Format::OpenMetrics,
                    "protobuf" => Format::Protobuf,
                    other => {
                        return Err(format!(
                            "unknown format {other:?}: use format=text, format=openmetrics or format=protobuf\n"
                        ));
                    }
                });
            }
            _ => {}
        }
    }
    Ok((format, names))
}

fn plain(status: StatusCode, message: &str) -> Response<Bytes> {
    let mut response = Response::new(Bytes::copy_from_slice(message.as_bytes()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// What the services return: the answer, once rendered off the serving thread.
pub type ResponseFuture =
    Pin<Box<dyn Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send>>;

impl<B> hyper::service::Service<Request<B>> for MetricsHandler {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn call(&self, request: Request<B>) -> Self::Future {
        let answer = self.serve(&request);
        Box::pin(async move { Ok(answer.await.map(Full::new)) })
    }
}

impl<B> tower_service::Service<Request<B>> for MetricsHandler {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        hyper::service::Service::call(&*self, request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries() {
        assert_eq!(parse_query("").unwrap(), (None, vec![]));
        let (format, names) =
            parse_query("name[]=a_total&x=1&name%5B%5D=b&format=openmetrics").unwrap();
        assert_eq!(format, Some(Format::OpenMetrics));
        assert_eq!(names, ["a_total", "b"]);
        assert!(
            parse_query("format=json")
                .unwrap_err()
                .contains("format=text")
        );
    }

    #[test]
    fn credentials() {
        let mut headers = HeaderMap::new();
        let basic = Auth::basic("u", "p:w");
        let bearer = Auth::bearer("t0k");
        assert!(!basic.accepts(&headers));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic dTpwOnc="),
        );
        assert!(basic.accepts(&headers));
        assert!(!bearer.accepts(&headers));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("basic dTpwOnX="),
        );
        assert!(!basic.accepts(&headers));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer t0k"),
        );
        assert!(bearer.accepts(&headers));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer t0"));
        assert!(!bearer.accepts(&headers));
        assert_eq!(format!("{basic:?}"), "Auth(Basic, <redacted>)");
    }
}
