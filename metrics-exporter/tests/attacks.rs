//! The endpoint under attack: while hostile clients run against a server of a 10,000-series
//! registry (2 threads updating it), a well-behaved scraper (a fresh connection, a request, the
//! whole answer, every 100 ms) must be answered in under 1 s at the 99th percentile, and never
//! fail. Each attack runs for a few seconds (`ATTACK_SECONDS`, default 3) on 127.0.0.1; the
//! attackers reconnect whenever the server closes them. Prints a Markdown row per attack for
//! benches/README.md: probes, p50, p99, max, and the process' resident memory at the end (the
//! server, the registry and the attackers share the process).

mod common;

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use coremeter_exporter::HttpServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One attack at a time: the attacks of this file would measure each other otherwise.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn seconds() -> Duration {
    let s: u64 = std::env::var("ATTACK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    Duration::from_secs(s)
}

/// Lets the process open as many descriptors as its hard limit allows (attackers and server
/// share it).
fn raise_fd_limit() -> u64 {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    limit.current = limit.maximum;
    let _ = setrlimit(Resource::Nofile, limit);
    getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX)
}

/// The attackers' runtime: its own threads, so that the probe and the server are not starved
/// by their bookkeeping more than by their traffic.
fn attackers() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Probes `probe` every 100 ms for `duration`; the latencies, and the failures.
fn probe_for(
    duration: Duration,
    probe: impl Fn() -> Result<(), String>,
) -> (Vec<Duration>, Vec<String>) {
    let end = Instant::now() + duration;
    let (mut latencies, mut failures) = (Vec::new(), Vec::new());
    while Instant::now() < end {
        let start = Instant::now();
        match probe() {
            Ok(()) => latencies.push(start.elapsed()),
            Err(e) => failures.push(e),
        }
        std::thread::sleep(Duration::from_millis(100).saturating_sub(start.elapsed()));
    }
    (latencies, failures)
}

/// A plain scrape: 200 and the whole body.
fn scrape(addr: SocketAddr) -> Result<(), String> {
    let response = common::request(
        addr,
        &format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )
    .map_err(|e| e.to_string())?;
    if response.status != 200 || !response.text().contains("load_family_999") {
        return Err(format!("status {}", response.status));
    }
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Prints the attack's row and checks the probes: none failed, p99 under 1 s.
fn report(attack: &str, (mut latencies, failures): (Vec<Duration>, Vec<String>)) {
    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (p50, p99) = (percentile(&latencies, 0.5), percentile(&latencies, 0.99));
    println!(
        "| {attack} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.0} MiB | {} |",
        latencies.len(),
        ms(p50),
        ms(p99),
        ms(*latencies.last().unwrap()),
        common::rss_bytes() as f64 / 1048576.0,
        failures.len()
    );
    assert!(failures.is_empty(), "{attack}: failed probes {failures:?}");
    assert!(latencies.len() >= 5, "{attack}: too few probes");
    assert!(p99 < Duration::from_secs(1), "{attack}: p99 {p99:?}");
}

/// Runs `attacker(addr, stopped)` `n` times on the attackers' runtime while the probe runs.
fn under_attack<F, A>(
    attack: &str,
    addr: SocketAddr,
    n: usize,
    attacker: F,
    probe: impl Fn() -> Result<(), String>,
) where
    F: Fn(SocketAddr, Arc<AtomicBool>) -> A,
    A: std::future::Future<Output = ()> + Send + 'static,
{
    let runtime = attackers();
    let stopped = Arc::new(AtomicBool::new(false));
    for _ in 0..n {
        runtime.spawn(attacker(addr, Arc::clone(&stopped)));
    }
    // Let the attack build up before measuring.
    std::thread::sleep(Duration::from_millis(500));
    let probes = probe_for(seconds(), probe);
    stopped.store(true, Ordering::Relaxed);
    runtime.shutdown_timeout(Duration::from_secs(1));
    report(attack, probes);
}

/// Sends a request head one byte every 100 ms, for ever; reconnects when closed.
async fn trickle(addr: SocketAddr, stopped: Arc<AtomicBool>) {
    while !stopped.load(Ordering::Relaxed) {
        let Ok(mut stream) = TcpStream::connect(addr).await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await;
        let mut buf = [0u8; 256];
        while !stopped.load(Ordering::Relaxed) {
            tokio::select! {
                read = stream.read(&mut buf) => match read {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                },
                () = tokio::time::sleep(Duration::from_millis(100)) => {
                    if stream.write_all(b"a").await.is_err() {
                        break;
                    }
                }
            }
        }
    }
}

/// Pipelines 50 scrapes, then reads the answers at 64 KiB/s; reconnects when closed.
async fn slow_reader(addr: SocketAddr, stopped: Arc<AtomicBool>) {
    let requests = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".repeat(50);
    while !stopped.load(Ordering::Relaxed) {
        let mut stream = connect(addr).await;
        if stream.write_all(requests.as_bytes()).await.is_err() {
            continue;
        }
        let mut buf = [0u8; 1024];
        while !stopped.load(Ordering::Relaxed) {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => tokio::time::sleep(Duration::from_millis(16)).await,
            }
        }
    }
}

