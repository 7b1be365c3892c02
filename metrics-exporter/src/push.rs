//! The Pushgateway client: `push` (PUT), `push_add` (POST) and `delete` (DELETE) of a registry
//! under a job and a grouping key, blocking or `async`, with a timeout on the whole exchange.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use bytes::Bytes;
use coremeter::Registry;
use coremeter_encode::{Encoder, Format, RenderError};
use http_body_util::{BodyExt as _, Full};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::SharedRegistry;
#[cfg(feature = "tls")]
use crate::tls::{ClientTls, TlsError};

type HeaderHook = Arc<dyn Fn(&mut HeaderMap) + Send + Sync>;

/// A Pushgateway at a base URL (`http://127.0.0.1:9091`, or with a path prefix when it sits
/// behind a proxy; `https://` with the `tls` feature, see [`tls_ca_file`](Self::tls_ca_file)). Batch jobs push their registry before they exit (Python's
/// `push_to_gateway`, `pushadd_to_gateway` and `delete_from_gateway`).
///
/// The body is the text format 0.0.4 (the Pushgateway does not read OpenMetrics); the group's
/// URL is `/metrics/job/<job>/<name>/<value>...`. A job or grouping value that is empty, `.`,
/// `..`, or holds anything but `[A-Za-z0-9._~-]` (a `/`, a space) is sent in the gateway's
/// base64 form (`<name>@base64/<value>`), so every value reaches the gateway unchanged.
///
/// [`push`](Self::push), [`push_add`](Self::push_add) and [`delete`](Self::delete) block the
/// calling thread; [`push_async`](Self::push_async), [`push_add_async`](Self::push_add_async) and
/// [`delete_async`](Self::delete_async) are their `async` forms for a service on tokio (the
/// registry is rendered on a blocking thread); [`every`](Self::every) pushes on an interval from
/// a thread of its own. Each exchange is bounded by the [timeout](Pushgateway::timeout) (default
/// 10 s) from connecting to the last byte of the answer, and every failure is a [`PushError`];
/// none panics, including a blocking call from inside an async runtime (the exchange then runs
/// on a helper thread). An error answer's body is kept up to 4 KiB.
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// use coremeter::{Gauge, Opts, Registry};
/// use coremeter_exporter::Pushgateway;
///
/// let registry = Registry::new();
/// let last_success = Gauge::new();
/// registry.register(Opts::new("batch_last_success_seconds", "Last success."), last_success.clone())?;
/// last_success.set_to_current_time();
///
/// let gateway = Pushgateway::new("http://127.0.0.1:9091")?
///     .timeout(Duration::from_secs(5))
///     .basic_auth("batch", "s3cret");
/// gateway.push("nightly_backup", &[("instance", "db-1")], &registry)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Pushgateway {
    /// `host:port`, for the connection and the `Host` header.
    authority: String,
    /// The host, for TLS server-name verification.
    #[cfg(feature = "tls")]
    host: String,
    https: bool,
    #[cfg(feature = "tls")]
    tls: ClientTls,
    base_path: String,
    timeout: Duration,
    authorization: Option<HeaderValue>,
    hook: Option<HeaderHook>,
}

