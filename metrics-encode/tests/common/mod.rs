//! A registry that holds every metric type of core, with deterministic values (exemplar
//! timestamps aside), label values and HELP texts that need escaping, units, constant and target
//! labels, custom collectors and an overflowed family: the input of the golden files and of
//! the checks by promtool and Python's parsers.

#![allow(dead_code, reason = "each test file uses a part")]

use coremeter::{
    Collector, Counter, CounterMetricFamily, Family, FloatCounter, FloatGauge, FnGauge, Gauge,
    GaugeMetricFamily, Histogram, HistogramMetricFamily, Info, InfoMetricFamily, LabelSet,
    LabelValue, LabelVisitor, MetricFamily, Opts, Registry, StateSet, Statistics, Summary,
    SummaryMetricFamily, UnknownMetricFamily,
};

#[derive(Clone, Copy)]
pub(crate) enum Method {
    Get,
    Post,
}

impl LabelValue for Method {
    const VALUES: Option<&'static [&'static str]> = Some(&["GET", "POST"]);
    fn index(&self) -> usize {
        *self as usize
    }
}

#[derive(Clone, Copy)]
pub(crate) struct Route {
    pub(crate) method: Method,
    pub(crate) ok: bool,
}

impl LabelSet for Route {
    const NAMES: &'static [&'static str] = &["method", "ok"];
    const VALUES: &'static [Option<&'static [&'static str]>] = &[Method::VALUES, bool::VALUES];
    fn visit<V: LabelVisitor>(&self, v: &mut V) {
        v.value(&self.method);
        v.value(&self.ok);
    }
}

pub(crate) struct Path<'a>(pub(crate) &'a str);

impl LabelSet for Path<'_> {
    const NAMES: &'static [&'static str] = &["path"];
    const VALUES: &'static [Option<&'static [&'static str]>] = &[None];
    fn visit<V: LabelVisitor>(&self, v: &mut V) {
        v.value(self.0);
    }
}

/// Label values that need every escape, and some that need none.
pub(crate) const TRICKY: [&str; 6] = [
    "/plain",
    "quote \" here",
    "back\\slash",
    "C:\\new\\table\\",
    "line\nbreak",
    "ünïcödé ✓ 😀",
];

/// A custom collector with one family of each helper type.
struct Custom;

impl Collector for Custom {
    fn collect(&self) -> Vec<MetricFamily> {
        let mut hits =
            CounterMetricFamily::new("cache_hits", "Cache hits.", &["cache"]).expect("valid names");
        hits.add_metric(&["users"], 120u64).expect("one value");
        hits.add_metric(&["sessions"], 7.5f64).expect("one value");
        let mut size = GaugeMetricFamily::new("cache_size", "Entries cached.", &["cache"])
            .expect("valid names")
            .with_unit("bytes")
            .expect("valid unit");
        size.add_metric(&["users"], 4096u64).expect("one value");
        let mut legacy =
            UnknownMetricFamily::new("legacy_value", "From an old system.", &[]).expect("valid");
        legacy.add_metric(&[], -1.5f64).expect("no labels");
        let mut jobs = HistogramMetricFamily::new("job_duration", "Job durations.", &["queue"])
            .expect("valid names")
            .with_unit("seconds")
            .expect("valid unit");
        jobs.add_metric(&["batch"], &[(1.0, 3), (5.0, 7), (f64::INFINITY, 8)], 22.5)
            .expect("valid buckets");
        let mut drift = HistogramMetricFamily::new("clock_drift", "Clock drift, signed.", &[])
            .expect("valid names");
        drift
            .add_metric(
                &[],
                &[(-1.0, 1), (0.0, 3), (1.0, 4), (f64::INFINITY, 4)],
                -0.5,
            )
            .expect("valid buckets");
        // Only the +Inf bucket: a count and a sum (Python's client allows it).
        let mut batches = HistogramMetricFamily::new("batch_duration", "Batch durations.", &[])
            .expect("valid names");
        batches
            .add_metric(&[], &[(f64::INFINITY, 2)], 3.25)
            .expect("valid buckets");
        let mut rpc = SummaryMetricFamily::new("rpc_duration", "RPC time.", &["service"])
            .expect("valid names");
        rpc.add_metric(&["auth"], 10, 0.75).expect("one value");
        let mut versions = InfoMetricFamily::new("dependency", "Linked libraries.", &["name"])
            .expect("valid names");
        versions
            .add_metric(&["openssl"], &[("version", "3.0.11")])
            .expect("valid pairs");
        vec![
            hits.into(),
            size.into(),
            legacy.into(),
            jobs.into(),
            drift.into(),
            batches.into(),
            rpc.into(),
            versions.into(),
        ]
    }
}

