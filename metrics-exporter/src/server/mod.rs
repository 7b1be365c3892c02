//! The embedded HTTP server: one call starts it on a background thread with its own
//! single-threaded tokio runtime, so the caller needs no async runtime. Connections are served
//! on that thread; scrapes are rendered on the runtime's blocking threads.

mod connections;
mod write_deadline;

use std::convert::Infallible;
use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::oneshot;

use self::connections::{Connections, Id, InFlight};
use self::write_deadline::WriteDeadline;
use crate::{Auth, MetricsHandler, SharedRegistry};

/// Starts serving `registry` on `/metrics` at `addr` in a background thread, with the default
/// limits of [`HttpServer`] (Python's `start_http_server`). Bind `127.0.0.1` unless the metrics
/// are meant for other machines. The server runs until the handle is stopped or dropped.
///
/// # Errors
///
/// [`ServerError::Bind`] when the address cannot be bound.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use coremeter::Registry;
///
/// let registry = Arc::new(Registry::new());
/// let server = coremeter_exporter::start_http_server("127.0.0.1:0", &registry)?;
/// println!("metrics at http://{}/metrics", server.local_addr());
/// server.stop();
/// # Ok::<(), coremeter_exporter::ServerError>(())
/// ```
pub fn start_http_server(
    addr: impl ToSocketAddrs,
    registry: impl Into<SharedRegistry>,
) -> Result<ServerHandle, ServerError> {
    HttpServer::new(registry).start(addr)
}

/// An HTTP(S) server for a [`MetricsHandler`], with limits that keep slow or hostile clients
/// from holding it, each configurable:
///
/// - at most [`max_connections`](HttpServer::max_connections) connections (default 4096, and
///   never more than the process' file-descriptor limit leaves room for). A slot is held only
///   while used: when a new connection arrives at the limit, or when accepting fails for want
///   of a file descriptor, the connection that has waited longest for a request (silent,
///   trickling its headers, stalled in a TLS handshake, idle between requests) is closed to
///   make room, so a scraper that sends its request gets in;
/// - a [`header_timeout`](HttpServer::header_timeout) (default 5 s) for a whole request head to
///   arrive, however slowly its bytes come, which also bounds a TLS handshake and closes a
///   keep-alive connection silent that long;
/// - a [`response_timeout`](HttpServer::response_timeout) (default 10 s) for a whole answer to
///   be written once it starts, however slowly the client reads;
/// - at most [`max_in_flight_bytes`](HttpServer::max_in_flight_bytes) of answers not yet sent
///   (default 64 MiB): past it, the connection whose answer has been going out longest is
///   closed;
/// - scrapes are rendered on blocking threads (at most
///   [`render_threads`](HttpServer::render_threads), default 16), never on the thread serving
///   connections, within the handler's [scrape timeout](MetricsHandler::scrape_timeout) (8 s;
///   `503` past it): a blocking callback delays only the scrapes that read it, and answers that
///   render nothing (`401`, `404`, `405`) are immediate;
/// - a malformed request gets `400 Bad Request` and its connection closes; the server keeps
///   serving the others.
///
/// All clients on 127.0.0.1 share one address, so the limits do not count per peer address.
/// The server speaks HTTP/1.1 (what Prometheus, the Pushgateway and curl use for scrapes).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use coremeter::Registry;
/// use coremeter_exporter::{Auth, HttpServer};
///
/// let registry = Arc::new(Registry::new());
/// let server = HttpServer::new(&registry)
///     .auth(Auth::bearer("s3cret"))
///     .max_connections(256)
///     .header_timeout(Duration::from_secs(2))
///     .start("127.0.0.1:0")?;
/// server.stop();
/// # Ok::<(), coremeter_exporter::ServerError>(())
/// ```
#[derive(Debug)]
pub struct HttpServer {
    handler: MetricsHandler,
    max_connections: usize,
    header_timeout: Duration,
    response_timeout: Duration,
    max_in_flight_bytes: usize,
    render_threads: usize,
    backlog: u32,
    #[cfg(feature = "tls")]
    tls: Option<crate::TlsConfig>,
}

