//! graphite: pushing a registry to Graphite's carbon in the plaintext protocol.
//!
//! Shows: `GraphiteBridge` with a prefix, labels as Graphite tags, a 1-second interval, and the
//! handle's counts of pushes and failed attempts (carbon down is not an error that stops the
//! bridge: it reconnects with backoff).
//!
//! Run (with carbon-cache's line receiver on 127.0.0.1:2003, e.g. Debian's `graphite-carbon`):
//! `cargo run --example graphite`; `--carbon HOST:PORT` and `--seconds N` (default 5) change
//! the target and the run time. Without carbon it runs too, and reports the failed attempts.

use std::time::Duration;

use coremeter::{Counter, DynLabels, Family, Metrics, Registry};
use coremeter_examples::Options;
use coremeter_exporter::{GraphiteBridge, LabelStyle};

#[derive(Metrics)]
struct Work {
    /// Jobs done, by queue.
    #[metric(labels = ["queue"])]
    jobs: Family<DynLabels, Counter>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = Options::parse("graphite", &[("--carbon", "HOST:PORT"), ("--seconds", "N")])?;
    let carbon = options
        .get("--carbon")
        .unwrap_or("127.0.0.1:2003")
        .to_owned();
    let seconds = options.seconds()?.unwrap_or(5);
    let registry = std::sync::Arc::new(Registry::new());
    let work = Work::new();
    work.register(&registry)?;

    let bridge = GraphiteBridge::new(carbon.clone())
        .prefix("example.worker1")
        .label_style(LabelStyle::Tags)
        .interval(Duration::from_secs(1))
        .start(&registry);
    println!("pushing to {carbon} every second for {seconds} s; lines look like:");
    for _ in 0..seconds * 10 {
        work.jobs.labels(&["email"])?.inc();
        std::thread::sleep(Duration::from_millis(100));
    }
    print!(
        "{}",
        GraphiteBridge::new(carbon)
            .prefix("example.worker1")
            .label_style(LabelStyle::Tags)
            .render(&registry)
    );
    println!(
        "pushes sent: {}, failed attempts: {}",
        bridge.pushes(),
        bridge.failures()
    );
    bridge.stop();
    Ok(())
}