impl Pushgateway {
    /// A client for the gateway at `url` (`http://host:port[/prefix]`, or `https://` with the
    /// `tls` feature).
    ///
    /// # Errors
    ///
    /// [`PushError::InvalidUrl`] for anything else (another scheme, no host, a query, `https`
    /// without the `tls` feature).
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter_exporter::Pushgateway;
    ///
    /// assert!(Pushgateway::new("http://127.0.0.1:9091/behind/a/proxy").is_ok());
    /// assert!(Pushgateway::new("127.0.0.1:9091").is_err()); // no scheme
    /// # Ok::<(), coremeter_exporter::PushError>(())
    /// ```
    pub fn new(url: &str) -> Result<Pushgateway, PushError> {
        let invalid = |why: &str| PushError::InvalidUrl(format!("{url:?}: {why}"));
        let uri: Uri = url.parse().map_err(|e| invalid(&format!("{e}")))?;
        let https = match uri.scheme_str() {
            Some("http") => false,
            Some("https") if cfg!(feature = "tls") => true,
            Some("https") => {
                return Err(invalid(
                    "https needs the `tls` feature of coremeter-exporter",
                ));
            }
            Some(other) => {
                return Err(invalid(&format!(
                    "scheme {other} is not supported (use http or https)"
                )));
            }
            None => return Err(invalid("no scheme (write http://host:port)")),
        };
        let authority = uri.authority().ok_or_else(|| invalid("no host"))?;
        if uri.query().is_some() {
            return Err(invalid("a query string is not allowed"));
        }
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        let host = authority.host();
        Ok(Pushgateway {
            authority: format!("{host}:{port}"),
            // An IPv6 literal without its brackets, as a TLS server name.
            #[cfg(feature = "tls")]
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            https,
            #[cfg(feature = "tls")]
            tls: ClientTls::default(),
            base_path: uri.path().trim_end_matches('/').to_owned(),
            timeout: Duration::from_secs(10),
            authorization: None,
            hook: None,
        })
    }

