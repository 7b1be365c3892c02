//! A library that only knows the `metrics` facade (`tests/facade-user`), recorded into a coremeter
//! registry beside a `#[derive(Metrics)]` struct: one scrape, one registry.

use std::process::{Command, Stdio};
use std::sync::Arc;

use coremeter::{Counter, Metrics, Registry};
use coremeter_encode::{Format, render};
use coremeter_recorder::{Matcher, RecorderBuilder};

#[derive(Metrics)]
#[metrics(namespace = "svc")]
struct Service {
    /// Requests handled by the service itself.
    requests: Counter,
}

fn text(registry: &Registry) -> String {
    render(registry, Format::Text).expect("renders")
}

fn rejected(registry: &Registry) -> Option<f64> {
    registry.sample_value("coremeter_recorder_rejected_total", &[])
}

#[test]
fn a_facade_library_and_a_derived_struct_share_one_scrape() {
    let registry = Arc::new(Registry::new());
    let service = Service::new();
    service.register(&registry).expect("registers");
    service.requests.inc();
    let recorder = RecorderBuilder::new()
        .registry(&registry)
        .buckets_for_metric(Matcher::Prefix("job".into()), &[0.1, 1.0])
        .expect("valid buckets")
        .build();
    metrics::with_local_recorder(&recorder, || {
        facade_user::describe();
        facade_user::run_job("email", 0.05);
        facade_user::run_job("email", 0.5);
        facade_user::run_job("sms", 2.0);
        facade_user::set_depth(7.0);
        facade_user::count_requests(3);
    });
    let text = text(&registry);
    for line in [
        "svc_requests_total 1\n",
        // `jobs.done`, described with Unit::Count (no suffix); by queue.
        "# HELP jobs_done_total Jobs done, by queue.\n",
        "# TYPE jobs_done_total counter\n",
        "jobs_done_total{queue=\"email\"} 2\n",
        "jobs_done_total{queue=\"sms\"} 1\n",
        // `job-duration`, in seconds, with the buckets given for names starting with `job`.
        "# HELP job_duration_seconds Time to run a job.\n",
        "job_duration_seconds_bucket{queue=\"email\",le=\"0.1\"} 1\n",
        "job_duration_seconds_bucket{queue=\"email\",le=\"1.0\"} 2\n",
        "job_duration_seconds_bucket{queue=\"sms\",le=\"+Inf\"} 1\n",
        "job_duration_seconds_count{queue=\"email\"} 2\n",
        "job_duration_seconds_sum{queue=\"email\"} 0.55\n",
        "# HELP queue_depth Jobs waiting.\n",
        "queue_depth{region=\"eu\"} 7.0\n",
        // `requests_total`, not `requests_total_total`.
        "requests_total 3\n",
        "coremeter_recorder_rejected_total 0\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    assert!(!text.contains("requests_total_total"));
    promtool_accepts(&text);
}

/// Runs `promtool check metrics` on `text` (installed by `.ci/test`).
fn promtool_accepts(text: &str) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (installed by .ci/test)");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("writes");
    let out = child.wait_with_output().expect("runs");
    assert!(
        out.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn uses_the_registry_refuses_do_nothing_and_are_counted() {
    let registry = Arc::new(Registry::new());
    let service = Service::new();
    service.register(&registry).expect("registers");
    let recorder = RecorderBuilder::new().registry(&registry).build();
    metrics::with_local_recorder(&recorder, || {
        // The service's own name: the registry refuses the facade's family.
        metrics::counter!("svc_requests").increment(5);
        // A histogram label the type uses itself.
        metrics::histogram!("sizes", "le" => "1").record(1.0);
        // Another type under a name already used.
        metrics::counter!("depth").increment(1);
        metrics::gauge!("depth").set(1.0);
        // Other label keys than the name's first use.
        metrics::counter!("calls", "a" => "1").increment(1);
        metrics::counter!("calls", "b" => "1").increment(1);
        // The same keys in another order are the same series.
        metrics::counter!("pairs", "a" => "1", "b" => "2").increment(1);
        metrics::counter!("pairs", "b" => "2", "a" => "1").increment(1);
    });
    assert_eq!(rejected(&registry), Some(4.0));
    assert_eq!(registry.sample_value("svc_requests_total", &[]), Some(0.0));
    assert_eq!(registry.sample_value("depth_total", &[]), Some(1.0));
    assert_eq!(
        registry.sample_value("calls_total", &[("a", "1")]),
        Some(1.0)
    );
    assert_eq!(
        registry.sample_value("pairs_total", &[("a", "1"), ("b", "2")]),
        Some(2.0)
    );
    assert!(registry.sample_value("sizes_count", &[]).is_none());
}

#[test]
fn a_kept_handle_and_many_threads_count_exactly() {
    let registry = Arc::new(Registry::new());
    let recorder = Arc::new(RecorderBuilder::new().registry(&registry).build());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let recorder = Arc::clone(&recorder);
            std::thread::spawn(move || {
                metrics::with_local_recorder(&*recorder, || {
                    let kept = metrics::counter!("kept");
                    for i in 0..10_000u64 {
                        kept.increment(1);
                        metrics::counter!("looked_up", "shard" => (i % 2).to_string()).increment(1);
                        metrics::gauge!("level", "thread" => t.to_string()).increment(1.0);
                    }
                    metrics::gauge!("level", "thread" => t.to_string()).decrement(4.0);
                });
            })
        })
        .collect();
    for t in threads {
        t.join().expect("no panic");
    }
    assert_eq!(registry.sample_value("kept_total", &[]), Some(40_000.0));
    let shard = |s: &str| registry.sample_value("looked_up_total", &[("shard", s)]);
    assert_eq!((shard("0"), shard("1")), (Some(20_000.0), Some(20_000.0)));
    assert_eq!(
        registry.sample_value("level", &[("thread", "3")]),
        Some(9_996.0)
    );
}