/// The kernel send buffer of a connection (Linux doubles it for its bookkeeping): 256 KiB
/// carries a scrape at hundreds of MB/s on a LAN.
const SEND_BUFFER: usize = 256 << 10;

/// File descriptors kept free for what else the process opens, under its limit.
const FD_RESERVE: u64 = 64;

impl HttpServer {
    /// A server for `registry` with the default limits.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let server = coremeter_exporter::HttpServer::new(&registry).start("127.0.0.1:0")?;
    /// server.stop();
    /// # Ok::<(), coremeter_exporter::ServerError>(())
    /// ```
    pub fn new(registry: impl Into<SharedRegistry>) -> Self {
        Self::with_handler(MetricsHandler::new(registry).path("/metrics"))
    }

    /// A server for a handler configured beforehand (it serves whatever paths the handler does:
    /// give it a [path](MetricsHandler::path) to serve only that one).
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter_exporter::{HttpServer, MetricsHandler};
    ///
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let handler = MetricsHandler::new(&registry).path("/metrics").metrics_and_reset(true);
    /// let server = HttpServer::with_handler(handler).start("127.0.0.1:0")?;
    /// server.stop();
    /// # Ok::<(), coremeter_exporter::ServerError>(())
    /// ```
    pub fn with_handler(handler: MetricsHandler) -> Self {
        HttpServer {
            handler,
            max_connections: 4096,
            header_timeout: Duration::from_secs(5),
            response_timeout: Duration::from_secs(10),
            max_in_flight_bytes: 64 << 20,
            render_threads: 16,
            backlog: 1024,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// Requires these credentials on every request (see [`MetricsHandler::auth`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter_exporter::{Auth, HttpServer};
    ///
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let server = HttpServer::new(&registry).auth(Auth::bearer("t0ken")).start("127.0.0.1:0")?;
    /// server.stop();
    /// # Ok::<(), coremeter_exporter::ServerError>(())
    /// ```
    #[must_use]
    pub fn auth(mut self, auth: Auth) -> Self {
        self.handler = self.handler.auth(auth);
        self
    }

    /// Serves `/metricsandreset` too (see [`MetricsHandler::metrics_and_reset`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let server = coremeter_exporter::HttpServer::new(&registry).metrics_and_reset(true).start("127.0.0.1:0")?;
    /// server.stop();
    /// # Ok::<(), coremeter_exporter::ServerError>(())
    /// ```
    #[must_use]
    pub fn metrics_and_reset(mut self, enabled: bool) -> Self {
        self.handler = self.handler.metrics_and_reset(enabled);
        self
    }

    /// Gzips answers when the client allows it (on by default; see
    /// [`MetricsHandler::compression`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let server = coremeter_exporter::HttpServer::new(&registry).compression(false).start("127.0.0.1:0")?;
    /// server.stop();
    /// # Ok::<(), coremeter_exporter::ServerError>(())
    /// ```
    #[must_use]
    pub fn compression(mut self, enabled: bool) -> Self {
        self.handler = self.handler.compression(enabled);
        self
    }

    /// How long a scrape may render before it is answered `503` (see
    /// [`MetricsHandler::scrape_timeout`]; default 8 s).
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let server = coremeter_exporter::HttpServer::new(&registry)
    ///     .scrape_timeout(std::time::Duration::from_secs(3))
    ///     .start("127.0.0.1:0")?;
    /// server.stop();
    /// # Ok::<(), coremeter_exporter::ServerError>(())
    /// ```
    #[must_use]
    pub fn scrape_timeout(mut self, timeout: Duration) -> Self {
        self.handler = self.handler.scrape_timeout(timeout);
        self
    }

    /// The most connections open at once (at least 1; default 4096, lowered at start to what
    /// the process' file-descriptor limit leaves room for). At the limit, a new connection
    /// takes the slot of the one that has waited longest for a request.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let server = coremeter_exporter::HttpServer::new(&registry).max_connections(4).start("127.0.0.1:0")?;
    /// server.stop();
    /// # Ok::<(), coremeter_exporter::ServerError>(())
    /// ```
    #[must_use]
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// How long a client may take to send a whole request head, or stay silent between requests
    /// (and to finish a TLS handshake); default 5 s.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let server = coremeter_exporter::HttpServer::new(&registry)
    ///     .header_timeout(std::time::Duration::from_secs(2))
    ///     .start("127.0.0.1:0")?;
    /// server.stop();
    /// # Ok::<(), coremeter_exporter::ServerError>(())
    /// ```
    #[must_use]
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout;
        self
    }

    /// How long writing one answer may take, from its first byte to its last, however slowly the
    /// client reads; default 10 s.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let server = coremeter_exporter::HttpServer::new(&registry)
    ///     .response_timeout(std::time::Duration::from_secs(30))
    ///     .start("127.0.0.1:0")?;
    /// server.stop();
    /// # Ok::<(), coremeter_exporter::ServerError>(())
    /// ```
    #[must_use]
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// The most bytes of answers not yet sent, over all connections (default 64 MiB): past it,
    /// the connection whose answer has been going out longest is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let server = coremeter_exporter::HttpServer::new(&registry)
    ///     .max_in_flight_bytes(16 << 20)
    ///     .start("127.0.0.1:0")?;
    /// server.stop();
    /// # Ok::<(), coremeter_exporter::ServerError>(())
    /// ```
    #[must_use]
    pub fn max_in_flight_bytes(mut self, bytes: usize) -> Self {
        self.max_in_flight_bytes = bytes;
        self
    }

    /// The most threads rendering scrapes at once (at least 1; default 16): a scrape stuck in a
    /// blocking callback holds one until the callback returns, while the others serve the rest.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let server = coremeter_exporter::HttpServer::new(&registry).render_threads(4).start("127.0.0.1:0")?;
    /// server.stop();
    /// # Ok::<(), coremeter_exporter::ServerError>(())
    /// ```
    #[must_use]
    pub fn render_threads(mut self, threads: usize) -> Self {
        self.render_threads = threads.max(1);
        self
    }

    /// Serves HTTPS with this certificate (and client verification, if configured).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use coremeter_exporter::{HttpServer, TlsConfig};
    ///
    /// # let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let tls = TlsConfig::from_pem_files("server.pem", "server.key")?;
    /// let server = HttpServer::new(&registry).tls(tls).start("127.0.0.1:9443")?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn tls(mut self, tls: crate::TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Binds `addr` and starts serving on a background thread named `coremeter-exporter`.
    ///
    /// # Errors
    ///
    /// [`ServerError::Bind`] when the address cannot be bound, [`ServerError::Runtime`] when the
    /// thread or its runtime cannot be created.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let server = coremeter_exporter::HttpServer::new(&registry).start("127.0.0.1:0")?;
    /// assert!(server.local_addr().ip().is_loopback());
    /// # Ok::<(), coremeter_exporter::ServerError>(())
    /// ```
    pub fn start(self, addr: impl ToSocketAddrs) -> Result<ServerHandle, ServerError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .max_blocking_threads(self.render_threads)
            .thread_name("coremeter-exporter-render")
            .build()
            .map_err(ServerError::Runtime)?;
        let listener = {
            let _guard = runtime.enter();
            self.bind(addr)?
        };
        let local_addr = listener.local_addr().map_err(ServerError::Bind)?;
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("coremeter-exporter".into())
            .spawn(move || runtime.block_on(self.serve(listener, stopped)))
            .map_err(ServerError::Runtime)?;
        Ok(ServerHandle {
            local_addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Binds the first address of `addr` that can be bound, with a listen backlog that holds a
    /// burst of connections while the server accepts them.
    fn bind(&self, addr: impl ToSocketAddrs) -> Result<TcpListener, ServerError> {
        let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no address to bind");
        for addr in addr.to_socket_addrs().map_err(ServerError::Bind)? {
            let socket = match addr {
                SocketAddr::V4(_) => TcpSocket::new_v4(),
                SocketAddr::V6(_) => TcpSocket::new_v6(),
            };
            let bound = socket.and_then(|socket| {
                socket.set_reuseaddr(true)?;
                socket.bind(addr)?;
                socket.listen(self.backlog)
            });
            match bound {
                Ok(listener) => return Ok(listener),
                Err(e) => last = e,
            }
        }
        Err(ServerError::Bind(last))
    }

    async fn serve(self, listener: TcpListener, mut stopped: oneshot::Receiver<()>) {
        let max_connections = match fd_limit() {
            Some(limit) => self
                .max_connections
                .min(usize::try_from(limit.saturating_sub(FD_RESERVE)).unwrap_or(usize::MAX))
                .max(1),
            None => self.max_connections,
        };
        let connections = Connections::new(max_connections, self.max_in_flight_bytes);
        let limits = Arc::new(Limits {
            handler: self.handler,
            header_timeout: self.header_timeout,
            response_timeout: self.response_timeout,
            connections: Arc::clone(&connections),
        });
        #[cfg(feature = "tls")]
        let tls = self.tls.map(|tls| tls.acceptor());
        loop {
            let stream = tokio::select! {
                _ = &mut stopped => return,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) if out_of_descriptors(&e) => {
                        // Make room by closing the connection that waited longest for a
                        // request; with none, wait a little rather than spin.
                        if !connections.shed() {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                        continue;
                    }
                    Err(_) => {
                        // A connection reset before it was accepted: go on serving.
                        tokio::time::sleep(Duration::from_millis(1)).await;
                        continue;
                    }
                },
            };
            let Some(id) = connections.admit() else {
                // Every slot answers a recent request: refuse this one.
                drop(stream);
                continue;
            };
            let _ = stream.set_nodelay(true);
            // A bounded send buffer: a client that reads slowly holds its answer in the shared
            // rendered buffer, not in a private kernel copy grown to megabytes, and each write
            // to it stays small.
            let _ = rustix::net::sockopt::set_socket_send_buffer_size(&stream, SEND_BUFFER);
            let limits = Arc::clone(&limits);
            #[cfg(feature = "tls")]
            let tls = tls.clone();
            let task = tokio::spawn(async move {
                limits.connections.started(id);
                #[cfg(feature = "tls")]
                if let Some(tls) = tls {
                    let handshake = tokio::time::timeout(limits.header_timeout, tls.accept(stream));
                    if let Ok(Ok(stream)) = handshake.await {
                        limits.serve(id, stream).await;
                    }
                    limits.connections.closed(id);
                    return;
                }
                limits.serve(id, stream).await;
                limits.connections.closed(id);
            });
            connections.spawned(id, task.abort_handle());
        }
    }
}

/// Whether accepting failed for want of a file descriptor (the process' or the system's).
fn out_of_descriptors(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(code) if code == rustix::io::Errno::MFILE.raw_os_error()
            || code == rustix::io::Errno::NFILE.raw_os_error()
    )
}

/// The process' soft limit of open file descriptors, if known.
fn fd_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current
}