    /// The time allowed for one call, from connecting to the end of the answer.
    ///
    /// # Examples
    ///
    /// ```
    /// let gateway = coremeter_exporter::Pushgateway::new("http://127.0.0.1:9091")?.timeout(std::time::Duration::from_secs(3));
    /// # let _ = gateway;
    /// # Ok::<(), coremeter_exporter::PushError>(())
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Trusts the certificate authorities in this PEM file for an `https://` gateway (its
    /// certificate must be issued by one of them, for the URL's host). There is no built-in list
    /// of public authorities: for a gateway with a publicly issued certificate, give the
    /// system's bundle (`/etc/ssl/certs/ca-certificates.crt` on Debian). Calling it again adds
    /// authorities.
    ///
    /// # Errors
    ///
    /// [`TlsError`] when the file cannot be read or holds no usable certificate.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter_exporter::Pushgateway;
    ///
    /// let missing = Pushgateway::new("https://127.0.0.1:9091")?.tls_ca_file("/nonexistent/ca.pem");
    /// assert!(missing.is_err());
    /// # Ok::<(), coremeter_exporter::PushError>(())
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls_ca_file(
        mut self,
        authorities: impl AsRef<std::path::Path>,
    ) -> Result<Self, TlsError> {
        self.tls = self.tls.add_authorities(authorities.as_ref())?;
        Ok(self)
    }

    /// Presents this client certificate (PEM chain, leaf first) and key (PEM) to an `https://`
    /// gateway that asks for one (mTLS).
    ///
    /// # Errors
    ///
    /// [`TlsError`] when a file cannot be read or parsed, or the key does not suit the
    /// certificate.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter_exporter::Pushgateway;
    ///
    /// let gateway = Pushgateway::new("https://127.0.0.1:9091")?;
    /// assert!(gateway.tls_client_certificate("/nonexistent/client.pem", "/nonexistent/client.key").is_err());
    /// # Ok::<(), coremeter_exporter::PushError>(())
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls_client_certificate(
        mut self,
        certificate_chain: impl AsRef<std::path::Path>,
        private_key: impl AsRef<std::path::Path>,
    ) -> Result<Self, TlsError> {
        self.tls = self
            .tls
            .client_certificate(certificate_chain.as_ref(), private_key.as_ref())?;
        Ok(self)
    }

    /// Sends HTTP Basic credentials with every request.
    ///
    /// # Examples
    ///
    /// ```
    /// let gateway = coremeter_exporter::Pushgateway::new("http://127.0.0.1:9091")?.basic_auth("batch", "s3cret");
    /// # let _ = gateway;
    /// # Ok::<(), coremeter_exporter::PushError>(())
    /// ```
    #[must_use]
    pub fn basic_auth(mut self, user: &str, password: &str) -> Self {
        let token = STANDARD.encode(format!("{user}:{password}"));
        self.authorization = HeaderValue::from_str(&format!("Basic {token}"))
            .ok()
            .map(|mut v| {
                v.set_sensitive(true);
                v
            });
        self
    }

    /// Calls `hook` on every request's headers before it is sent: for bearer tokens that
    /// rotate, signatures, or headers a proxy in front of the gateway wants.
    ///
    /// # Examples
    ///
    /// ```
    /// let gateway = coremeter_exporter::Pushgateway::new("http://127.0.0.1:9091")?
    ///     .header_hook(|headers| {
    ///         headers.insert("x-tenant", hyper::header::HeaderValue::from_static("team-a"));
    ///     });
    /// # let _ = gateway;
    /// # Ok::<(), coremeter_exporter::PushError>(())
    /// ```
    #[must_use]
    pub fn header_hook(mut self, hook: impl Fn(&mut HeaderMap) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// Replaces every metric of the group `job` + `grouping` with the registry's (`PUT`).
    ///
    /// # Errors
    ///
    /// [`PushError`]: the grouping key, the connection, the timeout, or the gateway's answer.
    ///
    /// # Examples
    ///
    /// ```
    /// // Nothing listens on port 1: a typed error, quickly, no panic.
    /// let gateway = coremeter_exporter::Pushgateway::new("http://127.0.0.1:1")?;
    /// let registry = coremeter::Registry::new();
    /// assert!(matches!(gateway.push("job", &[], &registry), Err(coremeter_exporter::PushError::Connect(_))));
    /// # Ok::<(), coremeter_exporter::PushError>(())
    /// ```
    pub fn push(
        &self,
        job: &str,
        grouping: &[(&str, &str)],
        registry: &Registry,
    ) -> Result<(), PushError> {
        self.send(Method::PUT, job, grouping, Some(registry))
    }

    /// Replaces only the metrics of the group that have the names of the registry's (`POST`).
    ///
    /// # Errors
    ///
    /// As [`push`](Pushgateway::push).
    ///
    /// # Examples
    ///
    /// ```
    /// let gateway = coremeter_exporter::Pushgateway::new("http://127.0.0.1:1")?;
    /// let registry = coremeter::Registry::new();
    /// assert!(gateway.push_add("job", &[("instance", "a")], &registry).is_err());
    /// # Ok::<(), coremeter_exporter::PushError>(())
    /// ```
    pub fn push_add(
        &self,
        job: &str,
        grouping: &[(&str, &str)],
        registry: &Registry,
    ) -> Result<(), PushError> {
        self.send(Method::POST, job, grouping, Some(registry))
    }

    /// Deletes the group `job` + `grouping` (`DELETE`).
    ///
    /// # Errors
    ///
    /// As [`push`](Pushgateway::push).
    ///
    /// # Examples
    ///
    /// ```
    /// let gateway = coremeter_exporter::Pushgateway::new("http://127.0.0.1:1")?;
    /// assert!(gateway.delete("job", &[("instance", "a")]).is_err());
    /// # Ok::<(), coremeter_exporter::PushError>(())
    /// ```
    pub fn delete(&self, job: &str, grouping: &[(&str, &str)]) -> Result<(), PushError> {
        self.send(Method::DELETE, job, grouping, None)
    }

    /// The URL path of a group.
    fn group_path(&self, job: &str, grouping: &[(&str, &str)]) -> Result<String, PushError> {
        let mut path = format!("{}/metrics", self.base_path);
        push_segment(&mut path, "job", job);
        for (name, value) in grouping {
            if *name == "job" || !valid_label_name(name) {
                return Err(PushError::InvalidGroupingKey {
                    name: (*name).to_owned(),
                    reason: if *name == "job" {
                        "`job` is given as the job argument"
                    } else {
                        "not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, no `__` prefix)"
                    },
                });
            }
            push_segment(&mut path, name, value);
        }
        Ok(path)
    }

    /// `push`, as an `async fn` on tokio: the registry is rendered on a blocking thread, the
    /// exchange runs on the caller's runtime.
    ///
    /// # Errors
    ///
    /// As [`push`](Pushgateway::push).
    ///
    /// # Examples
    ///
    /// ```
    /// # let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    /// # runtime.block_on(async {
    /// let gateway = coremeter_exporter::Pushgateway::new("http://127.0.0.1:1")?;
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// assert!(gateway.push_async("job", &[], &registry).await.is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn push_async(
        &self,
        job: &str,
        grouping: &[(&str, &str)],
        registry: impl Into<SharedRegistry>,
    ) -> Result<(), PushError> {
        self.send_async(Method::PUT, job, grouping, Some(registry.into()))
            .await
    }

    /// `push_add`, as an `async fn` on tokio.
    ///
    /// # Errors
    ///
    /// As [`push`](Pushgateway::push).
    ///
    /// # Examples
    ///
    /// ```
    /// # let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    /// # runtime.block_on(async {
    /// let gateway = coremeter_exporter::Pushgateway::new("http://127.0.0.1:1")?;
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// assert!(gateway.push_add_async("job", &[], &registry).await.is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn push_add_async(
        &self,
        job: &str,
        grouping: &[(&str, &str)],
        registry: impl Into<SharedRegistry>,
    ) -> Result<(), PushError> {
        self.send_async(Method::POST, job, grouping, Some(registry.into()))
            .await
    }

