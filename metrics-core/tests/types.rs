//! The metric types beyond counters, gauges and histograms (summary, statistics, info, state
//! set), exemplars, and custom collectors.

use std::sync::{Arc, Mutex};

use coremeter::{
    Collector, Counter, CounterMetricFamily, Descriptor, ExemplarError, FloatCounter,
    GaugeMetricFamily, Histogram, HistogramMetricFamily, Info, InfoMetricFamily, LabelValue,
    Labels, MetricFamily, MetricType, Opts, Registry, RegistryError, StateSet, StateSetError,
    States, Statistics, Summary, SummaryMetricFamily, Timer, UnknownMetricFamily, Value, Visitor,
};

#[test]
fn summary_counts_and_sums_and_resets() {
    let registry = Registry::new();
    let s = Summary::new();
    registry
        .register(
            Opts::new("task_duration", "Tasks.").unit("seconds"),
            s.clone(),
        )
        .unwrap();
    s.observe(1.5);
    s.observe(0.5);
    drop(s.start_timer());
    assert_eq!(
        registry.sample_value("task_duration_seconds_count", &[]),
        Some(3.0)
    );
    assert!(
        registry
            .sample_value("task_duration_seconds_sum", &[])
            .unwrap()
            >= 2.0
    );
    let taken = s.take();
    assert_eq!(taken.count, 3);
    assert_eq!(s.get().count, 0);
    // Type suffixes are refused in summary names too.
    assert!(matches!(
        registry.register(Opts::new("x_count", "X."), Summary::new()),
        Err(RegistryError::ReservedSuffix { .. })
    ));
}

#[test]
fn statistics_merge_extremes_over_threads() {
    let stats = Statistics::new();
    std::thread::scope(|scope| {
        for t in 0..4 {
            let stats = &stats;
            scope.spawn(move || {
                for i in 0..10_000 {
                    stats.observe(f64::from(t * 10_000 + i) - 20_000.0);
                }
            });
        }
    });
    let v = stats.get();
    assert_eq!(v.count, 40_000);
    assert_eq!(v.min, Some(-20_000.0));
    assert_eq!(v.max, Some(19_999.0));
    assert_eq!(
        v.sum,
        (0..40_000).map(|i| f64::from(i) - 20_000.0).sum::<f64>()
    );
    assert_eq!(v.average(), Some(v.sum / 40_000.0));
    let registry = Registry::new();
    registry
        .register(Opts::new("lat", "Latency."), stats.clone())
        .unwrap();
    assert_eq!(registry.sample_value("lat_max", &[]), Some(19_999.0));
    let taken = stats.take();
    assert_eq!(taken.count, 40_000);
    assert_eq!((stats.get().min, stats.get().max), (None, None));
    // No `_min`/`_max` samples before the first observation of a window.
    assert_eq!(registry.sample_value("lat_min", &[]), None);
    assert_eq!(registry.sample_value("lat_count", &[]), Some(0.0));
}

#[test]
fn info_exposes_pairs_with_value_one() {
    let registry = Registry::builder()
        .const_label("region", "eu")
        .build()
        .unwrap();
    let info = Info::new(&[("version", "1.0"), ("commit", "abc")]).unwrap();
    registry
        .register(Opts::new("build", "Build."), info.clone())
        .unwrap();
    assert_eq!(
        registry.sample_value(
            "build_info",
            &[("region", "eu"), ("version", "1.0"), ("commit", "abc")]
        ),
        Some(1.0)
    );
    assert!(info.set(&[("1bad", "x")]).is_err());
    assert_eq!(info.get().len(), 2);
    // A pair named like a constant label is left out, so no label appears twice.
    info.set(&[("region", "us"), ("version", "2.0")]).unwrap();
    assert_eq!(
        registry.sample_value("build_info", &[("region", "eu"), ("version", "2.0")]),
        Some(1.0)
    );
    // Registering an info whose pairs clash with a constant label is refused.
    let clash = Info::new(&[("region", "x")]).unwrap();
    assert!(matches!(
        registry.register(Opts::new("other", "O."), clash),
        Err(RegistryError::DuplicateLabelName { .. })
    ));
    assert!(matches!(
        registry.register(Opts::new("x_info", "X."), Info::new(&[]).unwrap()),
        Err(RegistryError::ReservedSuffix { .. })
    ));
}