/// Builds the registry; the returned handles are registered in it.
pub(crate) fn everything() -> Registry {
    let registry = Registry::builder()
        .const_label("env", "test")
        .target_label("service", "shop")
        .target_label("version", "1.2.3")
        .build()
        .expect("valid labels");

    let requests: Family<Route, Counter> = Family::new();
    registry
        .register(
            Opts::new("http_requests", "Requests served."),
            requests.clone(),
        )
        .expect("register");
    requests
        .get(&Route {
            method: Method::Get,
            ok: true,
        })
        .inc_by(1027);
    requests
        .get(&Route {
            method: Method::Post,
            ok: false,
        })
        .inc_by(3);

    let cpu = FloatCounter::new();
    registry
        .register(
            Opts::new("cpu", "CPU time used.").unit("seconds"),
            cpu.clone(),
        )
        .expect("register");
    cpu.inc_by(1.25);
    cpu.inc_by_with_exemplar(0.5, &[("trace_id", "4bf92f3577b34da6")])
        .expect("valid exemplar");

    let queue = Gauge::new();
    registry
        .register(
            Opts::new("queue_depth", "Jobs waiting (negative: owed)."),
            queue.clone(),
        )
        .expect("register");
    queue.set(-3);

    let temperature = FloatGauge::new();
    registry
        .register(
            Opts::new("temperature", "Room temperature.").unit("celsius"),
            temperature.clone(),
        )
        .expect("register");
    temperature.set(21.5);

    registry
        .register(
            Opts::new("uptime", "Seconds since start (a callback).").unit("seconds"),
            FnGauge::new(|| 42.0),
        )
        .expect("register");

    let special = Gauge::new();
    registry
        .register(
            Opts::new(
                "escaped_help",
                "Quotes \" and a backslash \\ and a\nnewline, C:\\new, ünïcödé.",
            ),
            special.clone(),
        )
        .expect("register");
    special.set(1);

    let latency = Histogram::with_buckets(&[0.005, 0.1, 1.0, 10.0]).expect("buckets");
    registry
        .register(
            Opts::new("request_duration", "Request latency.").unit("seconds"),
            latency.clone(),
        )
        .expect("register");
    for v in [0.001, 0.05, 0.05, 0.5, 20.0] {
        latency.observe(v);
    }
    latency
        .observe_with_exemplar(0.07, &[("trace_id", "a1b2")])
        .expect("valid exemplar");

    let by_path: Family<Path<'_>, Histogram> =
        Family::with_config(coremeter::Buckets::new(&[1.0, 2.5]).expect("buckets"));
    registry
        .register(
            Opts::new("response_size", "Response sizes by path.").unit("bytes"),
            by_path.clone(),
        )
        .expect("register");
    for (i, path) in TRICKY.iter().enumerate() {
        by_path.get(&Path(path)).observe(i as f64);
    }

    // A native histogram with classic buckets beside: the text formats carry the classic ones
    // (and the protobuf both); a native one without them: only +Inf, _count and _sum.
    let rtt = coremeter::NativeHistogram::builder()
        .classic_buckets(coremeter::Buckets::new(&[0.01, 0.1]).expect("buckets"))
        .build()
        .expect("valid settings");
    registry
        .register(
            Opts::new("round_trip", "Round-trip time.").unit("seconds"),
            rtt.clone(),
        )
        .expect("register");
    for v in [0.004, 0.02, 0.3, -0.001, 0.0] {
        rtt.observe(v);
    }
    let skew = coremeter::NativeHistogram::new();
    registry
        .register(Opts::new("clock_skew", "Clock skew."), skew.clone())
        .expect("register");
    skew.observe(-0.25);
    skew.observe(0.5);
    let upload: Family<Path<'_>, coremeter::NativeHistogram> = Family::new();
    registry
        .register(
            Opts::new("upload", "Upload time by path.").unit("seconds"),
            upload.clone(),
        )
        .expect("register");
    upload.get(&Path("/import")).observe(1.5);
    upload.get(&Path("/import")).observe(0.002);
    upload.get(&Path("/export")).observe(40.0);

    let payload = Summary::new();
    registry
        .register(
            Opts::new("payload", "Payload sizes.").unit("bytes"),
            payload.clone(),
        )
        .expect("register");
    payload.observe(100.0);
    payload.observe(250.0);

    let batch: Family<Path<'_>, Statistics> = Family::new();
    registry
        .register(Opts::new("batch_size", "Items per batch."), batch.clone())
        .expect("register");
    for v in [3.0, 7.0, 5.0] {
        batch.get(&Path("/import")).observe(v);
    }
    batch.init(&Path("/export"));
    let delta = Statistics::new();
    registry
        .register(
            Opts::new("balance_change", "Signed changes."),
            delta.clone(),
        )
        .expect("register");
    delta.observe(-4.0);
    delta.observe(1.5);

    let build = Info::new(&[("version", "1.2.3"), ("commit", "abc\"def")]).expect("valid");
    registry
        .register(Opts::new("build", "Build information."), build)
        .expect("register");

    let state = StateSet::new(["starting", "running", "stopped"]).expect("states");
    registry
        .register(
            Opts::new("service_state", "Lifecycle state."),
            state.clone(),
        )
        .expect("register");
    state.set("running").expect("a state");

    let limited: Family<Path<'_>, Counter> = Family::new().with_limit(2);
    registry
        .register(
            Opts::new("limited", "A family limited to two series."),
            limited.clone(),
        )
        .expect("register");
    for path in ["/a", "/b", "/c", "/d"] {
        limited.get(&Path(path)).inc();
    }

    registry.register_collector(Custom).expect("register");
    registry
}

/// Replaces the timestamp of every OpenMetrics exemplar (the time it was recorded) with `T`.
pub(crate) fn mask_exemplar_timestamps(text: &str) -> String {
    text.lines()
        .map(|line| match line.find(" # {") {
            Some(at) => {
                let (sample, exemplar) = line.split_at(at);
                match exemplar.rfind(' ') {
                    Some(space) => format!("{sample}{} T", &exemplar[..space]),
                    None => line.to_owned(),
                }
            }
            None => line.to_owned(),
        })
        .map(|line| line + "\n")
        .collect()
}
