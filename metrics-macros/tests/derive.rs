//! `#[derive(Metrics)]`, `#[derive(LabelSet)]`, `#[derive(LabelValue)]`: what they register and
//! how, through the public API of coremeter only.

#![allow(dead_code)]

use coremeter::{
    Counter, DynLabels, Family, FloatGauge, Gauge, Histogram, LabelSet, LabelValue, Metrics,
    Registry, Statistics, Summary,
};

#[derive(LabelValue, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[label(rename_all = "UPPERCASE")]
enum Method {
    Get,
    Post,
    #[label(rename = "DELETE")]
    Remove,
}

#[derive(LabelValue, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[label(rename_all = "snake_case")]
enum Class {
    Success,
    ClientError,
    ServerError,
}

#[derive(LabelSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Route {
    method: Method,
    #[label(rename = "status_class")]
    class: Class,
}

#[derive(LabelSet, Clone, Debug, PartialEq, Eq, Hash)]
struct Path<'a> {
    path: &'a str,
}

/// Database metrics, flattened into the HTTP ones.
#[derive(Metrics)]
#[metrics(subsystem = "db")]
struct DbMetrics {
    /// Queries run.
    queries: Counter,
}

#[derive(Metrics)]
#[metrics(
    namespace = "shop",
    subsystem = "http",
    const_labels(service = "api", zone = "eu")
)]
struct HttpMetrics {
    /// Requests handled.
    requests: Counter,
    /// Requests by route
    /// and outcome.
    by_route: Family<Route, Counter>,
    /// Requests by path.
    #[metric(limit = 2)]
    by_path: Family<Path<'static>, Counter>,
    /// Time to serve a request.
    #[metric(unit = "seconds", buckets = exponential(0.001, 2.0, 4))]
    latency: Histogram,
    #[metric(help = "Response sizes.", unit = "bytes", buckets = [100, 1000.0, 1e4])]
    response_size: Histogram,
    /// Sizes by method, with dynamic labels.
    #[metric(labels = ["method"], buckets = linear(1, 1, 2))]
    sizes_by_method: Family<DynLabels, Histogram>,
    /// Requests being served.
    in_flight: Gauge,
    /// Load average.
    #[metric(name = "load")]
    load_average: FloatGauge,
    /// Request summary.
    summary: Summary,
    /// Queue wait statistics.
    #[metric(unit = "seconds")]
    queue_wait: Statistics,
    /// Users by plan.
    #[metric(labels = ["plan", "region"], limit = 100)]
    users: Family<DynLabels, Gauge>,
    #[metric(flatten)]
    db: DbMetrics,
    #[metric(skip)]
    note: String,
}

#[test]
fn registers_every_field_with_its_name_help_and_labels() {
    let registry = Registry::new();
    let m = HttpMetrics::new();
    m.register(&registry).unwrap();
    assert!(m.note.is_empty());
    let c = [("service", "api"), ("zone", "eu")];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut l = c.to_vec();
        l.extend_from_slice(extra);
        l
    };
    m.requests.inc();
    assert_eq!(
        registry.sample_value("shop_http_requests_total", &c),
        Some(1.0)
    );
    // A dense family: every series at 0 before first use.
    assert_eq!(
        registry.sample_value(
            "shop_http_by_route_total",
            &with(&[("method", "DELETE"), ("status_class", "client_error")])
        ),
        Some(0.0)
    );
    m.by_route
        .get(&Route {
            method: Method::Post,
            class: Class::ServerError,
        })
        .inc();
    assert_eq!(
        registry.sample_value(
            "shop_http_by_route_total",
            &with(&[("method", "POST"), ("status_class", "server_error")])
        ),
        Some(1.0)
    );
    for p in ["/a", "/b", "/c"] {
        m.by_path.get(&Path { path: p }).inc();
    }
    assert_eq!(
        registry.sample_value("shop_http_by_path_total", &with(&[("path", "/c")])),
        None
    );
    m.latency.observe(0.003);
    assert_eq!(
        registry.sample_value(
            "shop_http_latency_seconds_bucket",
            &with(&[("le", "0.004")])
        ),
        Some(1.0)
    );
    assert_eq!(
        registry.sample_value(
            "shop_http_latency_seconds_bucket",
            &with(&[("le", "0.002")])
        ),
        Some(0.0)
    );
    m.response_size.observe(500.0);
    assert_eq!(
        registry.sample_value(
            "shop_http_response_size_bytes_bucket",
            &with(&[("le", "1000")])
        ),
        Some(1.0)
    );
    m.sizes_by_method.labels(&["GET"]).unwrap().observe(1.5);
    assert_eq!(
        registry.sample_value(
            "shop_http_sizes_by_method_bucket",
            &with(&[("method", "GET"), ("le", "2")])
        ),
        Some(1.0)
    );
    m.load_average.set(0.5);
    assert_eq!(registry.sample_value("shop_http_load", &c), Some(0.5));
    m.summary.observe(2.0);
    assert_eq!(
        registry.sample_value("shop_http_summary_sum", &c),
        Some(2.0)
    );
    m.queue_wait.observe(3.0);
    assert_eq!(
        registry.sample_value("shop_http_queue_wait_seconds_max", &c),
        Some(3.0)
    );
    m.users.labels(&["pro", "eu"]).unwrap().set(4);
    assert_eq!(
        registry.sample_value(
            "shop_http_users",
            &with(&[("plan", "pro"), ("region", "eu")])
        ),
        Some(4.0)
    );
    m.db.queries.inc_by(2);
    assert_eq!(
        registry.sample_value("shop_http_db_queries_total", &c[..0]),
        Some(2.0)
    );

    let text = registry
        .samples()
        .into_iter()
        .map(|s| s.name)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(text.contains("shop_http_in_flight"));
    // Registering twice is a duplicate, an error not a panic.
    assert!(m.register(&registry).is_err());
}