    /// `delete`, as an `async fn` on tokio.
    ///
    /// # Errors
    ///
    /// As [`push`](Pushgateway::push).
    ///
    /// # Examples
    ///
    /// ```
    /// # let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    /// # runtime.block_on(async {
    /// let gateway = coremeter_exporter::Pushgateway::new("http://127.0.0.1:1")?;
    /// assert!(gateway.delete_async("job", &[]).await.is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn delete_async(
        &self,
        job: &str,
        grouping: &[(&str, &str)],
    ) -> Result<(), PushError> {
        self.send_async(Method::DELETE, job, grouping, None).await
    }

    fn send(
        &self,
        method: Method,
        job: &str,
        grouping: &[(&str, &str)],
        registry: Option<&Registry>,
    ) -> Result<(), PushError> {
        let body = registry.map(render).transpose()?.unwrap_or_default();
        let request = self.request(method, job, grouping, body)?;
        let exchange = self.exchange(request);
        if tokio::runtime::Handle::try_current().is_ok() {
            // Blocking on a runtime from inside another one panics: use a thread of our own.
            std::thread::scope(|s| s.spawn(|| block_on(exchange)).join())
                .unwrap_or_else(|_| Err(PushError::Io(io::Error::other("push thread panicked"))))
        } else {
            block_on(exchange)
        }
    }

    async fn send_async(
        &self,
        method: Method,
        job: &str,
        grouping: &[(&str, &str)],
        registry: Option<SharedRegistry>,
    ) -> Result<(), PushError> {
        let body = match registry {
            Some(registry) => tokio::task::spawn_blocking(move || render(&registry))
                .await
                .map_err(|_| PushError::Io(io::Error::other("the render panicked")))??,
            None => Bytes::new(),
        };
        let request = self.request(method, job, grouping, body)?;
        self.exchange(request).await
    }

    /// The request of one exchange.
    fn request(
        &self,
        method: Method,
        job: &str,
        grouping: &[(&str, &str)],
        body: Bytes,
    ) -> Result<Request<Full<Bytes>>, PushError> {
        let path = self.group_path(job, grouping)?;
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .body(Full::new(body))
            .map_err(|e| PushError::InvalidUrl(e.to_string()))?;
        let headers = request.headers_mut();
        headers.insert(
            header::HOST,
            HeaderValue::from_str(&self.authority)
                .map_err(|e| PushError::InvalidUrl(e.to_string()))?,
        );
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(Format::Text.content_type()),
        );
        headers.insert(
            header::USER_AGENT,
            HeaderValue::from_static(concat!("coremeter-exporter/", env!("CARGO_PKG_VERSION"))),
        );
        if let Some(authorization) = &self.authorization {
            headers.insert(header::AUTHORIZATION, authorization.clone());
        }
        if let Some(hook) = &self.hook {
            hook(headers);
        }
        Ok(request)
    }
}