struct Limits {
    handler: MetricsHandler,
    header_timeout: Duration,
    response_timeout: Duration,
    connections: Arc<Connections>,
}

impl Limits {
    async fn serve<I>(self: &Arc<Self>, id: Id, io: I)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let io = WriteDeadline::new(io, self.response_timeout);
        let limits = Arc::clone(self);
        let service = hyper::service::service_fn(move |request| {
            limits.connections.request(id);
            let answer = limits.handler.serve(&request);
            let limits = Arc::clone(&limits);
            async move {
                let response = answer.await;
                let in_flight = limits.connections.answer(id, response.body());
                Ok::<_, Infallible>(response.map(|body| {
                    Full::new(Bytes::from_owner(Answer {
                        body,
                        _in_flight: in_flight,
                    }))
                }))
            }
        });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_timeout)
            .serve_connection(TokioIo::new(io), service);
        // Errors are the client's (a malformed request was answered with 400, a timeout, a
        // reset): the connection is closed and nothing else is affected.
        let _ = connection.await;
    }
}

/// An answer's bytes, counted in flight until the server has written them.
struct Answer {
    body: Bytes,
    _in_flight: InFlight,
}

impl AsRef<[u8]> for Answer {
    fn as_ref(&self) -> &[u8] {
        &self.body
    }
}

