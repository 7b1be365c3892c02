//! Registration: names, prefixes, units, constant labels, errors with clear messages, the read
//! API and the sample helper.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use coremeter::name::NameError;
use coremeter::{
    BucketError, Counter, Descriptor, FloatCounter, FloatGauge, FnCounter, FnGauge, Gauge,
    Histogram, Labels, MetricType, Number, Opts, Registry, RegistryError, Value, Visitor,
    default_registry,
};

#[test]
fn names_are_built_from_prefix_namespace_subsystem_and_unit() {
    let registry = Registry::builder().prefix("app").build().unwrap();
    let h = Histogram::new();
    registry
        .register(
            Opts::new("latency", "Latency.")
                .namespace("shop")
                .subsystem("http")
                .unit("seconds"),
            h.clone(),
        )
        .unwrap();
    // The unit is not doubled when the name already ends with it.
    registry
        .register(
            Opts::new("body_bytes", "Body sizes.").unit("bytes"),
            Counter::new(),
        )
        .unwrap();
    // Empty parts are skipped.
    registry
        .register(
            Opts::new("up", "Up.").namespace("").subsystem(""),
            Gauge::new(),
        )
        .unwrap();
    let names: Vec<String> = registry.samples().into_iter().map(|s| s.name).collect();
    assert!(names.contains(&"app_shop_http_latency_seconds_count".to_owned()));
    assert!(names.contains(&"app_body_bytes_total".to_owned()));
    assert!(names.contains(&"app_up".to_owned()));
}

#[test]
fn invalid_names_are_errors_with_clear_messages() {
    let registry = Registry::new();
    let err = registry
        .register(Opts::new("2xx_responses", "Bad."), Counter::new())
        .unwrap_err();
    assert_eq!(
        err,
        RegistryError::InvalidName {
            name: "2xx_responses".into(),
            error: NameError::InvalidChar { index: 0 }
        }
    );
    assert_eq!(
        err.to_string(),
        "invalid metric name \"2xx_responses\": character '2' at byte 0 is not allowed \
         (letters, digits, '_' and ':', not starting with a digit)"
    );
    let err = registry
        .register(Opts::new("http-requests", "Bad."), Counter::new())
        .unwrap_err();
    assert!(err.to_string().contains("character '-' at byte 4"), "{err}");
    let err = registry
        .register(Opts::new("", "Bad."), Gauge::new())
        .unwrap_err();
    assert_eq!(err.to_string(), "metric name is empty");
    let err = registry
        .register(Opts::new("speed", "Bad.").unit("m/s"), Gauge::new())
        .unwrap_err();
    assert!(
        err.to_string().starts_with("invalid unit name \"m/s\""),
        "{err}"
    );
    // A bad namespace shows in the full name.
    let err = registry
        .register(Opts::new("x", "Bad.").namespace("my app"), Gauge::new())
        .unwrap_err();
    assert!(err.to_string().contains("\"my app_x\""), "{err}");
    // Nothing was registered by the failed calls.
    assert!(registry.samples().is_empty());
}

#[test]
fn type_suffixes_in_names_are_errors() {
    let registry = Registry::new();
    let err = registry
        .register(Opts::new("requests_total", "Requests."), Counter::new())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "counter name \"requests_total\" ends with \"_total\", which the exposition adds to \
         counter samples: register it as \"requests\""
    );
    for suffix in ["_bucket", "_count", "_sum"] {
        let err = registry
            .register(
                Opts::new(format!("size{suffix}"), "Sizes."),
                Histogram::new(),
            )
            .unwrap_err();
        assert!(
            matches!(
                err,
                RegistryError::ReservedSuffix {
                    metric_type: MetricType::Histogram,
                    ..
                }
            ),
            "{err}"
        );
    }
    // Gauges may be called anything valid.
    registry
        .register(Opts::new("worker_count", "Workers."), Gauge::new())
        .unwrap();
}

