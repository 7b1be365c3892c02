//! Helpers of the exporter's tests: real servers started on 127.0.0.1 (port 0, read back from
//! their logs) and stopped when dropped, and a raw HTTP/1.1 client.

#![allow(dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "metrics-exporter-{tag}-{}-{:?}",
            std::process::id(),
            Instant::now()
        ));
        let dir = PathBuf::from(dir.to_string_lossy().replace([' ', '{', '}', ':', ','], ""));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process killed (and reaped) on drop.
pub struct Daemon {
    pub child: Child,
    pub log: PathBuf,
}

impl Daemon {
    pub fn spawn(command: &mut Command, log: PathBuf) -> Daemon {
        let file = std::fs::File::create(&log).unwrap();
        let child = command
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {command:?}: {e} (run .ci/test to install it)")
            });
        Daemon { child, log }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits for the `msg="Listening on" address=127.0.0.1:PORT` line of a Prometheus binary.
    pub fn listening_port(&mut self) -> u16 {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let log = self.log();
            if let Some(rest) = log.split("msg=\"Listening on\" address=127.0.0.1:").nth(1) {
                let port: String = rest.chars().take_while(char::is_ascii_digit).collect();
                return port.parse().unwrap();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("daemon exited ({status}):\n{log}");
            }
            assert!(Instant::now() < deadline, "no listening address in:\n{log}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn stop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A response read by [`request`].
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap()
    }
}

/// Sends `raw` (a whole request; add `Connection: close`) and reads the response to the end.
pub fn request(addr: SocketAddr, raw: &str) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(raw.as_bytes())?;
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes)?;
    Ok(parse(&bytes))
}

/// `GET path` with extra header lines (each ending in `\r\n`).
pub fn get(addr: SocketAddr, path: &str, headers: &str) -> Response {
    send(addr, "GET", path, headers)
}

/// A `HEAD` of `path` (the answer's body must be empty).
pub fn head(addr: SocketAddr, path: &str) -> Response {
    send(addr, "HEAD", path, "")
}

fn send(addr: SocketAddr, method: &str, path: &str, headers: &str) -> Response {
    request(
        addr,
        &format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Connection: close\r\n\r\n"),
    )
    .unwrap()
}

pub fn parse(bytes: &[u8]) -> Response {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(bytes)));
    let head = std::str::from_utf8(&bytes[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    let mut body = bytes[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..end]).unwrap().trim(), 16).unwrap();
        data = &data[end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// Polls `f` every 100 ms until it returns `Some`, or panics after `timeout` with `what`.
pub fn wait_for<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The value of `name_total`-style sample `line_prefix` in a text exposition.
pub fn sample(text: &str, line_prefix: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(line_prefix)?.strip_prefix(' '))
        .map(|v| v.split(' ').next().unwrap().parse().unwrap())
}

/// A real Prometheus (Debian `prometheus`) on 127.0.0.1 with a temporary TSDB.
pub struct Prometheus {
    pub daemon: Daemon,
    pub addr: SocketAddr,
}

impl Prometheus {
    pub fn start(dir: &TempDir, config: &Path) -> Prometheus {
        Prometheus::start_with(dir, config, &[])
    }

