//! Bodies that are one expression: the expansion must not raise `unused_braces` (its fix-it
//! broke the code) or any other lint, sync or async.
#![deny(warnings, clippy::all)]

use coremeter::*;

#[derive(Metrics)]
#[metrics(static = M)]
struct Metrics {
    /// Seconds.
    #[metric(unit = "seconds")]
    latency: Histogram,
    /// Running.
    running: Gauge,
    /// Failures.
    failures: Counter,
}

#[timed(M.latency)]
fn one() -> u32 {
    1
}

#[timed(M.latency)]
async fn one_async() -> u32 {
    1
}

#[in_progress(M.running)]
fn two() -> u32 {
    2
}

#[count_exceptions(M.failures)]
fn three() -> Result<u32, ()> {
    Ok(3)
}

#[count_exceptions(M.failures, on = "panic")]
fn four() -> u32 {
    4
}

#[timed(M.latency)]
#[in_progress(M.running)]
#[count_exceptions(M.failures)]
fn all() -> Result<(), String> {
    Ok(())
}

#[timed(M.latency)]
fn unit() {}

fn main() {
    assert_eq!(one() + two() + three().unwrap() + four(), 10);
    drop(one_async());
    all().unwrap();
    unit();
    assert_eq!(M.latency.get().value().count(), 3);
}