#[test]
fn duplicates_and_clashing_sample_names_are_errors() {
    let registry = Registry::new();
    registry
        .register(Opts::new("jobs", "Jobs."), Counter::new())
        .unwrap();
    let same = registry.register(Opts::new("jobs", "Jobs again."), Gauge::new());
    assert_eq!(
        same.unwrap_err().to_string(),
        "duplicate metric: samples named \"jobs\" would come from this family and from the \
         registered family \"jobs\""
    );
    // A gauge named like the counter's samples clashes with them.
    let clash = registry.register(Opts::new("jobs_total", "Clash."), Gauge::new());
    assert_eq!(
        clash,
        Err(RegistryError::Duplicate {
            name: "jobs_total".into(),
            registered: "jobs".into(),
            declarations: (None, None),
        })
    );
    // And a histogram whose `_count` a gauge already uses.
    registry
        .register(Opts::new("size_count", "Sizes counted."), Gauge::new())
        .unwrap();
    let clash = registry.register(Opts::new("size", "Sizes."), Histogram::new());
    assert_eq!(
        clash,
        Err(RegistryError::Duplicate {
            name: "size_count".into(),
            registered: "size_count".into(),
            declarations: (None, None),
        })
    );
    // Unregistering frees every name the family reserved.
    assert!(registry.unregister("jobs"));
    assert!(!registry.unregister("jobs"));
    registry
        .register(Opts::new("jobs_total", "Now allowed."), Gauge::new())
        .unwrap();
}

#[test]
fn const_labels_are_checked_and_added_to_every_series() {
    for (label, message) in [
        (
            "le",
            "label name \"le\" is reserved for histogram buckets and summary quantiles",
        ),
        (
            "quantile",
            "label name \"quantile\" is reserved for histogram buckets and summary quantiles",
        ),
        (
            "__name__",
            "invalid label name \"__name__\": names starting with \"__\" are reserved",
        ),
        (
            "a:b",
            "invalid label name \"a:b\": character ':' at byte 1 is not allowed (letters, digits and '_', not starting with a digit)",
        ),
    ] {
        let err = Registry::builder()
            .const_label(label, "x")
            .build()
            .unwrap_err();
        assert_eq!(err.to_string(), message);
    }
    let dup = Registry::builder()
        .const_label("env", "a")
        .const_label("env", "b")
        .build();
    assert_eq!(
        dup.unwrap_err(),
        RegistryError::DuplicateLabelName { name: "env".into() }
    );
    let bad_prefix = Registry::builder().prefix("9lives").build();
    assert!(matches!(bad_prefix, Err(RegistryError::InvalidName { .. })));

    let registry = Registry::builder()
        .const_label("env", "prod")
        .const_label("region", "eu")
        .build()
        .unwrap();
    let h = Histogram::with_buckets(&[1.0]).unwrap();
    registry
        .register(Opts::new("size", "Sizes."), h.clone())
        .unwrap();
    h.observe(3.0);
    let labels = [("region", "eu"), ("env", "prod"), ("le", "+Inf")];
    assert_eq!(registry.sample_value("size_bucket", &labels), Some(1.0));
    assert_eq!(
        registry.sample_value("size_count", &[("env", "prod"), ("region", "eu")]),
        Some(1.0)
    );
    // Labels must match exactly.
    assert_eq!(
        registry.sample_value("size_count", &[("env", "prod")]),
        None
    );
}

#[test]
fn bucket_errors_have_clear_messages() {
    let cases: [(&[f64], &str); 4] = [
        (
            &[],
            "a histogram needs at least one finite bucket bound (+Inf is implied)",
        ),
        (
            &[0.5, 0.1],
            "bucket bounds must be strictly increasing, but bound 1 (0.1) is not greater than bound 0 (0.5)",
        ),
        (
            &[0.1, f64::NAN],
            "bucket bound 1 is NaN: bounds must be finite (+Inf is implied)",
        ),
        (
            &[f64::NEG_INFINITY],
            "bucket bound 0 is -inf: bounds must be finite (+Inf is implied)",
        ),
    ];
    for (bounds, message) in cases {
        let err = Histogram::with_buckets(bounds).unwrap_err();
        assert_eq!(err.to_string(), message);
    }
    let err = coremeter::buckets::exponential(1.0, 0.5, 4).unwrap_err();
    assert_eq!(
        err,
        BucketError::InvalidParameter("factor must be greater than 1 and finite")
    );
    assert_eq!(
        err.to_string(),
        "invalid bucket parameters: factor must be greater than 1 and finite"
    );
    let many: Vec<f64> = (0..600).map(f64::from).collect();
    assert_eq!(
        Histogram::with_buckets(&many).unwrap_err().to_string(),
        format!(
            "600 bucket bounds given, at most {} are supported",
            coremeter::buckets::MAX_BOUNDS
        )
    );
}