#[test]
fn absolute_raises_a_counter_to_at_least_the_value() {
    let registry = Arc::new(Registry::new());
    let recorder = RecorderBuilder::new().registry(&registry).build();
    metrics::with_local_recorder(&recorder, || {
        let c = metrics::counter!("synced");
        c.absolute(10);
        c.absolute(7); // never down
        c.increment(1);
        c.absolute(20);
    });
    assert_eq!(registry.sample_value("synced_total", &[]), Some(20.0));
}

#[test]
fn label_sets_beyond_the_limit_fold_into_the_overflow_series() {
    let registry = Arc::new(Registry::new());
    let recorder = RecorderBuilder::new().registry(&registry).build();
    let limit = coremeter::family::DEFAULT_LIMIT;
    metrics::with_local_recorder(&recorder, || {
        for user in 0..limit + 10 {
            metrics::counter!("logins", "user" => user.to_string()).increment(1);
        }
    });
    let overflow = [("user", coremeter::OVERFLOW_LABEL_VALUE)];
    assert_eq!(registry.sample_value("logins_total", &overflow), Some(10.0));
    let total: f64 = registry
        .samples()
        .iter()
        .filter(|s| s.name == "logins_total")
        .map(|s| s.value)
        .sum();
    assert_eq!(total, (limit + 10) as f64);
}

/// Repeated calls (which a thread answers from the handles it made last) land in the series
/// they name: every label value, every type, and each recorder its own registry, however the
/// calls interleave; a gauge under a counter's name stays refused however often it is called.
#[test]
fn repeated_calls_land_in_their_own_series() {
    let (a, b) = (Arc::new(Registry::new()), Arc::new(Registry::new()));
    let (ra, rb) = (
        RecorderBuilder::new().registry(&a).build(),
        RecorderBuilder::new().registry(&b).build(),
    );
    let routes = [
        "/",
        "/a",
        "/ab",
        "/b",
        "/cart",
        "/checkout",
        "/x",
        "/y",
        "/z",
        "/zz",
    ];
    for round in 0..100u64 {
        for (i, route) in routes.iter().enumerate() {
            let i = i as u64;
            metrics::with_local_recorder(&ra, || {
                metrics::counter!("hits", "route" => *route).increment(i + 1);
                metrics::gauge!("level", "route" => *route).set((round * 10 + i) as f64);
                metrics::histogram!("size", "route" => *route).record(i as f64);
                metrics::gauge!("hits", "route" => *route).set(1.0);
            });
            metrics::with_local_recorder(&rb, || {
                metrics::counter!("hits", "route" => *route).increment(1);
            });
        }
    }
    for (i, route) in routes.iter().enumerate() {
        let i = i as u64;
        let labels = [("route", *route)];
        assert_eq!(
            a.sample_value("hits_total", &labels),
            Some(100.0 * (i + 1) as f64)
        );
        assert_eq!(a.sample_value("level", &labels), Some((990 + i) as f64));
        assert_eq!(a.sample_value("size_count", &labels), Some(100.0));
        assert_eq!(a.sample_value("size_sum", &labels), Some(100.0 * i as f64));
        assert_eq!(b.sample_value("hits_total", &labels), Some(100.0));
    }
    assert_eq!(rejected(&a), Some(1000.0));
    assert_eq!(rejected(&b), Some(0.0));
}