    pub fn start_with(dir: &TempDir, config: &Path, flags: &[&str]) -> Prometheus {
        let data = dir.path().join("prom-data");
        let mut daemon = Daemon::spawn(
            Command::new("prometheus")
                .args([
                    format!("--config.file={}", config.display()),
                    format!("--storage.tsdb.path={}", data.display()),
                    "--web.listen-address=127.0.0.1:0".to_owned(),
                ])
                .args(flags),
            dir.path().join("prometheus.log"),
        );
        let port = daemon.listening_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        wait_for(Duration::from_secs(30), "Prometheus ready", || {
            request(
                addr,
                &format!("GET /-/ready HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
            )
            .ok()
            .filter(|r| r.status == 200)
        });
        Prometheus { daemon, addr }
    }

    /// The body of `GET /api/v1/query?query=...`.
    pub fn query(&self, promql: &str) -> String {
        let q: String = form_urlencoded::byte_serialize(promql.as_bytes()).collect();
        get(self.addr, &format!("/api/v1/query?query={q}"), "")
            .text()
            .to_owned()
    }

    /// The value of the first sample of an instant query, if any.
    pub fn query_value(&self, promql: &str) -> Option<f64> {
        let body = self.query(promql);
        let rest = body.split("\"value\":[").nth(1)?;
        let value = rest.split('"').nth(1)?;
        value.parse().ok()
    }

    /// `(job, health, lastError)` of every active target.
    pub fn targets(&self) -> Vec<(String, String, String)> {
        let body = get(self.addr, "/api/v1/targets", "").text().to_owned();
        let field = |chunk: &str, key: &str| -> String {
            chunk
                .split(&format!("\"{key}\":\""))
                .nth(1)
                .map(|r| {
                    // Up to the closing quote that is not escaped.
                    let mut out = String::new();
                    let mut escaped = false;
                    for c in r.chars() {
                        match (escaped, c) {
                            (false, '\\') => escaped = true,
                            (false, '"') => break,
                            _ => {
                                escaped = false;
                                out.push(c);
                            }
                        }
                    }
                    out
                })
                .unwrap_or_default()
        };
        body.split("{\"discoveredLabels\"")
            .skip(1)
            .map(|chunk| {
                (
                    field(chunk, "job"),
                    field(chunk, "health"),
                    field(chunk, "lastError"),
                )
            })
            .collect()
    }
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA.
pub fn make_certificates(dir: &Path) {
    let script = r#"
set -e
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=test-ca -keyout ca.key -out ca.pem \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
for who in server client; do
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj /CN=$who -keyout $who.key -out $who.csr
done
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > server.ext
printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' > client.ext
for who in server client; do
  openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
    -extfile $who.ext -out $who.pem
done
"#;
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `curl` exit status and body.
pub fn curl(dir: &Path, url: &str, extra: &[&str]) -> (i32, String) {
    let out = Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "10",
            "--cacert",
            "ca.pem",
            "-w",
            "\n%{http_code}",
        ])
        .args(extra)
        .arg(url)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// A registry of 10,000 counter series (1,000 families of 10 label values) and a latency
/// histogram, updated by 2 threads until dropped: the load of the endpoint tests.
pub struct Busy {
    pub registry: std::sync::Arc<coremeter::Registry>,
    pub latency: coremeter::Histogram,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    updaters: Vec<std::thread::JoinHandle<u64>>,
}

impl Busy {
    pub fn start() -> Busy {
        use coremeter::{Counter, DynLabels, Family, Histogram, Opts, Registry};
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};

        let registry = Arc::new(Registry::new());
        let families: Vec<_> = (0..1000)
            .map(|i| {
                let f = Family::<DynLabels, Counter>::with_label_names(&["shard"]).unwrap();
                registry
                    .register(
                        Opts::new(format!("load_family_{i}"), "A family of the load test."),
                        f.clone(),
                    )
                    .unwrap();
                f
            })
            .collect();
        let children: Arc<Vec<Counter>> = Arc::new(
            families
                .iter()
                .flat_map(|f| {
                    (0..10).map(move |v| f.labels(&[&v.to_string()]).unwrap().into_owned())
                })
                .collect(),
        );
        let latency = Histogram::new();
        registry
            .register(
                Opts::new("load_latency", "Latency.").unit("seconds"),
                latency.clone(),
            )
            .unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let updaters = (0..2)
            .map(|t| {
                let (children, latency, stop) =
                    (Arc::clone(&children), latency.clone(), Arc::clone(&stop));
                std::thread::spawn(move || {
                    let mut i = t;
                    let mut updates = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        children[i % children.len()].inc();
                        latency.observe((i % 100) as f64 / 1000.0);
                        i = i.wrapping_add(7919);
                        updates += 1;
                    }
                    updates
                })
            })
            .collect();
        Busy {
            registry,
            latency,
            stop,
            updaters,
        }
    }

    /// Stops the updaters; the updates they made.
    pub fn stop(mut self) -> u64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.updaters.drain(..).map(|u| u.join().unwrap()).sum()
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for u in self.updaters.drain(..) {
            let _ = u.join();
        }
    }
}

/// This process' resident memory, in bytes.
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    kb * 1024
}

/// Serves `app` with axum on 127.0.0.1 (a port the system picks), on a 2-worker runtime of its
/// own, for the rest of the test process; its address.
pub fn serve_axum(app: axum::Router) -> SocketAddr {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || runtime.block_on(async { axum::serve(listener, app).await }));
    addr
}

/// A request workload until dropped: ~200 increments a second of `requests` with a `trace_id`
/// exemplar each, and as many observations of `latency` spread over 0.1..0.3 s.
pub struct Requests {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    worker: Option<std::thread::JoinHandle<()>>,
}

impl Requests {
    pub fn start(requests: coremeter::Counter, latency: coremeter::Histogram) -> Requests {
        use std::sync::atomic::{AtomicBool, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let worker = {
            let stop = std::sync::Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    requests
                        .inc_with_exemplar(&[("trace_id", &format!("{i:x}"))])
                        .unwrap();
                    latency.observe(0.1 + (i % 21) as f64 / 100.0);
                    i += 1;
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
        };
        Requests {
            stop,
            worker: Some(worker),
        }
    }
}

impl Drop for Requests {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// A Prometheus configuration scraping `target` every second as each of `jobs`: a job name and
/// the `format` parameter it pins, if any.
pub fn scrape_config(target: SocketAddr, jobs: &[(&str, Option<&str>)]) -> String {
    let mut config = "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  \
                      evaluation_interval: 1s\nscrape_configs:\n"
        .to_owned();
    for (job, format) in jobs {
        config.push_str(&format!("  - job_name: {job}\n"));
        if let Some(format) = format {
            config.push_str(&format!("    params:\n      format: [{format}]\n"));
        }
        config.push_str(&format!(
            "    static_configs:\n      - targets: ['{target}']\n"
        ));
    }
    config
}
