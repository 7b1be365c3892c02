//! The Graphite bridge: pushes a registry to carbon in the plaintext protocol
//! (`path value timestamp\n`) at a fixed interval, reconnecting with backoff.

use std::fmt::{self, Write as _};
use std::io::{self, Write as _};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use coremeter::Registry;

use crate::SharedRegistry;

/// How a sample's labels appear in Graphite.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, DynLabels, Family, Opts, Registry};
/// use coremeter_exporter::{GraphiteBridge, LabelStyle};
///
/// let registry = Registry::new();
/// let jobs = Family::<DynLabels, Counter>::with_label_names(&["queue"])?;
/// registry.register(Opts::new("jobs", "Jobs."), jobs.clone())?;
/// jobs.labels(&["email"])?.inc();
/// let path = GraphiteBridge::new("127.0.0.1:2003").render(&registry);
/// assert!(path.starts_with("jobs_total.queue.email 1 "));
/// let tags = GraphiteBridge::new("127.0.0.1:2003").label_style(LabelStyle::Tags).render(&registry);
/// assert!(tags.starts_with("jobs_total;queue=email 1 "));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum LabelStyle {
    /// Folded into the path after the name, as Python's `GraphiteBridge` does:
    /// `prefix.http_requests_total.method.get.code.200`.
    #[default]
    Path,
    /// Graphite tags (Graphite 1.1+): `prefix.http_requests_total;method=get;code=200`.
    Tags,
}

/// Pushes a registry to a Graphite carbon daemon over TCP, in the plaintext protocol.
///
/// Each sample becomes one line `prefix.name[labels] value unix_seconds`. Names and label
/// values are sanitised: anything but `[a-zA-Z0-9_-]` becomes `_` in a path component, and
/// `;`, `!`, `^`, `=`, `~` and whitespace become `_` in a tag value (carbon would split or
/// reject them); an empty label value is written `_` in both (an empty path node or tag value
/// is not a Graphite metric). Samples whose value is `NaN` or infinite are skipped (carbon stores no such
/// points).
///
/// # Examples
///
/// ```no_run
/// use std::sync::Arc;
/// use std::time::Duration;
/// use coremeter::Registry;
/// use coremeter_exporter::{GraphiteBridge, LabelStyle};
///
/// let registry = Arc::new(Registry::new());
/// let bridge = GraphiteBridge::new("127.0.0.1:2003")
///     .prefix("myapp.web1")
///     .label_style(LabelStyle::Tags)
///     .interval(Duration::from_secs(10))
///     .start(&registry);
/// // ... later:
/// bridge.stop();
/// ```
#[derive(Clone, Debug)]
pub struct GraphiteBridge {
    address: String,
    prefix: String,
    style: LabelStyle,
    interval: Duration,
    timeout: Duration,
}

impl GraphiteBridge {
    /// A bridge to carbon's plaintext receiver at `address` (`host:port`, usually port 2003),
    /// pushing every 15 s with labels folded into the path.
    ///
    /// # Examples
    ///
    /// ```
    /// let bridge = coremeter_exporter::GraphiteBridge::new("127.0.0.1:2003");
    /// assert!(bridge.render(&coremeter::Registry::new()).is_empty());
    /// ```
    pub fn new(address: impl Into<String>) -> Self {
        GraphiteBridge {
            address: address.into(),
            prefix: String::new(),
            style: LabelStyle::default(),
            interval: Duration::from_secs(15),
            timeout: Duration::from_secs(5),
        }
    }