/// Each family's name and HELP, as a scrape reads them.
fn helps(registry: &Registry) -> Vec<(String, String)> {
    struct Helps(Vec<(String, String)>);
    impl coremeter::Visitor for Helps {
        fn family(&mut self, d: &coremeter::Descriptor) {
            self.0.push((d.name().to_owned(), d.help().to_owned()));
        }
        fn series(&mut self, _: &coremeter::Labels<'_>, _: &coremeter::Value<'_>) {}
    }
    let mut helps = Helps(Vec::new());
    registry.collect(&mut helps).expect("collects");
    helps.0
}

#[test]
fn help_comes_from_doc_comments_or_the_attribute() {
    let registry = Registry::new();
    HttpMetrics::default().register(&registry).unwrap();
    let helps = helps(&registry);
    let help = |n: &str| {
        helps
            .iter()
            .find(|(name, _)| name == n)
            .map(|(_, h)| h.clone())
    };
    assert_eq!(
        help("shop_http_requests").as_deref(),
        Some("Requests handled.")
    );
    assert_eq!(
        help("shop_http_by_route").as_deref(),
        Some("Requests by route and outcome.")
    );
    assert_eq!(
        help("shop_http_response_size_bytes").as_deref(),
        Some("Response sizes.")
    );
    assert_eq!(
        help("shop_http_db_queries").as_deref(),
        Some("Queries run.")
    );
}

#[test]
fn label_derives() {
    assert_eq!(Route::NAMES, ["method", "status_class"]);
    assert_eq!(Method::VALUES, Some(&["GET", "POST", "DELETE"][..]));
    assert_eq!(Class::ClientError.index(), 1);
    assert_eq!(
        Class::VALUES.unwrap()[Class::ClientError.index()],
        "client_error"
    );
    assert_eq!(Path::NAMES, ["path"]);
}

/// A static struct.
#[derive(Metrics, Debug)]
#[metrics(namespace = "static_test", static = STATIC_METRICS)]
pub struct StaticMetrics {
    /// Events seen.
    events: Counter,
}

#[test]
fn a_static_struct_is_in_the_default_registry_before_first_use() {
    let registry = coremeter::default_registry();
    assert_eq!(
        registry.sample_value("static_test_events_total", &[]),
        Some(0.0)
    );
    STATIC_METRICS.events.inc();
    assert_eq!(
        registry.sample_value("static_test_events_total", &[]),
        Some(1.0)
    );
}

mod renamed {
    extern crate coremeter as mc;

    #[derive(mc::Metrics)]
    #[metrics(crate = mc)]
    pub(crate) struct Renamed {
        /// Through a renamed path.
        pub(crate) hits: mc::Counter,
    }
}

#[test]
fn a_renamed_crate_path_works() {
    let registry = Registry::new();
    let r = renamed::Renamed::new();
    r.register(&registry).unwrap();
    r.hits.inc();
    assert_eq!(registry.sample_value("hits_total", &[]), Some(1.0));
}

#[derive(coremeter::LabelValue, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[label(rename_all = "snake_case")]
enum Phase {
    Starting,
    Running,
    ShuttingDown,
}

#[derive(coremeter::LabelValue, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[label(rename_all = "lowercase")]
enum Worker {
    Fetch,
    Parse,
}

#[derive(coremeter::LabelSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct ByWorker {
    worker: Worker,
}

#[derive(Metrics)]
#[metrics(namespace = "svc")]
struct Lifecycle {
    /// Build information.
    build: coremeter::Info,
    /// The service's phase.
    #[metric(states = Phase)]
    phase: coremeter::StateSet,
    /// Each worker's phase.
    #[metric(states = Phase)]
    worker_phase: Family<ByWorker, coremeter::StateSet>,
    /// Each worker's configuration.
    worker_config: Family<ByWorker, coremeter::Info>,
}

#[test]
fn info_and_state_set_fields_register_with_their_help() {
    let registry = Registry::new();
    let m = Lifecycle::new();
    m.register(&registry).unwrap();
    m.build.set(&[("version", "1.2.3")]).unwrap();
    m.phase.set_value(&Phase::Running).unwrap();
    m.worker_phase
        .get(&ByWorker {
            worker: Worker::Parse,
        })
        .set_value(&Phase::ShuttingDown)
        .unwrap();
    m.worker_config
        .get(&ByWorker {
            worker: Worker::Fetch,
        })
        .set(&[("batch", "64")])
        .unwrap();
    let value = |name: &str, labels: &[(&str, &str)]| registry.sample_value(name, labels);
    assert_eq!(value("svc_build_info", &[("version", "1.2.3")]), Some(1.0));
    assert_eq!(value("svc_phase", &[("svc_phase", "running")]), Some(1.0));
    assert_eq!(value("svc_phase", &[("svc_phase", "starting")]), Some(0.0));
    let parse_phase = [("worker", "parse"), ("svc_worker_phase", "shutting_down")];
    assert_eq!(value("svc_worker_phase", &parse_phase), Some(1.0));
    let fetch_phase = [("worker", "fetch"), ("svc_worker_phase", "starting")];
    assert_eq!(value("svc_worker_phase", &fetch_phase), Some(1.0));
    let fetch_config = [("worker", "fetch"), ("batch", "64")];
    assert_eq!(value("svc_worker_config_info", &fetch_config), Some(1.0));
    let helps = helps(&registry);
    assert!(helps.contains(&("svc_build".into(), "Build information.".into())));
    assert!(helps.contains(&("svc_phase".into(), "The service's phase.".into())));
}