/// Connects, retrying every 10 ms while the server refuses.
async fn connect(addr: SocketAddr) -> TcpStream {
    loop {
        match TcpStream::connect(addr).await {
            Ok(stream) => return stream,
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// Connects, sends `first` and then nothing, until closed; reconnects.
async fn hold(addr: SocketAddr, stopped: Arc<AtomicBool>, first: &'static [u8]) {
    while !stopped.load(Ordering::Relaxed) {
        let mut stream = connect(addr).await;
        let _ = stream.write_all(first).await;
        let mut buf = [0u8; 64];
        tokio::select! {
            _ = stream.read(&mut buf) => {}
            () = async { while !stopped.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(50)).await;
            } } => {}
        }
    }
}

/// Connects and sends nothing, for ever; reconnects when closed.
async fn idle(addr: SocketAddr, stopped: Arc<AtomicBool>) {
    hold(addr, stopped, b"").await;
}

#[test]
fn trickled_headers_and_pipelined_slow_readers_leave_scrapes_fast() {
    let _serial = one_at_a_time();
    let limit = raise_fd_limit();
    assert!(
        limit > 5_000,
        "the fd limit {limit} is too low for 2,000 connections each way"
    );
    let busy = common::Busy::start();
    let server = HttpServer::new(&busy.registry)
        .start("127.0.0.1:0")
        .unwrap();
    let addr = server.local_addr();
    assert_eq!(scrape(addr), Ok(()));
    println!("| attack | probes | p50 | p99 | max | RSS | failed |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    under_attack("none", addr, 0, idle, || scrape(addr));
    under_attack(
        "2,000 connections trickling headers",
        addr,
        2_000,
        trickle,
        || scrape(addr),
    );
    under_attack(
        "64 pipelined slow readers (64 KiB/s)",
        addr,
        64,
        slow_reader,
        || scrape(addr),
    );
    under_attack(
        "500 pipelined slow readers (64 KiB/s)",
        addr,
        500,
        slow_reader,
        || scrape(addr),
    );
    under_attack("2,000 idle connections", addr, 2_000, idle, || scrape(addr));
}

/// Opens connections that send half a TLS ClientHello and stall; reconnects when closed.
#[cfg(feature = "tls")]
async fn stalled_handshake(addr: SocketAddr, stopped: Arc<AtomicBool>) {
    // A handshake record announcing 512 bytes, of which a few come.
    const HALF_HELLO: &[u8] = &[
        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
    ];
    hold(addr, stopped, HALF_HELLO).await;
}

#[cfg(feature = "tls")]
#[test]
fn stalled_tls_handshakes_leave_scrapes_fast() {
    let _serial = one_at_a_time();
    raise_fd_limit();
    let dir = common::TempDir::new("attack-tls");
    common::make_certificates(dir.path());
    let tls = coremeter_exporter::TlsConfig::from_pem_files(
        dir.path().join("server.pem"),
        dir.path().join("server.key"),
    )
    .unwrap();
    let busy = common::Busy::start();
    let server = HttpServer::new(&busy.registry)
        .tls(tls)
        .start("127.0.0.1:0")
        .unwrap();
    let addr = server.local_addr();
    let url = format!("https://127.0.0.1:{}/metrics", addr.port());
    let probe = || {
        let (rc, body) = common::curl(dir.path(), &url, &[]);
        if rc == 0 && body.ends_with("\n200") && body.contains("load_family_999") {
            Ok(())
        } else {
            Err(format!("curl {rc}: {}", body.lines().last().unwrap_or("")))
        }
    };
    assert_eq!(probe(), Ok(()));
    under_attack(
        "200 stalled TLS handshakes (probe: curl, HTTPS)",
        addr,
        200,
        stalled_handshake,
        probe,
    );
}

/// The server of [`idle_connections_up_to_the_descriptor_limit_leave_scrapes_fast`], in a
/// process of its own whose file-descriptor limit is 256: runs only when that test starts it.
#[test]
#[ignore = "started by idle_connections_up_to_the_descriptor_limit_leave_scrapes_fast"]
fn fd_limited_server() {
    use rustix::process::{Resource, Rlimit, setrlimit};
    if std::env::var_os("COREMETER_FD_LIMITED_SERVER").is_none() {
        return;
    }
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(256),
            maximum: Some(256),
        },
    )
    .unwrap();
    let busy = common::Busy::start();
    // Asked for more connections than descriptors allow: the server keeps within its limit.
    let server = HttpServer::new(&busy.registry)
        .max_connections(100_000)
        .start("127.0.0.1:0")
        .unwrap();
    println!("listening on {}", server.local_addr());
    // Until the parent closes our stdin.
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}

#[test]
fn idle_connections_up_to_the_descriptor_limit_leave_scrapes_fast() {
    let _serial = one_at_a_time();
    raise_fd_limit();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["fd_limited_server", "--exact", "--ignored", "--nocapture"])
        .env("COREMETER_FD_LIMITED_SERVER", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let addr: SocketAddr = loop {
        let mut line = String::new();
        let n = std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
        assert!(n > 0, "the server process exited");
        if let Some(addr) = line.trim().strip_prefix("listening on ") {
            break addr.parse().unwrap();
        }
    };
    assert_eq!(scrape(addr), Ok(()));
    under_attack(
        "1,000 idle connections to a server limited to 256 descriptors",
        addr,
        1_000,
        idle,
        || scrape(addr),
    );
    drop(child.stdin.take());
    let _ = child.wait();
}