/// What a visitor received for one family.
struct Seen {
    name: String,
    help: String,
    metric_type: MetricType,
    unit: Option<String>,
    series: Vec<String>,
}

/// Records what a visitor receives.
#[derive(Default)]
struct Recorder(Vec<Seen>);

impl Visitor for Recorder {
    fn family(&mut self, d: &Descriptor) {
        self.0.push(Seen {
            name: d.name().to_owned(),
            help: d.help().to_owned(),
            metric_type: d.metric_type(),
            unit: d.unit().map(str::to_owned),
            series: Vec::new(),
        });
    }

    fn series(&mut self, labels: &Labels<'_>, value: &Value<'_>) {
        let labels: Vec<String> = labels.iter().map(|(n, v)| format!("{n}={v}")).collect();
        let text = match value {
            Value::Counter(c) => format!("counter {:?} {labels:?}", c.value),
            Value::Gauge(n) => format!("gauge {n:?} {labels:?}"),
            Value::Histogram(h) => format!(
                "histogram {:?} {:?} {} {labels:?}",
                h.bounds(),
                h.counts(),
                h.sum()
            ),
            other => format!("{other:?}"),
        };
        self.0
            .last_mut()
            .expect("series after family")
            .series
            .push(text);
    }
}

#[test]
fn the_read_api_gives_descriptors_and_summed_values_of_every_type() {
    let registry = Registry::builder()
        .const_label("job", "test")
        .build()
        .unwrap();
    let c = Counter::new();
    let fc = FloatCounter::new();
    let g = Gauge::new();
    let fg = FloatGauge::new();
    let h = Histogram::with_buckets(&[1.0, 5.0]).unwrap();
    let queue = Arc::new(Mutex::new(vec![1, 2, 3]));
    let sent = Arc::new(AtomicU64::new(0));
    registry
        .register(Opts::new("c", "A counter."), c.clone())
        .unwrap();
    registry
        .register(
            Opts::new("fc", "A float counter.").unit("seconds"),
            fc.clone(),
        )
        .unwrap();
    registry
        .register(Opts::new("g", "A gauge."), g.clone())
        .unwrap();
    registry
        .register(Opts::new("fg", "A float gauge."), fg.clone())
        .unwrap();
    registry
        .register(Opts::new("h", "A histogram."), h.clone())
        .unwrap();
    let q = Arc::clone(&queue);
    registry
        .register(
            Opts::new("queue_length", "Queued items."),
            FnGauge::new(move || q.lock().unwrap().len()),
        )
        .unwrap();
    let s = Arc::clone(&sent);
    registry
        .register(
            Opts::new("sent_bytes", "Bytes sent."),
            FnCounter::new(move || s.load(Ordering::Relaxed)),
        )
        .unwrap();

    c.inc_by(3);
    fc.inc_by(1.5);
    g.set(-4);
    fg.set(2.5);
    h.observe(0.5);
    h.observe(7.0);
    queue.lock().unwrap().push(4);
    sent.store(1024, Ordering::Relaxed);

    let mut r = Recorder::default();
    registry.collect(&mut r).expect("collects");
    let job = r#"["job=test"]"#;
    let expected = vec![
        (
            "c",
            "A counter.",
            MetricType::Counter,
            None,
            format!("counter UInt(3) {job}"),
        ),
        (
            "fc_seconds",
            "A float counter.",
            MetricType::Counter,
            Some("seconds"),
            format!("counter Float(1.5) {job}"),
        ),
        (
            "g",
            "A gauge.",
            MetricType::Gauge,
            None,
            format!("gauge Int(-4) {job}"),
        ),
        (
            "fg",
            "A float gauge.",
            MetricType::Gauge,
            None,
            format!("gauge Float(2.5) {job}"),
        ),
        (
            "h",
            "A histogram.",
            MetricType::Histogram,
            None,
            format!("histogram [1.0, 5.0] [1, 0, 1] 7.5 {job}"),
        ),
        (
            "queue_length",
            "Queued items.",
            MetricType::Gauge,
            None,
            format!("gauge UInt(4) {job}"),
        ),
        (
            "sent_bytes",
            "Bytes sent.",
            MetricType::Counter,
            None,
            format!("counter UInt(1024) {job}"),
        ),
    ];
    assert_eq!(r.0.len(), expected.len());
    for (got, (name, help, t, unit, series)) in r.0.iter().zip(expected) {
        assert_eq!(got.name, name);
        assert_eq!(got.help, help);
        assert_eq!(got.metric_type, t);
        assert_eq!(got.unit.as_deref(), unit);
        assert_eq!(got.series, [series]);
    }

    // Reset-on-read resets counters and histograms, not gauges or callbacks.
    registry
        .collect_and_reset(&mut Recorder::default())
        .expect("collects")
        .commit();
    assert_eq!((c.get(), fc.get(), h.get().value().count()), (0, 0.0, 0));
    assert_eq!((g.get(), fg.get()), (-4, 2.5));
    assert_eq!(
        registry.sample_value("queue_length", &[("job", "test")]),
        Some(4.0)
    );
    assert_eq!(
        registry.sample_value("sent_bytes_total", &[("job", "test")]),
        Some(1024.0)
    );
}