    /// A prefix for every path (`myapp.web1`).
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = coremeter::Registry::new();
    /// let c = coremeter::Counter::new();
    /// registry.register(coremeter::Opts::new("jobs", "Jobs."), c.clone())?;
    /// let lines = coremeter_exporter::GraphiteBridge::new("127.0.0.1:2003").prefix("app.web1").render(&registry);
    /// assert!(lines.starts_with("app.web1.jobs_total 0 "));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into().trim_matches('.').to_owned();
        self
    }

    /// How labels are written.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter_exporter::{GraphiteBridge, LabelStyle};
    ///
    /// let bridge = GraphiteBridge::new("127.0.0.1:2003").label_style(LabelStyle::Tags);
    /// # let _ = bridge;
    /// ```
    #[must_use]
    pub fn label_style(mut self, style: LabelStyle) -> Self {
        self.style = style;
        self
    }

    /// The time between pushes (at least 10 ms).
    ///
    /// # Examples
    ///
    /// ```
    /// let bridge = coremeter_exporter::GraphiteBridge::new("127.0.0.1:2003").interval(std::time::Duration::from_secs(60));
    /// # let _ = bridge;
    /// ```
    #[must_use]
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval.max(Duration::from_millis(10));
        self
    }

    /// The time allowed to connect and to write one push.
    ///
    /// # Examples
    ///
    /// ```
    /// let bridge = coremeter_exporter::GraphiteBridge::new("127.0.0.1:2003").timeout(std::time::Duration::from_secs(2));
    /// # let _ = bridge;
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The lines one push of `registry` sends now. A custom collector that fails is left out
    /// (Graphite has no scrape to fail; the registry's
    /// [error hook](coremeter::Registry::on_collect_error) is told) and the rest is sent.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = coremeter::Registry::new();
    /// let c = coremeter::Counter::new();
    /// registry.register(coremeter::Opts::new("jobs", "Jobs."), c.clone())?;
    /// c.inc();
    /// let line = coremeter_exporter::GraphiteBridge::new("127.0.0.1:2003").render(&registry);
    /// let fields: Vec<&str> = line.split_whitespace().collect();
    /// assert_eq!(&fields[..2], ["jobs_total", "1"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn render(&self, registry: &Registry) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.render_at(registry, now)
    }

    fn render_at(&self, registry: &Registry, timestamp: u64) -> String {
        let mut out = String::new();
        for sample in registry.samples() {
            if !sample.value.is_finite() {
                continue;
            }
            if !self.prefix.is_empty() {
                out.push_str(&self.prefix);
                out.push('.');
            }
            sanitize_path(&mut out, &sample.name);
            for (name, value) in &sample.labels {
                match self.style {
                    LabelStyle::Path => {
                        out.push('.');
                        sanitize_path(&mut out, name);
                        out.push('.');
                        sanitize_path(&mut out, value);
                    }
                    LabelStyle::Tags => {
                        out.push(';');
                        out.push_str(name);
                        out.push('=');
                        sanitize_tag(&mut out, value);
                    }
                }
            }
            // `f64`'s Display is the shortest round-trip decimal, without exponent.
            let _ = writeln!(out, " {} {timestamp}", sample.value);
        }
        out
    }

    /// Pushes `registry` once, on a new connection.
    ///
    /// # Errors
    ///
    /// The connection or write error.
    ///
    /// # Examples
    ///
    /// ```
    /// // Nothing listens on port 1: the error comes back, nothing panics.
    /// let registry = coremeter::Registry::new();
    /// assert!(coremeter_exporter::GraphiteBridge::new("127.0.0.1:1").push(&registry).is_err());
    /// ```
    pub fn push(&self, registry: &Registry) -> io::Result<()> {
        let mut stream = self.connect()?;
        stream.write_all(self.render(registry).as_bytes())?;
        stream.flush()
    }

    fn connect(&self) -> io::Result<TcpStream> {
        let mut last = io::Error::new(io::ErrorKind::NotFound, "address resolves to nothing");
        for addr in self.address.to_socket_addrs()? {
            match TcpStream::connect_timeout(&addr, self.timeout) {
                Ok(stream) => {
                    stream.set_write_timeout(Some(self.timeout))?;
                    let _ = stream.set_nodelay(true);
                    return Ok(stream);
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Pushes `registry` every interval on a background thread (`coremeter-graphite`) until the
    /// handle is stopped or dropped. The connection is kept open between pushes; when carbon is
    /// down or the connection breaks, the bridge reconnects with a backoff that starts at 100 ms
    /// and doubles up to the interval (and 30 s at most). A push that cannot be sent is dropped:
    /// the next one carries current values.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let bridge = coremeter_exporter::GraphiteBridge::new("127.0.0.1:1").start(&registry);
    /// bridge.stop();
    /// ```
    pub fn start(self, registry: impl Into<SharedRegistry>) -> BridgeHandle {
        let registry = registry.into();
        let (stop, stopped) = mpsc::channel::<()>();
        let stats = Arc::new(Stats::default());
        let thread_stats = Arc::clone(&stats);
        let thread = std::thread::Builder::new()
            .name("coremeter-graphite".into())
            .spawn(move || self.run(&registry, &stopped, &thread_stats));
        BridgeHandle {
            stop: Some(stop),
            thread: thread.ok(),
            stats,
        }
    }

    fn run(&self, registry: &Registry, stopped: &mpsc::Receiver<()>, stats: &Stats) {
        let mut stream: Option<TcpStream> = None;
        let max_backoff = self.interval.min(Duration::from_secs(30));
        let mut backoff = Duration::from_millis(100).min(max_backoff);
        let mut next = Instant::now();
        loop {
            let wait = next.saturating_duration_since(Instant::now());
            match stopped.recv_timeout(wait) {
                Err(RecvTimeoutError::Timeout) => {}
                // Stopped, or the handle is gone.
                Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
            }
            let sent = match stream.take() {
                Some(s) => Ok(s),
                None => self.connect(),
            }
            .and_then(|mut s| {
                s.write_all(self.render(registry).as_bytes())?;
                s.flush()?;
                Ok(s)
            });
            match sent {
                Ok(s) => {
                    stream = Some(s);
                    stats.pushes.fetch_add(1, Ordering::Relaxed);
                    backoff = Duration::from_millis(100).min(max_backoff);
                    next += self.interval;
                    if next < Instant::now() {
                        next = Instant::now() + self.interval;
                    }
                }
                Err(_) => {
                    stats.failures.fetch_add(1, Ordering::Relaxed);
                    next = Instant::now() + backoff;
                    backoff = (backoff * 2).min(max_backoff);
                }
            }
        }
    }
}

#[derive(Debug, Default)]
struct Stats {
    pushes: AtomicU64,
    failures: AtomicU64,
}

/// A running Graphite bridge. Dropping it stops the bridge.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use coremeter_exporter::GraphiteBridge;
///
/// let registry = std::sync::Arc::new(coremeter::Registry::new());
/// // Nothing listens on port 1: attempts fail, the bridge keeps trying with backoff.
/// let bridge = GraphiteBridge::new("127.0.0.1:1").interval(Duration::from_millis(50)).start(&registry);
/// std::thread::sleep(Duration::from_millis(300));
/// assert!(bridge.failures() > 0);
/// assert_eq!(bridge.pushes(), 0);
/// bridge.stop();
/// ```
#[must_use = "the bridge stops when its handle is dropped"]
pub struct BridgeHandle {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    stats: Arc<Stats>,
}

impl BridgeHandle {
    /// Pushes sent so far.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let bridge = coremeter_exporter::GraphiteBridge::new("127.0.0.1:1").start(&registry);
    /// assert_eq!(bridge.pushes(), 0);
    /// ```
    pub fn pushes(&self) -> u64 {
        self.stats.pushes.load(Ordering::Relaxed)
    }

    /// Attempts that failed so far (carbon down, connection broken).
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let bridge = coremeter_exporter::GraphiteBridge::new("127.0.0.1:1").start(&registry);
    /// std::thread::sleep(std::time::Duration::from_millis(200));
    /// assert!(bridge.failures() >= 1);
    /// ```
    pub fn failures(&self) -> u64 {
        self.stats.failures.load(Ordering::Relaxed)
    }

    /// Stops the bridge and waits for its thread (at most one push in progress).
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// coremeter_exporter::GraphiteBridge::new("127.0.0.1:1").start(&registry).stop();
    /// ```
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for BridgeHandle {
    fn drop(&mut self) {
        self.shut_down();
    }
}

impl fmt::Debug for BridgeHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BridgeHandle")
            .field("pushes", &self.pushes())
            .field("failures", &self.failures())
            .finish()
    }
}

fn sanitize_path(out: &mut String, s: &str) {
    if s.is_empty() {
        // `a..b` or a trailing `.` is not a Graphite path.
        out.push('_');
        return;
    }
    out.extend(s.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            c
        } else {
            '_'
        }
    }));
}

