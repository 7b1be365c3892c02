//! Quickstart: the main job of the README.
//!
//! Shows: declaring counters, a gauge, a histogram and a callback gauge; registering them in a
//! registry with a prefix and a constant label; updating them from several threads; rendering
//! the live values (summed over CPU shards) as Prometheus text while the threads run.
//!
//! Run: `cargo run --example quickstart` (runs 3 seconds) or
//! `cargo run --example quickstart -- 10` (10 seconds).
//!
//! Until `metrics-exporter` lands this prints the exposition to stdout; it will then serve it on
//! `http://127.0.0.1:<port>/metrics` instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use metrics_core::{Counter, FnGauge, Gauge, Histogram, Opts, Registry, buckets, shard};
use metrics_encode::{Encoder, Format};

struct Metrics {
    requests: Counter,
    errors: Counter,
    in_flight: Gauge,
    latency: Histogram,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seconds: u64 = match std::env::args().nth(1) {
        Some(arg) => arg.parse()?,
        None => 3,
    };

    let registry = Registry::builder()
        .prefix("quickstart")
        .const_label("instance", "demo")
        .build()?;
    let metrics = Arc::new(Metrics {
        requests: Counter::new(),
        errors: Counter::new(),
        in_flight: Gauge::new(),
        latency: Histogram::with_buckets(&buckets::exponential(0.000_01, 4.0, 8)?)?,
    });
    registry.register(
        Opts::new("requests", "Requests handled."),
        metrics.requests.clone(),
    )?;
    registry.register(
        Opts::new("errors", "Requests that failed."),
        metrics.errors.clone(),
    )?;
    registry.register(
        Opts::new("in_flight", "Requests being served."),
        metrics.in_flight.clone(),
    )?;
    registry.register(
        Opts::new("request_duration", "Time to serve a request.").unit("seconds"),
        metrics.latency.clone(),
    )?;
    let started = Instant::now();
    registry.register(
        Opts::new("uptime", "Seconds since the quickstart started.").unit("seconds"),
        FnGauge::new(move || started.elapsed().as_secs_f64()),
    )?;

    println!(
        "shards: {} (strategy: {}), running {seconds} s with 4 worker threads",
        shard::shard_count(),
        shard::active_strategy()
    );

    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..4u64)
        .map(|worker| {
            let (m, stop) = (Arc::clone(&metrics), Arc::clone(&stop));
            thread::spawn(move || serve(worker, &m, &stop))
        })
        .collect();

    let deadline = started + Duration::from_secs(seconds);
    let mut encoder = Encoder::new();
    while Instant::now() < deadline {
        thread::sleep(Duration::from_millis(1000));
        print_exposition(&mut encoder, &registry, started.elapsed())?;
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().map_err(|_| "a worker panicked")?;
    }
    print_exposition(&mut encoder, &registry, started.elapsed())?;
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

/// Prints what a scrape of `/metrics` would get (text format 0.0.4).
fn print_exposition(
    encoder: &mut Encoder,
    registry: &Registry,
    elapsed: Duration,
) -> Result<(), std::str::Utf8Error> {
    println!("--- after {:.1} s", elapsed.as_secs_f64());
    print!(
        "{}",
        std::str::from_utf8(encoder.encode(registry, Format::Text))?
    );
    Ok(())
}