#[derive(Clone, Copy)]
enum Phase {
    Starting,
    Running,
    Stopped,
}

impl LabelValue for Phase {
    const VALUES: Option<&'static [&'static str]> = Some(&["starting", "running", "stopped"]);
    fn index(&self) -> usize {
        *self as usize
    }
}

#[test]
fn state_sets_have_exactly_one_state() {
    let registry = Registry::new();
    let phase = StateSet::with_config(States::of::<Phase>().unwrap());
    registry
        .register(Opts::new("phase", "Phase."), phase.clone())
        .unwrap();
    let state = |s: &str| registry.sample_value("phase", &[("phase", s)]);
    assert_eq!(
        (state("starting"), state("running")),
        (Some(1.0), Some(0.0))
    );
    phase.set_value(&Phase::Running).unwrap();
    assert_eq!(
        (state("starting"), state("running")),
        (Some(0.0), Some(1.0))
    );
    phase.set("stopped").unwrap();
    assert_eq!(phase.get(), "stopped");
    assert_eq!(
        phase.set("paused").unwrap_err(),
        StateSetError::Unknown("paused".into())
    );
    assert!(phase.set_index(3).is_err());
    let _ = (Phase::Starting, Phase::Stopped);
    assert_eq!(
        StateSet::new(Vec::<&str>::new()).unwrap_err(),
        StateSetError::Empty
    );
    // The name labels the states, so it must be a valid label name.
    let err = registry
        .register(Opts::new("job:phase", "P."), StateSet::new(["a"]).unwrap())
        .unwrap_err();
    assert!(matches!(err, RegistryError::InvalidName { .. }), "{err}");
}

/// Where an exemplar was seen, its labels and value.
type Seen = (String, Vec<(String, String)>, f64);

/// Records the exemplars a visitor receives.
#[derive(Default)]
struct Exemplars(Vec<Seen>);

impl Visitor for Exemplars {
    fn family(&mut self, _: &Descriptor) {}

    fn series(&mut self, _: &Labels<'_>, value: &Value<'_>) {
        let mut push = |at: String, e: &coremeter::Exemplar| {
            let labels = e
                .labels()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect();
            assert!(e.timestamp() > 1.6e9);
            self.0.push((at, labels, e.value()));
        };
        match value {
            Value::Counter(c) => {
                if let Some(e) = c.exemplar {
                    push("counter".into(), e);
                }
            }
            Value::Histogram(h) => {
                for i in 0..=h.bounds().len() {
                    if let Some(e) = h.exemplar(i) {
                        push(format!("bucket {i}"), e);
                    }
                }
            }
            _ => {}
        }
    }
}

