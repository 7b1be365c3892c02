//! batch_job: a job that pushes its metrics to a Pushgateway when it exits.
//!
//! Shows: a registry of the job's own; `Pushgateway::push` (PUT: the group holds exactly this
//! run's metrics) under `job="batch_job"` and `instance`; on failure the run pushes to a
//! `result="failure"` group that alerts can watch, and a later successful run deletes that
//! group (`Pushgateway::delete`); every failure is a `PushError` printed, never a panic.
//!
//! Run (with a Pushgateway on 127.0.0.1:9091, e.g. Debian's `prometheus-pushgateway
//! --web.listen-address=127.0.0.1:9091`): `cargo run --example batch_job` (succeeds) or
//! `cargo run --example batch_job -- --fail`; then `curl http://127.0.0.1:9091/metrics`.
//! `--gateway URL` points elsewhere.

use std::time::{Duration, Instant};

use coremeter::{Counter, FloatGauge, Gauge, Metrics, Registry};
use coremeter_exporter::Pushgateway;

#[derive(Metrics)]
#[metrics(namespace = "batch_job")]
struct JobMetrics {
    /// Records processed by the last run.
    records: Counter,
    /// Duration of the last run.
    #[metric(unit = "seconds")]
    duration: FloatGauge,
    /// When the last run finished, whatever its result.
    #[metric(unit = "seconds")]
    last_run: Gauge,
    /// When the last run succeeded.
    #[metric(unit = "seconds")]
    last_success: Gauge,
}

fn run(m: &JobMetrics, fail: bool) -> Result<(), String> {
    for _ in 0..1000 {
        m.records.inc();
    }
    if fail {
        return Err("the input file was truncated".into());
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let mut gateway_url = "http://127.0.0.1:9091".to_owned();
    let mut fail = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--fail" => fail = true,
            "--gateway" => gateway_url = args.next().unwrap_or_default(),
            other => {
                eprintln!("usage: batch_job [--fail] [--gateway URL], got {other:?}");
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    let registry = Registry::new();
    let m = JobMetrics::new();
    if let Err(e) = m.register(&registry) {
        eprintln!("{e}");
        return std::process::ExitCode::FAILURE;
    }

    let started = Instant::now();
    let result = run(&m, fail);
    m.duration.set(started.elapsed().as_secs_f64());
    m.last_run.set_to_current_time();

    let gateway = match Pushgateway::new(&gateway_url) {
        Ok(g) => g.timeout(Duration::from_secs(5)),
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let instance = [("instance", "example-host")];
    let failure_group = [("instance", "example-host"), ("result", "failure")];
    let pushed = match &result {
        Ok(()) => {
            m.last_success.set_to_current_time();
            gateway
                .push("batch_job", &instance, &registry)
                .and_then(|()| gateway.delete("batch_job", &failure_group))
        }
        Err(_) => gateway.push("batch_job", &failure_group, &registry),
    };
    match (&result, pushed) {
        (_, Err(e)) => {
            eprintln!("could not push the metrics: {e}");
            std::process::ExitCode::FAILURE
        }
        (Ok(()), Ok(())) => {
            println!("done; metrics pushed to {gateway_url}, failure group deleted");
            std::process::ExitCode::SUCCESS
        }
        (Err(why), Ok(())) => {
            println!("failed ({why}); metrics pushed to {gateway_url} under result=\"failure\"");
            std::process::ExitCode::FAILURE
        }
    }
}
