//! custom_collector: exposing values owned by something else, computed at scrape time.
//!
//! Shows: a job queue that knows nothing about metrics, and a `Collector` implementation that
//! reads its length and its oldest job's age at each scrape with `GaugeMetricFamily` (Python's
//! custom collectors); registered next to ordinary metrics and served on `/metrics`.
//!
//! Run: `cargo run --example custom_collector`, then `curl http://127.0.0.1:9899/metrics`.
//! `--addr HOST:PORT` and `--seconds N` as in the quickstart.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use coremeter::{Collector, GaugeMetricFamily, MetricFamily, Registry};
use coremeter_examples::Options;
use coremeter_exporter::start_http_server;

/// Someone else's type: a queue of jobs per priority.
#[derive(Default)]
struct Queues {
    high: VecDeque<Instant>,
    low: VecDeque<Instant>,
}

struct QueueCollector(Arc<Mutex<Queues>>);

impl Collector for QueueCollector {
    fn collect(&self) -> Vec<MetricFamily> {
        let queues = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut families = Vec::new();
        if let Ok(mut length) =
            GaugeMetricFamily::new("jobs_queued", "Jobs waiting, by priority.", &["priority"])
        {
            let _ = length.add_metric(&["high"], queues.high.len() as u64);
            let _ = length.add_metric(&["low"], queues.low.len() as u64);
            families.push(length.into());
        }
        let age = GaugeMetricFamily::new(
            "jobs_oldest_age",
            "Age of the oldest waiting job.",
            &["priority"],
        )
        .and_then(|f| f.with_unit("seconds"));
        if let Ok(mut age) = age {
            for (name, q) in [("high", &queues.high), ("low", &queues.low)] {
                let seconds = q.front().map_or(0.0, |t| t.elapsed().as_secs_f64());
                let _ = age.add_metric(&[name], seconds);
            }
            families.push(age.into());
        }
        families
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = Options::parse(
        "custom_collector",
        &[("--addr", "HOST:PORT"), ("--seconds", "N")],
    )?;
    let addr = options.get("--addr").unwrap_or("127.0.0.1:9899");
    let seconds = options.seconds()?;
    let queues = Arc::new(Mutex::new(Queues::default()));
    let registry = Arc::new(Registry::new());
    registry.register_collector(QueueCollector(Arc::clone(&queues)))?;
    let server = start_http_server(addr, &registry)?;
    println!("serving metrics at http://{}/metrics", server.local_addr());

    // Producers and a slow consumer, so the values move.
    let deadline = seconds.map(|s| Instant::now() + Duration::from_secs(s));
    let mut tick = 0u64;
    while deadline.is_none_or(|d| Instant::now() < d) {
        {
            let mut q = queues
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            q.low.push_back(Instant::now());
            if tick.is_multiple_of(3) {
                q.high.push_back(Instant::now());
            }
            if tick.is_multiple_of(2) {
                q.low.pop_front();
                q.high.pop_front();
            }
        }
        tick += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}
