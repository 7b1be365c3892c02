//! The HTTP handler: routes, authentication, negotiation and rendering, on `http` types, so that
//! the embedded server, a hyper server and a tower stack (axum) share one implementation.

use std::convert::Infallible;
use std::fmt;
use std::future::{Ready, ready};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use coremeter_encode::{Encoder, Format, Scrape};
use http_body_util::Full;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode, Uri};
use subtle::ConstantTimeEq as _;

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
/// run (axum's `Router::route_service`, a hyper `serve_connection`, any tower stack).
///
/// Routes (both `GET` and `HEAD`; other methods get `405`, other paths `404`):
///
/// - `/metrics`: the registry, in the format the `Accept` header prefers (OpenMetrics 1.0.0 for
///   Prometheus, text 0.0.4 otherwise), gzipped when `Accept-Encoding` allows it.
/// - `/metricsandreset`, when [enabled](MetricsHandler::metrics_and_reset): the same, then
///   counters, histograms, summaries and statistics restart from 0. Each update lands in exactly
///   one such response (a per-shard atomic swap); an update is lost only if the response carrying
///   it is (the client disconnects). A `HEAD` of it resets nothing. Never point Prometheus at it next to `/metrics` of the same
///   registry: the resets break `rate()` there.
///
/// Query parameters: `name[]=NAME` (repeatable) restricts the output to those families or sample
/// names, as Python's `prometheus_client` does; `format=text` or `format=openmetrics` overrides
/// the `Accept` header (for a Prometheus scrape config's `params`, to pin a format). Anything
/// else is ignored; a `format` the handler does not know gets `400`.
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
    reset_route: bool,
    /// Encoders keep their buffers and render caches between scrapes; concurrent scrapes take
    /// one each.
    pool: Mutex<Vec<Encoder>>,
}

/// Encoders kept between scrapes: enough for the usual one or two concurrent scrapers.
const POOL: usize = 4;

impl MetricsHandler {
    /// A handler serving `registry` on `/metrics`, without authentication.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let handler = coremeter_exporter::MetricsHandler::new(&registry);
    /// let request = hyper::Request::get("/nope").body(())?;
    /// assert_eq!(handler.respond(&request).status(), 404);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(registry: impl Into<SharedRegistry>) -> Self {
        MetricsHandler {
            inner: Arc::new(Inner {
                registry: registry.into(),
                auth: None,
                reset_route: false,
                pool: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Requires these credentials on every request.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter_exporter::{Auth, MetricsHandler};
    ///
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let handler = MetricsHandler::new(&registry).auth(Auth::bearer("s3cret"));
    /// let request = hyper::Request::get("/metrics").body(())?;
    /// assert_eq!(handler.respond(&request).headers()["www-authenticate"], "Bearer realm=\"metrics\"");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn auth(mut self, auth: Auth) -> Self {
        self.inner_mut().auth = Some(auth);
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

    fn inner_mut(&mut self) -> &mut Inner {
        // Builder methods run before the handler is shared; afterwards they copy it.
        if Arc::get_mut(&mut self.inner).is_none() {
            self.inner = Arc::new(Inner {
                registry: self.inner.registry.clone(),
                auth: self.inner.auth.clone(),
                reset_route: self.inner.reset_route,
                pool: Mutex::new(Vec::new()),
            });
        }
        Arc::get_mut(&mut self.inner).expect("just made unique")
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

    /// Answers one request (its body is not read).
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

    /// Answers a request given by its parts.
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
        let reset = match uri.path() {
            "/metrics" => false,
            "/metricsandreset" if self.inner.reset_route => true,
            _ => {
                return plain(
                    StatusCode::NOT_FOUND,
                    "not found: the metrics are at /metrics\n",
                );
            }
        };
        if method != Method::GET && method != Method::HEAD {
            let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "use GET or HEAD\n");
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return response;
        }
        if let Some(auth) = &self.inner.auth
            && !auth.accepts(headers)
        {
            let mut response = plain(StatusCode::UNAUTHORIZED, "unauthorized\n");
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(auth.challenge()),
            );
            return response;
        }
        let header_str = |name| {
            headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
        };
        let mut scrape = Scrape::negotiate(
            header_str(header::ACCEPT),
            header_str(header::ACCEPT_ENCODING),
        )
        .reset(reset);
        if let Some(query) = uri.query() {
            match parse_query(query) {
                Ok((format, names)) => {
                    if let Some(format) = format {
                        scrape = scrape.with_format(format);
                    }
                    scrape = scrape.names(names);
                }
                Err(message) => return plain(StatusCode::BAD_REQUEST, &message),
            }
        }
        // A HEAD answer carries no body: it renders nothing and, on `/metricsandreset`, resets
        // nothing (the values would be lost).
        let body = if method == Method::HEAD {
            Bytes::new()
        } else {
            self.render(&scrape)
        };
        let mut response = Response::new(Full::new(body));
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
        if reset {
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        response
    }

    /// Renders one scrape with a pooled encoder.
    fn render(&self, scrape: &Scrape) -> Bytes {
        let lock = |pool: &Mutex<Vec<Encoder>>| {
            // A panic while the lock was held left a valid Vec behind.
            pool.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop()
                .unwrap_or_default()
        };
        let mut encoder = lock(&self.inner.pool);
        let body = Bytes::copy_from_slice(encoder.render(&self.inner.registry, scrape));
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
                    other => {
                        return Err(format!(
                            "unknown format {other:?}: use format=text or format=openmetrics\n"
                        ));
                    }
                });
            }
            _ => {}
        }
    }
    Ok((format, names))
}

fn plain(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::copy_from_slice(message.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

impl<B> hyper::service::Service<Request<B>> for MetricsHandler {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn call(&self, request: Request<B>) -> Self::Future {
        ready(Ok(self.respond(&request)))
    }
}

impl<B> tower_service::Service<Request<B>> for MetricsHandler {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        ready(Ok(self.respond(&request)))
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