#[test]
fn counters_refuse_to_go_down() {
    let f = FloatCounter::new();
    f.inc_by(-1.0);
    f.inc_by(f64::NAN);
    assert_eq!(f.get(), 0.0);
    let err = f.try_inc_by(-2.5).unwrap_err();
    assert_eq!(
        err.to_string(),
        "counters only go up: cannot add -2.5 (amounts must be zero or positive)"
    );
    f.inc_by(f64::INFINITY);
    assert_eq!(f.get(), f64::INFINITY);
}

#[test]
fn gauges_and_time() {
    let g = Gauge::new();
    g.add(10);
    g.sub(3);
    g.dec();
    g.inc();
    assert_eq!(g.get(), 7);
    g.set_to_current_time();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now - g.get()).abs() <= 1);
    let f = FloatGauge::new();
    f.set_to_current_time();
    assert!((now as f64 - f.get()).abs() <= 1.0);
    assert_eq!(Number::from(3u8), Number::UInt(3));
}

#[test]
fn the_default_registry_is_shared() {
    let g = Gauge::new();
    default_registry()
        .register(Opts::new("registry_test_default", "Shared."), g.clone())
        .unwrap();
    g.set(5);
    assert_eq!(
        coremeter::default_registry().sample_value("registry_test_default", &[]),
        Some(5.0)
    );
}

#[test]
fn registration_while_collecting_does_not_deadlock() {
    // A callback that registers into the registry being collected: the collection does not hold
    // the registry's lock while reading metrics.
    let registry = Arc::new(Registry::new());
    let r = Arc::clone(&registry);
    let n = AtomicU64::new(0);
    registry
        .register(
            Opts::new("self_registering", "Registers another gauge when read."),
            FnGauge::new(move || {
                let i = n.fetch_add(1, Ordering::Relaxed);
                let _ = r.register(Opts::new(format!("late_{i}"), "Late."), Gauge::new());
                i
            }),
        )
        .unwrap();
    let first = registry.samples();
    assert_eq!(first.len(), 1);
    // The gauge registered during the first collection shows in the next one.
    assert!(registry.samples().iter().any(|s| s.name == "late_0"));
}