/// The registry in the text format the Pushgateway reads.
fn render(registry: &Registry) -> Result<Bytes, PushError> {
    let mut encoder = Encoder::new();
    let text = encoder
        .encode(registry, Format::Text)
        .map_err(PushError::Render)?;
    Ok(Bytes::copy_from_slice(text))
}

fn block_on(exchange: impl Future<Output = Result<(), PushError>>) -> Result<(), PushError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(PushError::Io)?
        .block_on(exchange)
}

impl Pushgateway {
    /// Connects (with TLS for `https`), sends `request` and reads the answer, within the
    /// timeout.
    async fn exchange(&self, request: Request<Full<Bytes>>) -> Result<(), PushError> {
        let attempt = async {
            let stream = TcpStream::connect(&self.authority)
                .await
                .map_err(PushError::Connect)?;
            // Without the `tls` feature an `https` URL is refused by `new`.
            #[cfg(feature = "tls")]
            if self.https {
                let host = &self.host;
                let name = rustls_pki_types::ServerName::try_from(host.clone())
                    .map_err(|e| PushError::InvalidUrl(format!("{host:?}: {e}")))?;
                let tls = self.tls.connect(name, stream).await;
                return send(tls.map_err(PushError::Tls)?, request).await;
            }
            send(stream, request).await
        };
        tokio::time::timeout(self.timeout, attempt)
            .await
            .unwrap_or(Err(PushError::Timeout(self.timeout)))
    }
}

/// One HTTP/1.1 exchange on `stream`.
async fn send<S>(stream: S, request: Request<Full<Bytes>>) -> Result<(), PushError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| PushError::Http(Box::new(e)))?;
    let connection = tokio::spawn(connection);
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| PushError::Http(Box::new(e)))?;
    let status = response.status();
    if status.is_success() {
        connection.abort();
        return Ok(());
    }
    // The gateway's reason, read up to a cap: a broken or hostile gateway cannot make the error
    // as large as it likes.
    let mut body = response.into_body();
    let mut message = Vec::new();
    let mut cut = false;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(|e| PushError::Http(Box::new(e)))?.into_data() else {
            continue;
        };
        let room = ERROR_BODY_CAP - message.len();
        message.extend_from_slice(&data[..data.len().min(room)]);
        if data.len() > room {
            cut = true;
            break;
        }
    }
    connection.abort();
    let mut message = String::from_utf8_lossy(&message).trim().to_owned();
    if cut {
        message.push_str(" [cut at 4 KiB]");
    }
    Err(PushError::Status {
        status: status.as_u16(),
        message,
    })
}

/// The most bytes of an error answer's body kept in [`PushError::Status`].
const ERROR_BODY_CAP: usize = 4096;

/// Appends `/<name>/<value>`, or `/<name>@base64/<value>` when the value needs it.
fn push_segment(path: &mut String, name: &str, value: &str) {
    // `.` and `..` are path segments a router resolves away (the gateway answers a redirect).
    let plain = !matches!(value, "" | "." | "..")
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._~-".contains(&b));
    path.push('/');
    path.push_str(name);
    if plain {
        path.push('/');
        path.push_str(value);
    } else if value.is_empty() {
        // The gateway's spelling of an empty value.
        path.push_str("@base64/=");
    } else {
        path.push_str("@base64/");
        path.push_str(&URL_SAFE.encode(value));
    }
}

fn valid_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !name.starts_with("__")
}

impl fmt::Debug for Pushgateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pushgateway")
            .field(
                "url",
                &format_args!(
                    "{}://{}{}",
                    if self.https { "https" } else { "http" },
                    self.authority,
                    self.base_path
                ),
            )
            .field("timeout", &self.timeout)
            .field("basic_auth", &self.authorization.is_some())
            .field("header_hook", &self.hook.is_some())
            .finish()
    }
}