/// A handle on a running server: its address, and a way to stop it. Dropping it stops the
/// server too.
///
/// # Examples
///
/// ```
/// let registry = std::sync::Arc::new(coremeter::Registry::new());
/// let server = coremeter_exporter::start_http_server("127.0.0.1:0", &registry)?;
/// let addr = server.local_addr();
/// assert!(addr.ip().is_loopback() && addr.port() != 0);
/// server.stop();
/// assert!(std::net::TcpStream::connect(addr).is_err());
/// # Ok::<(), coremeter_exporter::ServerError>(())
/// ```
#[must_use = "the server stops when its handle is dropped"]
pub struct ServerHandle {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// The address the server listens on (with the port the system chose for port 0).
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let server = coremeter_exporter::start_http_server("127.0.0.1:0", &registry)?;
    /// println!("http://{}/metrics", server.local_addr());
    /// # Ok::<(), coremeter_exporter::ServerError>(())
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, closes every connection and waits for the server thread to end.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let server = coremeter_exporter::start_http_server("127.0.0.1:0", &registry)?;
    /// let addr = server.local_addr();
    /// server.stop();
    /// assert!(std::net::TcpStream::connect(addr).is_err());
    /// # Ok::<(), coremeter_exporter::ServerError>(())
    /// ```
    pub fn stop(mut self) {
        self.shut_down();
    }