fn sanitize_tag(out: &mut String, s: &str) {
    if s.is_empty() {
        // Graphite rejects an empty tag value.
        out.push('_');
        return;
    }
    out.extend(s.chars().map(|c| {
        if matches!(c, ';' | '!' | '^' | '=' | '~') || c.is_whitespace() || c.is_control() {
            '_'
        } else {
            c
        }
    }));
}

#[cfg(test)]
mod tests {
    use coremeter::{Counter, DynLabels, Family, Gauge, Opts};

    use super::*;

    #[test]
    fn lines() {
        let registry = Registry::new();
        let c = Family::<DynLabels, Counter>::with_label_names(&["path"]).unwrap();
        registry
            .register(Opts::new("hits", "Hits."), c.clone())
            .unwrap();
        c.labels(&["/a b;c"]).unwrap().inc_by(3);
        c.labels(&[""]).unwrap().inc_by(1);
        let g = Gauge::new();
        registry
            .register(Opts::new("temp", "T."), g.clone())
            .unwrap();
        g.set(-2);
        let bridge = GraphiteBridge::new("127.0.0.1:1").prefix("app.");
        assert_eq!(
            bridge.render_at(&registry, 7),
            "app.hits_total.path._a_b_c 3 7\napp.hits_total.path._ 1 7\napp.temp -2 7\n"
        );
        let tags = bridge.label_style(LabelStyle::Tags);
        assert_eq!(
            tags.render_at(&registry, 7),
            "app.hits_total;path=/a_b_c 3 7\napp.hits_total;path=_ 1 7\napp.temp -2 7\n"
        );
    }
}