#[test]
fn exemplars_are_kept_per_series_and_bucket() {
    let registry = Registry::new();
    let c = Counter::new();
    let f = FloatCounter::new();
    let h = Histogram::with_buckets(&[1.0, 2.0]).unwrap();
    registry.register(Opts::new("c", "C."), c.clone()).unwrap();
    registry.register(Opts::new("f", "F."), f.clone()).unwrap();
    registry.register(Opts::new("h", "H."), h.clone()).unwrap();
    c.inc_with_exemplar(&[("trace_id", "t1")]).unwrap();
    c.inc_by_with_exemplar(5, &[("trace_id", "t2")]).unwrap();
    c.inc();
    f.inc_by_with_exemplar(0.5, &[("span", "s")]).unwrap();
    h.observe_with_exemplar(1.5, &[("trace_id", "h1")]).unwrap();
    h.observe_with_exemplar(9.0, &[("trace_id", "h2")]).unwrap();
    h.observe(0.5);
    let mut seen = Exemplars::default();
    registry.collect(&mut seen).expect("collects");
    let pair = |k: &str, v: &str| vec![(k.to_owned(), v.to_owned())];
    assert_eq!(
        seen.0,
        [
            ("counter".to_owned(), pair("trace_id", "t2"), 5.0),
            ("counter".to_owned(), pair("span", "s"), 0.5),
            ("bucket 1".to_owned(), pair("trace_id", "h1"), 1.5),
            ("bucket 2".to_owned(), pair("trace_id", "h2"), 9.0),
        ]
    );
    assert_eq!(c.get(), 7);
    // Too long: refused, and the update is not made.
    let long = "x".repeat(200);
    let err = c.inc_with_exemplar(&[("trace_id", &long)]).unwrap_err();
    assert_eq!(err, ExemplarError::TooLong { chars: 208 });
    assert_eq!(c.get(), 7);
    assert!(h.observe_with_exemplar(0.1, &[("1x", "y")]).is_err());
    assert_eq!(h.get().value().count(), 3);
}

#[test]
fn a_freed_counter_leaves_no_exemplar_behind() {
    let registry = Registry::new();
    {
        let c = Counter::new();
        c.inc_with_exemplar(&[("trace_id", "old")]).unwrap();
    }
    // Whatever run the next counters get (possibly the freed one), none has an exemplar.
    let fresh: Vec<Counter> = (0..8).map(|_| Counter::new()).collect();
    for (i, c) in fresh.iter().enumerate() {
        registry
            .register(Opts::new(format!("fresh_{i}"), "F."), c.clone())
            .unwrap();
    }
    let mut seen = Exemplars::default();
    registry.collect(&mut seen).expect("collects");
    assert!(seen.0.is_empty(), "{:?}", seen.0);
}