/// Why a push or delete failed.
///
/// # Examples
///
/// ```
/// use coremeter_exporter::{PushError, Pushgateway};
///
/// let err = Pushgateway::new("ftp://127.0.0.1:9091").unwrap_err();
/// assert!(matches!(err, PushError::InvalidUrl(_)));
/// let gateway = Pushgateway::new("http://127.0.0.1:9091")?;
/// let err = gateway.delete("job", &[("__reserved", "x")]).unwrap_err();
/// assert!(matches!(err, PushError::InvalidGroupingKey { .. }));
/// # Ok::<(), PushError>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum PushError {
    /// The gateway URL cannot be used.
    InvalidUrl(String),
    /// A grouping key's label name cannot be used.
    InvalidGroupingKey {
        /// The label name.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// The gateway could not be reached.
    Connect(io::Error),
    /// The exchange took longer than the timeout.
    Timeout(Duration),
    /// The TLS handshake with an `https` gateway failed (no authority given, a certificate not
    /// issued by one, for another host, or a client certificate the gateway refused).
    Tls(io::Error),
    /// The connection broke or the answer was not HTTP.
    Http(Box<dyn std::error::Error + Send + Sync>),
    /// The gateway answered with an error status; `message` is its body (the reason it gives,
    /// such as a parse error or an inconsistency with metrics pushed before), up to 4 KiB, then
    /// marked `[cut at 4 KiB]`.
    Status {
        /// The HTTP status code.
        status: u16,
        /// The gateway's explanation.
        message: String,
    },
    /// A local I/O failure (a runtime or thread could not be created).
    Io(io::Error),
    /// The registry could not be read (a custom collector failed): nothing was pushed.
    Render(RenderError),
}

impl fmt::Display for PushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushError::InvalidUrl(why) => write!(f, "invalid Pushgateway URL {why}"),
            PushError::InvalidGroupingKey { name, reason } => {
                write!(f, "invalid grouping key label {name:?}: {reason}")
            }
            PushError::Connect(e) => write!(f, "cannot connect to the Pushgateway: {e}"),
            PushError::Timeout(t) => write!(f, "the Pushgateway did not answer within {t:?}"),
            PushError::Tls(e) => write!(f, "TLS with the Pushgateway failed: {e}"),
            PushError::Http(e) => write!(f, "HTTP exchange with the Pushgateway failed: {e}"),
            PushError::Status { status, message } => {
                write!(f, "the Pushgateway answered {status}: {message}")
            }
            PushError::Io(e) => write!(f, "push failed: {e}"),
            PushError::Render(e) => write!(f, "nothing pushed: {e}"),
        }
    }
}

impl std::error::Error for PushError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PushError::Connect(e) | PushError::Io(e) | PushError::Tls(e) => Some(e),
            PushError::Http(e) => Some(&**e),
            PushError::Render(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_paths() {
        let gw = Pushgateway::new("http://127.0.0.1:9091/prefix/").unwrap();
        assert_eq!(
            gw.group_path("batch", &[]).unwrap(),
            "/prefix/metrics/job/batch"
        );
        assert_eq!(
            gw.group_path("a/b", &[("instance", ""), ("path", "/"), ("x", "v-1.2_~")])
                .unwrap(),
            "/prefix/metrics/job@base64/YS9i/instance@base64/=/path@base64/Lw==/x/v-1.2_~"
        );
        assert_eq!(
            gw.group_path("..", &[("a", "."), ("b", "..."), ("c", ".x")])
                .unwrap(),
            "/prefix/metrics/job@base64/Li4=/a@base64/Lg==/b/.../c/.x"
        );
        assert!(matches!(
            gw.group_path("j", &[("__x", "1")]),
            Err(PushError::InvalidGroupingKey { .. })
        ));
        assert!(gw.group_path("j", &[("job", "1")]).is_err());
    }

    #[test]
    fn urls() {
        assert!(Pushgateway::new("127.0.0.1:9091").is_err());
        assert_eq!(
            Pushgateway::new("https://127.0.0.1:9091").is_ok(),
            cfg!(feature = "tls")
        );
        assert!(Pushgateway::new("ftp://127.0.0.1:9091").is_err());
        assert!(Pushgateway::new("http://127.0.0.1:9091?x=1").is_err());
        let gw = Pushgateway::new("http://localhost").unwrap();
        assert_eq!(gw.authority, "localhost:80");
    }
}
