//! A `NativeHistogram` as a field of `#[derive(Metrics)]` (with and without classic buckets beside)
//! and as the target of `#[timed]`, with and without an exemplar.

use std::sync::LazyLock;

use coremeter::{Metrics, NativeHistogram, Registry, timed};

#[derive(Metrics)]
#[metrics(namespace = "app")]
struct M {
    /// Request latency.
    #[metric(unit = "seconds")]
    latency: NativeHistogram,
    /// Payload sizes, with classic buckets beside.
    #[metric(unit = "bytes", buckets = [100, 1000])]
    payload: NativeHistogram,
}

static T: LazyLock<M> = LazyLock::new(M::new);

#[timed(T.latency)]
fn work(x: u64) -> u64 {
    x * 2
}

#[timed(T.latency, exemplar = [("trace_id", "abc123")])]
fn traced() -> Result<(), String> {
    Ok(())
}

#[test]
fn derived_native_histograms_register_and_expose() {
    let registry = Registry::new();
    T.register(&registry).unwrap();
    assert_eq!(work(21), 42);
    traced().unwrap();
    T.payload.observe(50.0);
    T.payload.observe(5000.0);

    let latency = T.latency.get();
    let native = latency.value().native().unwrap();
    assert_eq!(native.count(), 2);
    assert_eq!(native.schema(), 3);
    assert_eq!(
        native.exemplar().unwrap().labels().collect::<Vec<_>>(),
        [("trace_id", "abc123")]
    );

    let samples = registry.samples();
    let value = |name: &str, le: Option<&str>| {
        samples
            .iter()
            .find(|s| {
                s.name == name
                    && le.is_none_or(|le| s.labels.iter().any(|(k, v)| k == "le" && v == le))
            })
            .map(|s| s.value)
    };
    assert_eq!(value("app_latency_seconds_count", None), Some(2.0));
    assert_eq!(value("app_latency_seconds_bucket", Some("+Inf")), Some(2.0));
    assert_eq!(value("app_payload_bytes_bucket", Some("100.0")), Some(1.0));
    assert_eq!(value("app_payload_bytes_bucket", Some("1000.0")), Some(1.0));
    assert_eq!(value("app_payload_bytes_count", None), Some(2.0));
    assert_eq!(value("app_payload_bytes_sum", None), Some(5050.0));
}