struct Queues(Arc<Mutex<Vec<(&'static str, usize)>>>);

impl Collector for Queues {
    fn collect(&self) -> Vec<MetricFamily> {
        let queues = self.0.lock().unwrap();
        let mut length = GaugeMetricFamily::new("queue_length", "Waiting.", &["queue"]).unwrap();
        let mut processed =
            CounterMetricFamily::new("queue_processed", "Done.", &["queue"]).unwrap();
        for (name, n) in queues.iter() {
            length.add_metric(&[name], *n).unwrap();
            processed.add_metric(&[name], 10 * *n as u64).unwrap();
        }
        let mut wait = HistogramMetricFamily::new("queue_wait", "Wait.", &[])
            .unwrap()
            .with_unit("seconds")
            .unwrap();
        wait.add_metric(&[], &[(0.5, 2), (1.0, 5), (f64::INFINITY, 6)], 4.25)
            .unwrap();
        let mut summary = SummaryMetricFamily::new("queue_batch", "Batches.", &[]).unwrap();
        summary.add_metric(&[], 3, 12.0).unwrap();
        let mut info = InfoMetricFamily::new("queue_backend", "Backend.", &[]).unwrap();
        info.add_metric(&[], &[("kind", "redis")]).unwrap();
        let mut unknown = UnknownMetricFamily::new("queue_weird", "?", &[]).unwrap();
        unknown.add_metric(&[], -1.5).unwrap();
        vec![
            length.into(),
            processed.into(),
            wait.into(),
            summary.into(),
            info.into(),
            unknown.into(),
        ]
    }
}

#[test]
fn custom_collectors_expose_values_owned_elsewhere() {
    let queues = Arc::new(Mutex::new(vec![("mail", 2), ("sms", 0)]));
    let registry = Registry::builder().prefix("app").build().unwrap();
    registry
        .register_collector(Queues(Arc::clone(&queues)))
        .unwrap();
    let v = |name: &str, labels: &[(&str, &str)]| registry.sample_value(name, labels);
    assert_eq!(v("app_queue_length", &[("queue", "mail")]), Some(2.0));
    assert_eq!(
        v("app_queue_processed_total", &[("queue", "mail")]),
        Some(20.0)
    );
    assert_eq!(
        v("app_queue_wait_seconds_bucket", &[("le", "1")]),
        Some(5.0)
    );
    assert_eq!(v("app_queue_wait_seconds_count", &[]), Some(6.0));
    assert_eq!(v("app_queue_batch_sum", &[]), Some(12.0));
    assert_eq!(v("app_queue_backend_info", &[("kind", "redis")]), Some(1.0));
    assert_eq!(v("app_queue_weird", &[]), Some(-1.5));
    queues.lock().unwrap().push(("push", 7));
    assert_eq!(v("app_queue_length", &[("queue", "push")]), Some(7.0));
    // Its names are reserved.
    let err = registry
        .register(Opts::new("queue_length", "Clash."), coremeter::Gauge::new())
        .unwrap_err();
    assert_eq!(
        err,
        RegistryError::Duplicate {
            name: "app_queue_length".into(),
            registered: "app_queue_length".into(),
            declarations: (None, None),
        }
    );
    // A second collector producing the same names is refused.
    assert!(registry.register_collector(Queues(queues)).is_err());
    assert!(registry.unregister("app_queue_length"));
    assert_eq!(v("app_queue_length", &[("queue", "mail")]), None);
}

#[test]
fn custom_family_helpers_check_their_input() {
    assert!(matches!(
        CounterMetricFamily::new("x_total", "X.", &[]),
        Err(RegistryError::ReservedSuffix { .. })
    ));
    assert!(matches!(
        GaugeMetricFamily::new("1x", "X.", &[]),
        Err(RegistryError::InvalidName { .. })
    ));
    assert!(HistogramMetricFamily::new("h", "H.", &["le"]).is_err());
    let mut g = GaugeMetricFamily::new("g", "G.", &["a", "b"]).unwrap();
    assert!(g.add_metric(&["only one"], 1).is_err());
    let mut h = HistogramMetricFamily::new("h", "H.", &[]).unwrap();
    for bad in [
        &[(1.0, 2)][..],
        &[(1.0, 2), (0.5, 3), (f64::INFINITY, 3)],
        &[(1.0, 5), (f64::INFINITY, 3)],
        &[],
    ] {
        assert!(h.add_metric(&[], bad, 0.0).is_err(), "{bad:?}");
    }
    let mut info = InfoMetricFamily::new("i", "I.", &["env"]).unwrap();
    assert!(info.add_metric(&["prod"], &[("env", "dup")]).is_err());
    let family: MetricFamily = g.into();
    assert_eq!(family.descriptor().metric_type(), MetricType::Gauge);
}

#[test]
fn timers_observe_on_drop_for_every_observing_type() {
    let h = Histogram::new();
    let s = Summary::new();
    let st = Statistics::new();
    {
        let _a = h.start_timer();
        let _b = s.start_timer();
        let _c = st.start_timer();
        let _d = Timer::new(h.clone());
    }
    assert_eq!(h.get().value().count(), 2);
    assert_eq!(s.get().count, 1);
    assert_eq!(st.get().count, 1);
}

/// The timer's clock (quanta) agrees with the OS clock on a known sleep.
#[test]
fn timers_measure_wall_time() {
    let h = coremeter::Histogram::new();
    let os = std::time::Instant::now();
    let t = coremeter::Timer::new(&h);
    std::thread::sleep(std::time::Duration::from_millis(50));
    let measured = t.stop().as_secs_f64();
    let reference = os.elapsed().as_secs_f64();
    assert!(
        measured >= 0.049,
        "timer measured {measured} s for a 50 ms sleep"
    );
    assert!(
        measured <= reference + 0.002,
        "timer {measured} s, OS clock {reference} s"
    );
    assert_eq!(h.get().value().count(), 1);
}
