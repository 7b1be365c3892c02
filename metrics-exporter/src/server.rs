//! The embedded HTTP server: one call starts it on a background thread with its own
//! single-threaded tokio runtime, so the caller needs no async runtime.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpListener as StdListener, ToSocketAddrs};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::thread::JoinHandle;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};
use tokio::time::{Instant, Sleep};

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

/// An HTTP(S) server for a [`MetricsHandler`], with limits that keep a slow or hostile client
/// from holding it:
///
/// - at most [`max_connections`](HttpServer::max_connections) connections at once (default 64);
///   further clients wait in the listen backlog until one closes;
/// - a [`header_timeout`](HttpServer::header_timeout) (default 10 s) for a request's headers to
///   arrive, which also closes a keep-alive connection that stays silent that long between
///   requests, and bounds a TLS handshake;
/// - an [`idle_timeout`](HttpServer::idle_timeout) (default 30 s): a connection on which no byte
///   moves in either direction for that long is closed (a client that stops reading its
///   response, a trickled body);
/// - a malformed request gets `400 Bad Request` and its connection closes; the server keeps
///   serving the others.
///
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
///     .max_connections(8)
///     .header_timeout(Duration::from_secs(5))
///     .start("127.0.0.1:0")?;
/// server.stop();
/// # Ok::<(), coremeter_exporter::ServerError>(())
/// ```
#[derive(Debug)]
pub struct HttpServer {
    handler: MetricsHandler,
    max_connections: usize,
    header_timeout: Duration,
    idle_timeout: Duration,
    #[cfg(feature = "tls")]
    tls: Option<crate::TlsConfig>,
}

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
        Self::with_handler(MetricsHandler::new(registry))
    }

    /// A server for a handler configured beforehand.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter_exporter::{HttpServer, MetricsHandler};
    ///
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let handler = MetricsHandler::new(&registry).metrics_and_reset(true);
    /// let server = HttpServer::with_handler(handler).start("127.0.0.1:0")?;
    /// server.stop();
    /// # Ok::<(), coremeter_exporter::ServerError>(())
    /// ```
    pub fn with_handler(handler: MetricsHandler) -> Self {
        HttpServer {
            handler,
            max_connections: 64,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
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

    /// The most connections served at once (at least 1).
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
        self.max_connections = max.clamp(1, Semaphore::MAX_PERMITS);
        self
    }

    /// How long a client may take to send a request's headers, or stay silent between requests.
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

    /// How long a connection may go without a byte read or written.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let server = coremeter_exporter::HttpServer::new(&registry)
    ///     .idle_timeout(std::time::Duration::from_secs(60))
    ///     .start("127.0.0.1:0")?;
    /// server.stop();
    /// # Ok::<(), coremeter_exporter::ServerError>(())
    /// ```
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
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
        let std_listener = StdListener::bind(addr).map_err(ServerError::Bind)?;
        let local_addr = std_listener.local_addr().map_err(ServerError::Bind)?;
        std_listener
            .set_nonblocking(true)
            .map_err(ServerError::Bind)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(ServerError::Runtime)?;
        let listener = {
            let _guard = runtime.enter();
            TcpListener::from_std(std_listener).map_err(ServerError::Bind)?
        };
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

    async fn serve(self, listener: TcpListener, mut stopped: oneshot::Receiver<()>) {
        let limits = Arc::new(Limits {
            handler: self.handler,
            header_timeout: self.header_timeout,
            idle_timeout: self.idle_timeout,
        });
        #[cfg(feature = "tls")]
        let tls = self.tls.map(|tls| tls.acceptor());
        let permits = Arc::new(Semaphore::new(self.max_connections));
        loop {
            let permit = tokio::select! {
                _ = &mut stopped => return,
                permit = Arc::clone(&permits).acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => return,
                },
            };
            let stream = tokio::select! {
                _ = &mut stopped => return,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        // Out of file descriptors or a connection reset before it was
                        // accepted: wait a little rather than spin, then go on serving.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let _ = stream.set_nodelay(true);
            let limits = Arc::clone(&limits);
            #[cfg(feature = "tls")]
            let tls = tls.clone();
            tokio::spawn(async move {
                let _permit = permit;
                #[cfg(feature = "tls")]
                if let Some(tls) = tls {
                    let handshake = tokio::time::timeout(limits.header_timeout, tls.accept(stream));
                    if let Ok(Ok(stream)) = handshake.await {
                        limits.serve(stream).await;
                    }
                    return;
                }
                limits.serve(stream).await;
            });
        }
    }
}

struct Limits {
    handler: MetricsHandler,
    header_timeout: Duration,
    idle_timeout: Duration,
}

impl Limits {
    async fn serve<I>(&self, io: I)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let io = IdleTimeout::new(io, self.idle_timeout);
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_timeout)
            .serve_connection(TokioIo::new(io), self.handler.clone());
        // Errors are the client's (a malformed request was answered with 400, a timeout, a
        // reset): the connection is closed and nothing else is affected.
        let _ = connection.await;
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

/// An I/O stream that fails with `TimedOut` once no byte has moved either way for `timeout`.
struct IdleTimeout<I> {
    io: I,
    timeout: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl<I> IdleTimeout<I> {
    fn new(io: I, timeout: Duration) -> Self {
        IdleTimeout {
            io,
            timeout,
            deadline: Box::pin(tokio::time::sleep(timeout)),
        }
    }

    fn on<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        match poll {
            Poll::Ready(result) => {
                let deadline = Instant::now() + self.timeout;
                self.deadline.as_mut().reset(deadline);
                Poll::Ready(result)
            }
            Poll::Pending => {
                ready!(self.deadline.as_mut().poll(cx));
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "connection idle for too long",
                )))
            }
        }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for IdleTimeout<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.io).poll_read(cx, buf);
        this.on(cx, poll)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<I> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.io).poll_write(cx, buf);
        this.on(cx, poll)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.io).poll_flush(cx);
        this.on(cx, poll)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
