//! The `metrics` facade into coremeter: a library that reports through `counter!`, `gauge!` and
//! `histogram!` (here `facade-user`, which knows nothing of coremeter) and a `#[derive(Metrics)]`
//! struct of the program's own, in one registry, served on a loopback `/metrics`.
//!
//! Run: `cargo run --example metrics_facade`, then `curl http://127.0.0.1:9899/metrics`.
//! `--addr HOST:PORT` (port 0 lets the system choose), `--seconds N` stops after N seconds.

use std::thread;
use std::time::{Duration, Instant};

use coremeter::{Counter, Metrics, default_registry};
use coremeter_examples::Options;
use coremeter_exporter::start_http_server;

/// The program's own metrics, next to the facade's.
#[derive(Metrics)]
#[metrics(namespace = "facade_example", static = OWN)]
struct Own {
    /// Loop turns of the example.
    turns: Counter,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = Options::parse(
        "metrics_facade",
        &[("--addr", "HOST:PORT"), ("--seconds", "N")],
    )?;
    let addr = options.get("--addr").unwrap_or("127.0.0.1:9899").to_owned();
    let seconds = options.seconds()?;

    // Every `counter!` of the process, its dependencies' included, lands in the default
    // registry, the one the server serves.
    coremeter_recorder::install()?;
    facade_user::describe();

    let server = start_http_server(&*addr, default_registry())?;
    println!("serving metrics at http://{}/metrics", server.local_addr());
    let started = Instant::now();
    let mut turn = 0u64;
    while seconds.is_none_or(|s| started.elapsed() < Duration::from_secs(s)) {
        let queue = ["email", "sms", "push"][(turn % 3) as usize];
        facade_user::run_job(queue, 0.001 * (turn % 50) as f64);
        facade_user::set_depth((turn % 17) as f64);
        facade_user::count_requests(2);
        OWN.turns.inc();
        turn += 1;
        thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}
