//! Native histograms: exponential buckets with no layout to choose, served on a loopback
//! `/metrics` that Prometheus (with `--enable-feature=native-histograms`) scrapes in protobuf.
//!
//! Run: `cargo run --example native_histograms`, then `curl http://127.0.0.1:9900/metrics` (the
//! text formats show the count and sum, and the classic buckets of `payload_bytes`), or ask for
//! the protobuf exposition as Prometheus does:
//! `curl -H 'Accept: application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited' http://127.0.0.1:9900/metrics | od -c | head`.
//! `--addr HOST:PORT` (port 0 lets the system choose), `--seconds N` stops after N seconds.

use std::thread;
use std::time::{Duration, Instant};

use coremeter::{DynLabels, Family, Metrics, NativeHistogram, Opts, default_registry, timed};
use coremeter_examples::Options;
use coremeter_exporter::start_http_server;

#[derive(Metrics)]
#[metrics(namespace = "native_example", static = METRICS)]
struct Example {
    /// Time to handle a request: schema 3, 8 buckets per power of 2, from microseconds to
    /// minutes without a bound chosen.
    #[metric(unit = "seconds")]
    request_duration: NativeHistogram,
    /// Response sizes, with classic buckets beside for the text formats.
    #[metric(unit = "bytes", buckets = [1000, 10000, 100000])]
    payload: NativeHistogram,
    /// Time to query each table: one native histogram per label value.
    #[metric(unit = "seconds", labels = ["table"])]
    query_duration: Family<DynLabels, NativeHistogram>,
}

#[timed(METRICS.request_duration)]
fn handle(work: u64) -> u64 {
    (0..work).fold(0u64, |acc, i| acc.wrapping_mul(31).wrapping_add(i))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = Options::parse(
        "native_histograms",
        &[("--addr", "HOST:PORT"), ("--seconds", "N")],
    )?;
    let addr = options.get("--addr").unwrap_or("127.0.0.1:9900").to_owned();
    let seconds = options.seconds()?;

    // A finer schema and a zero bucket for values near 0: clock offsets, which are negative as
    // often as positive.
    let offset = NativeHistogram::builder()
        .schema(5)
        .zero_threshold(1e-6)
        .build()?;
    default_registry().register(
        Opts::new(
            "native_example_clock_offset",
            "Clock offset from the reference.",
        )
        .unit("seconds"),
        offset.clone(),
    )?;

    let server = start_http_server(&*addr, default_registry())?;
    println!("serving metrics at http://{}/metrics", server.local_addr());
    let started = Instant::now();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        // xorshift64: a spread of values without a dependency.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    while seconds.is_none_or(|s| started.elapsed() < Duration::from_secs(s)) {
        std::hint::black_box(handle(next() % 200_000));
        METRICS.payload.observe((next() % 200_000) as f64);
        let table = ["users", "orders", "items"][(next() % 3) as usize];
        if let Ok(series) = METRICS.query_duration.labels(&[table]) {
            series.observe((next() % 50_000) as f64 * 1e-6);
        }
        offset.observe(((next() % 2001) as f64 - 1000.0) * 1e-6);
        thread::sleep(Duration::from_millis(2));
    }
    Ok(())
}
