//! A `NativeHistogram` as a field of `#[derive(Metrics)]` (with and without classic buckets beside,
//! alone and as a typed or dynamic family's child) and as the target of `#[timed]`, with and
//! without an exemplar.

use std::sync::LazyLock;

use coremeter::{
    DynLabels, Family, LabelSet, LabelValue, Metrics, NativeHistogram, Registry, timed,
};

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash)]
#[label(rename_all = "lowercase")]
enum Op {
    Read,
    Write,
}

#[derive(LabelSet, Clone, Copy, PartialEq, Eq, Hash)]
struct ByOp {
    op: Op,
}

#[derive(Metrics)]
#[metrics(namespace = "app")]
struct M {
    /// Request latency.
    #[metric(unit = "seconds")]
    latency: NativeHistogram,
    /// Payload sizes, with classic buckets beside.
    #[metric(unit = "bytes", buckets = [100, 1000])]
    payload: NativeHistogram,
    /// Latency by operation.
    #[metric(unit = "seconds")]
    by_op: Family<ByOp, NativeHistogram>,
    /// Sizes by table, classic buckets beside.
    #[metric(labels = ["table"], buckets = [10])]
    by_table: Family<DynLabels, NativeHistogram>,
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
    T.by_op.get(&ByOp { op: Op::Write }).observe(0.25);
    T.by_op.observe(&ByOp { op: Op::Write }, 0.5);
    T.by_table.labels(&["users"]).unwrap().observe(3.0);
    T.by_table.labels(&["users"]).unwrap().observe(30.0);

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
    let labelled = |name: &str, labels: &[(&str, &str)]| registry.sample_value(name, labels);
    assert_eq!(
        labelled("app_by_op_seconds_count", &[("op", "write")]),
        Some(2.0)
    );
    // A typed family has every series from the start.
    assert_eq!(
        labelled("app_by_op_seconds_count", &[("op", "read")]),
        Some(0.0)
    );
    let read = T.by_op.get(&ByOp { op: Op::Read }).get();
    assert_eq!(read.value().count(), 0);
    assert_eq!(
        labelled("app_by_table_bucket", &[("table", "users"), ("le", "10.0")]),
        Some(1.0)
    );
    assert_eq!(
        labelled("app_by_table_count", &[("table", "users")]),
        Some(2.0)
    );
    let native = T.by_table.labels(&["users"]).unwrap().get();
    assert_eq!(native.value().native().unwrap().positive().len(), 2);
}
