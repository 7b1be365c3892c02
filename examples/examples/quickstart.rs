//! Quickstart: the main job of the README. Serves live metrics on a loopback `/metrics`.
//!
//! Shows: a metrics struct declared with `#[derive(Metrics)]` (HELP from doc comments, a typed
//! label family, histogram buckets), registered at link time in the default registry with
//! `static = APP`; a function instrumented with `#[timed]`, `#[count_exceptions]` and
//! `#[in_progress]`; a callback gauge and the process metrics; the registry served with one call
//! ([`coremeter_exporter::start_http_server`]) while 4 threads update the metrics.
//!
//! Run: `cargo run --example quickstart`, then `curl http://127.0.0.1:9898/metrics`.
//! The address comes from `--addr HOST:PORT` or the `QUICKSTART_ADDR` environment variable
//! (default `127.0.0.1:9898`; port 0 lets the system choose); `--seconds N` stops after N
//! seconds instead of running until interrupted.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use coremeter::{
    Counter, Family, FnGauge, Gauge, Histogram, LabelSet, LabelValue, Metrics, Opts,
    count_exceptions, default_registry, in_progress, shard, timed,
};
use coremeter_examples::Options;
use coremeter_exporter::{ProcessCollector, start_http_server};

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash)]
#[label(rename_all = "lowercase")]
enum Endpoint {
    Home,
    Search,
    Checkout,
}

#[derive(LabelSet, Clone, Copy, PartialEq, Eq, Hash)]
struct Route {
    endpoint: Endpoint,
}

/// The application's metrics: `static APP`, in the default registry before first use.
#[derive(Metrics)]
#[metrics(namespace = "quickstart", static = APP)]
struct AppMetrics {
    /// Requests handled, by endpoint.
    requests: Family<Route, Counter>,
    /// Requests that failed (an Err returned or a panic).
    errors: Counter,
    /// Requests being served.
    in_flight: Gauge,
    /// Time to serve a request.
    #[metric(unit = "seconds", buckets = exponential(0.000_01, 4.0, 8))]
    request_duration: Histogram,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = Options::parse("quickstart", &[("--addr", "HOST:PORT"), ("--seconds", "N")])?;
    let addr = options.get("--addr").map_or_else(
        || std::env::var("QUICKSTART_ADDR").unwrap_or_else(|_| "127.0.0.1:9898".into()),
        str::to_owned,
    );
    let seconds = options.seconds()?;

    let registry = default_registry();
    let started = Instant::now();
    registry.register(
        Opts::new("uptime", "Seconds since the quickstart started.")
            .namespace("quickstart")
            .unit("seconds"),
        FnGauge::new(move || started.elapsed().as_secs_f64()),
    )?;
    // The standard process_* metrics (Linux), next to ours.
    ProcessCollector::register(registry)?;

    let server = start_http_server(&*addr, registry)?;
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
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                let mut n = worker;
                while !stop.load(Ordering::Relaxed) {
                    let _ = handle(n);
                    n += 4;
                }
            })
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

/// A fake request: some work whose length varies with `n`, an error now and then.
#[timed(APP.request_duration)]
#[count_exceptions(APP.errors)]
#[in_progress(APP.in_flight)]
fn handle(n: u64) -> Result<u64, &'static str> {
    let endpoint = [Endpoint::Home, Endpoint::Search, Endpoint::Checkout][(n % 3) as usize];
    APP.requests.get(&Route { endpoint }).inc();
    let spins = 200 + (n * 7919) % 5000;
    let mut x = n;
    for _ in 0..spins {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
    if x.is_multiple_of(97) {
        return Err("unlucky");
    }
    Ok(x)
}
