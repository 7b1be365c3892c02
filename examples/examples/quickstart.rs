//! Quickstart: the main job of the README. Serves live metrics on a loopback `/metrics`.
//!
//! Shows: declaring counters, a gauge, a histogram and a callback gauge; registering them in a
//! registry with a namespace and a constant label, with the process metrics; serving the registry
//! with one call ([`metrics_exporter::start_http_server`]); updating the metrics from 4 threads
//! while Prometheus (or curl) scrapes them.
//!
//! Run: `cargo run --example quickstart`, then `curl http://127.0.0.1:9898/metrics`.
//! The address comes from `--addr HOST:PORT` or the `QUICKSTART_ADDR` environment variable
//! (default `127.0.0.1:9898`; port 0 lets the system choose); `--seconds N` stops after N
//! seconds instead of running until interrupted.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use metrics_core::{Counter, FnGauge, Gauge, Histogram, Opts, Registry, buckets, shard};
use metrics_exporter::{ProcessCollector, start_http_server};

struct Metrics {
    requests: Counter,
    errors: Counter,
    in_flight: Gauge,
    latency: Histogram,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut addr = std::env::var("QUICKSTART_ADDR").unwrap_or_else(|_| "127.0.0.1:9898".into());
    let mut seconds: Option<u64> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--addr", Some(a)) => addr = a,
            ("--seconds", Some(n)) => seconds = Some(n.parse()?),
            _ => {
                return Err(format!(
                    "usage: quickstart [--addr HOST:PORT] [--seconds N], got {arg:?}"
                )
                .into());
            }
        }
    }

    let registry = Arc::new(
        Registry::builder()
            .const_label("instance", "demo")
            .build()?,
    );
    let metrics = Arc::new(Metrics {
        requests: Counter::new(),
        errors: Counter::new(),
        in_flight: Gauge::new(),
        latency: Histogram::with_buckets(&buckets::exponential(0.000_01, 4.0, 8)?)?,
    });
    registry.register(
        Opts::new("requests", "Requests handled.").namespace("quickstart"),
        metrics.requests.clone(),
    )?;
    registry.register(
        Opts::new("errors", "Requests that failed.").namespace("quickstart"),
        metrics.errors.clone(),
    )?;
    registry.register(
        Opts::new("in_flight", "Requests being served.").namespace("quickstart"),
        metrics.in_flight.clone(),
    )?;
    registry.register(
        Opts::new("request_duration", "Time to serve a request.")
            .namespace("quickstart")
            .unit("seconds"),
        metrics.latency.clone(),
    )?;
    let started = Instant::now();
    registry.register(
        Opts::new("uptime", "Seconds since the quickstart started.")
            .namespace("quickstart")
            .unit("seconds"),
        FnGauge::new(move || started.elapsed().as_secs_f64()),
    )?;

    // The standard process_* metrics (Linux), next to ours.
    ProcessCollector::register(&registry)?;

    let server = start_http_server(&*addr, &registry)?;
    println!("serving metrics at http://{}/metrics", server.local_addr());
    println!(
        "shards: {} (strategy: {}), 4 worker threads{}",
        shard::shard_count(),
        shard::active_strategy(),
        match seconds {
            Some(s) => format!(", stopping after {s} s"),
            None => ", Ctrl-C to stop".to_owned(),
        }
    );

    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..4u64)
        .map(|worker| {
            let (m, stop) = (Arc::clone(&metrics), Arc::clone(&stop));
            thread::spawn(move || serve(worker, &m, &stop))
        })
        .collect();

    match seconds {
        Some(s) => thread::sleep(Duration::from_secs(s)),
        None => server.wait(),
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().map_err(|_| "a worker panicked")?;
    }
    Ok(())
}

/// A fake request loop: some work, a latency observation, an error now and then.
fn serve(worker: u64, m: &Metrics, stop: &AtomicBool) {
    let mut n: u64 = worker;
    while !stop.load(Ordering::Relaxed) {
        m.in_flight.inc();
        let timer = m.latency.start_timer();
        // Some work whose length varies with n.
        let spins = 200 + (n * 7919) % 5000;
        let mut x = n;
        for _ in 0..spins {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        drop(timer);
        m.requests.inc();
        if x.is_multiple_of(97) {
            m.errors.inc();
        }
        m.in_flight.dec();
        n += 4;
    }
}