    /// Blocks the calling thread for as long as the server runs (for a binary whose only job is
    /// serving).
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let server = coremeter_exporter::start_http_server("127.0.0.1:0", &registry)?;
    /// // A binary whose only job is serving: block until the server ends.
    /// if false {
    ///     server.wait();
    /// }
    /// # Ok::<(), coremeter_exporter::ServerError>(())
    /// ```
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // The runtime is dropped with the thread, which cancels every connection task.
            let _ = thread.join();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.shut_down();
    }
}

impl fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerHandle")
            .field("local_addr", &self.local_addr)
            .field("running", &self.thread.is_some())
            .finish()
    }
}

/// Why a server could not start.
///
/// # Examples
///
/// ```
/// use coremeter_exporter::{ServerError, start_http_server};
///
/// let registry = std::sync::Arc::new(coremeter::Registry::new());
/// let first = start_http_server("127.0.0.1:0", &registry)?;
/// let second = start_http_server(first.local_addr(), &registry);
/// assert!(matches!(second, Err(ServerError::Bind(_))));
/// # Ok::<(), ServerError>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ServerError {
    /// The address could not be bound (in use, not local, not permitted).
    Bind(io::Error),
    /// The server thread or its runtime could not be created.
    Runtime(io::Error),
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerError::Bind(e) => write!(f, "cannot bind the metrics server: {e}"),
            ServerError::Runtime(e) => write!(f, "cannot start the metrics server thread: {e}"),
        }
    }
}

impl std::error::Error for ServerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServerError::Bind(e) | ServerError::Runtime(e) => Some(e),
        }
    }
}
