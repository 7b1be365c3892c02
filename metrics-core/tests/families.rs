//! Label families: dense and dynamic representations, the string API, removal, limits and the
//! overflow series, registration checks, and concurrent updates, inserts and scrapes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use coremeter::{
    Buckets, Counter, DynLabels, Family, Gauge, Histogram, LabelError, LabelSet, LabelValue,
    LabelVisitor, OVERFLOW_FAMILY, OVERFLOW_LABEL_VALUE, Opts, Registry, RegistryError, Sample,
    StateSet, States, Statistics, Summary,
};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl LabelValue for Method {
    const VALUES: Option<&'static [&'static str]> = Some(&["GET", "POST", "PUT", "DELETE"]);
    fn index(&self) -> usize {
        *self as usize
    }
}

#[derive(Clone, Copy)]
struct Route {
    method: Method,
    ok: bool,
}

impl LabelSet for Route {
    const NAMES: &'static [&'static str] = &["method", "ok"];
    const VALUES: &'static [Option<&'static [&'static str]>] = &[Method::VALUES, bool::VALUES];
    fn visit<V: LabelVisitor>(&self, v: &mut V) {
        v.value(&self.method);
        v.value(&self.ok);
    }
}

struct Path<'a>(&'a str);

impl LabelSet for Path<'_> {
    const NAMES: &'static [&'static str] = &["path"];
    const VALUES: &'static [Option<&'static [&'static str]>] = &[None];
    fn visit<V: LabelVisitor>(&self, v: &mut V) {
        v.value(self.0);
    }
}

struct Pair<'a>(&'a str, &'a str);

impl LabelSet for Pair<'_> {
    const NAMES: &'static [&'static str] = &["a", "b"];
    const VALUES: &'static [Option<&'static [&'static str]>] = &[None, None];
    fn visit<V: LabelVisitor>(&self, v: &mut V) {
        v.value(self.0);
        v.value(self.1);
    }
}

/// A label set mixing a fixed and an open label: dynamic.
struct MethodPath<'a>(Method, &'a str);

impl LabelSet for MethodPath<'_> {
    const NAMES: &'static [&'static str] = &["method", "path"];
    const VALUES: &'static [Option<&'static [&'static str]>] = &[Method::VALUES, None];
    fn visit<V: LabelVisitor>(&self, v: &mut V) {
        v.value(&self.0);
        v.value(self.1);
    }
}

fn series(registry: &Registry, name: &str) -> Vec<Sample> {
    registry
        .samples()
        .into_iter()
        .filter(|s| s.name == name)
        .collect()
}

fn labels(s: &Sample) -> Vec<(&str, &str)> {
    s.labels
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

#[test]
fn dense_families_have_every_series_from_the_start() {
    let registry = Registry::new();
    let requests: Family<Route, Counter> = Family::new();
    registry
        .register(Opts::new("requests", "Requests."), requests.clone())
        .unwrap();
    assert_eq!(requests.len(), 8);
    let all = series(&registry, "requests_total");
    assert_eq!(all.len(), 8);
    assert!(all.iter().all(|s| s.value == 0.0));
    // Index order: the last label varies fastest.
    assert_eq!(labels(&all[0]), [("method", "GET"), ("ok", "false")]);
    assert_eq!(labels(&all[1]), [("method", "GET"), ("ok", "true")]);
    assert_eq!(labels(&all[7]), [("method", "DELETE"), ("ok", "true")]);

    requests
        .get(&Route {
            method: Method::Put,
            ok: true,
        })
        .inc_by(3);
    let put = Route {
        method: Method::Put,
        ok: true,
    };
    assert_eq!(requests.get(&put).get(), 3);
    assert_eq!(
        registry.sample_value("requests_total", &[("method", "PUT"), ("ok", "true")]),
        Some(3.0)
    );
    // The string API finds the same child, and checks values.
    assert_eq!(requests.labels(&["PUT", "true"]).unwrap().get(), 3);
    assert_eq!(
        requests.labels(&["PATCH", "true"]).unwrap_err(),
        LabelError::UnknownValue {
            label: "method".into(),
            value: "PATCH".into()
        }
    );
    assert_eq!(
        requests.labels(&["PUT"]).unwrap_err().to_string(),
        "family \"requests\" has 2 label names [\"method\", \"ok\"], and 1 label values were given"
    );
    // Dense families do not remove children.
    assert!(!requests.remove(&put));
    assert_eq!(requests.len(), 8);
    // A borrowed child can be turned into an owned handle that shares the cells.
    let owned = requests.get(&put).into_owned();
    owned.inc();
    assert_eq!(requests.get(&put).get(), 4);
}

#[test]
fn dynamic_families_create_keep_and_remove_children() {
    let registry = Registry::new();
    let hits: Family<Path<'static>, Counter> = Family::new();
    registry
        .register(Opts::new("hits", "Hits."), hits.clone())
        .unwrap();
    assert!(series(&registry, "hits_total").is_empty());

    let kept = hits.get(&Path("/a")).into_owned();
    kept.inc();
    hits.get(&Path("/b")).inc_by(2);
    hits.get(&Path("/a")).inc();
    assert_eq!(hits.len(), 2);
    let all = series(&registry, "hits_total");
    // Insertion order.
    assert_eq!(labels(&all[0]), [("path", "/a")]);
    assert_eq!((all[0].value, all[1].value), (2.0, 2.0));

    // Removing: the series goes, a kept handle still works but is no longer read, and the label
    // set starts again at 0.
    assert!(hits.remove(&Path("/a")));
    assert!(!hits.remove(&Path("/a")));
    kept.inc();
    assert_eq!(kept.get(), 3);
    assert_eq!(registry.sample_value("hits_total", &[("path", "/a")]), None);
    assert_eq!(hits.get(&Path("/a")).get(), 0);

    // Pre-initialising shows a series at 0 before its first update.
    hits.init(&Path("/c"));
    assert_eq!(
        registry.sample_value("hits_total", &[("path", "/c")]),
        Some(0.0)
    );
    hits.init_labels(&["/d"]).unwrap();
    assert_eq!(hits.len(), 4);

    hits.clear();
    assert!(hits.is_empty());
    assert!(series(&registry, "hits_total").is_empty());
    assert_eq!(hits.get(&Path("/b")).get(), 0);
}

#[test]
fn identity_is_the_full_label_values() {
    let f: Family<Pair<'static>, Counter> = Family::new();
    f.get(&Pair("ab", "c")).inc();
    f.get(&Pair("a", "bc")).inc_by(10);
    assert_eq!(f.len(), 2);
    assert_eq!(f.get(&Pair("ab", "c")).get(), 1);
    assert_eq!(f.labels(&["a", "bc"]).unwrap().get(), 10);
    // Empty values and special characters are values like any other.
    f.get(&Pair("", "")).inc();
    f.get(&Pair("\"quoted\"\n", "é\\")).inc();
    assert_eq!(f.len(), 4);
    assert_eq!(f.labels(&["\"quoted\"\n", "é\\"]).unwrap().get(), 1);
}

#[test]
fn mixed_label_sets_are_dynamic_and_checked_by_the_string_api() {
    let f: Family<MethodPath<'static>, Counter> = Family::new();
    assert!(f.is_empty());
    f.get(&MethodPath(Method::Post, "/x")).inc();
    assert_eq!(f.labels(&["POST", "/x"]).unwrap().get(), 1);
    assert!(matches!(
        f.labels(&["post", "/x"]),
        Err(LabelError::UnknownValue { .. })
    ));
}

#[test]
fn the_limit_folds_new_label_sets_into_one_overflow_series() {
    let registry = Registry::new();
    let f: Family<Path<'static>, Counter> = Family::new().with_limit(3);
    registry
        .register(Opts::new("reqs", "Requests."), f.clone())
        .unwrap();
    for (i, path) in ["/1", "/2", "/3", "/4", "/5", "/4"].iter().enumerate() {
        f.get(&Path(path)).inc_by(i as u64 + 1);
    }
    assert_eq!(f.len(), 3);
    let all = series(&registry, "reqs_total");
    assert_eq!(all.len(), 4);
    let overflow = all.last().unwrap();
    assert_eq!(labels(overflow), [("path", OVERFLOW_LABEL_VALUE)]);
    // "/4" twice and "/5": 4 + 5 + 6.
    assert_eq!(overflow.value, 15.0);
    // Existing label sets keep their own series.
    f.get(&Path("/1")).inc();
    assert_eq!(
        registry.sample_value("reqs_total", &[("path", "/1")]),
        Some(2.0)
    );
    // The self-metric estimates the distinct label sets folded (2).
    assert_eq!(
        registry.sample_value(OVERFLOW_FAMILY, &[("family", "reqs")]),
        Some(2.0)
    );
    // A label set spelled like the overflow series goes to it, never to a second copy of it.
    let g: Family<Path<'static>, Counter> = Family::new();
    g.get(&Path(OVERFLOW_LABEL_VALUE)).inc();
    assert_eq!(g.len(), 0);
    // Removing makes room again.
    assert!(f.remove(&Path("/2")));
    f.get(&Path("/6")).inc();
    assert_eq!(f.len(), 3);
    assert_eq!(
        registry.sample_value("reqs_total", &[("path", "/6")]),
        Some(1.0)
    );
}

#[test]
fn run_time_label_names_are_checked() {
    let ok = Family::<DynLabels, Counter>::with_label_names(&["method", "code"]).unwrap();
    assert_eq!(ok.label_names(), ["method", "code"]);
    for (names, message) in [
        (&["a", "a"][..], "label name \"a\" is given more than once"),
        (
            &["__x"][..],
            "invalid label name \"__x\": names starting with \"__\" are reserved",
        ),
        (
            &["a-b"][..],
            "invalid label name \"a-b\": character '-' at byte 1 is not allowed (letters, digits and '_', not starting with a digit)",
        ),
    ] {
        let err = Family::<DynLabels, Counter>::with_label_names(names).unwrap_err();
        assert_eq!(err.to_string(), message);
    }
    let err = Family::<DynLabels, Histogram>::with_label_names(&["le"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "label name \"le\" is used by histogram series themselves"
    );
    assert!(Family::<DynLabels, Summary>::with_label_names(&["quantile"]).is_err());
    // `le` is fine on a counter.
    assert!(Family::<DynLabels, Counter>::with_label_names(&["le"]).is_ok());
    assert_eq!(
        ok.labels(&["GET", "200", "x"]).unwrap_err(),
        LabelError::Count {
            family: None,
            names: vec!["method".into(), "code".into()],
            got: 3
        }
    );
    // Once registered, the error names the family, as the exposition does.
    let registry = Registry::builder().prefix("shop").build().unwrap();
    registry
        .register(Opts::new("requests", "Requests."), ok.clone())
        .unwrap();
    assert_eq!(
        ok.labels(&["GET"]).unwrap_err().to_string(),
        "family \"shop_requests\" has 2 label names [\"method\", \"code\"], and 1 label values \
         were given"
    );
    assert_eq!(ok.remove_labels(&["GET", "200"]), Ok(false));
    ok.labels(&["GET", "200"]).unwrap().inc();
    assert_eq!(ok.remove_labels(&["GET", "200"]), Ok(true));
}

struct Le(u32);

impl LabelSet for Le {
    const NAMES: &'static [&'static str] = &["le"];
    const VALUES: &'static [Option<&'static [&'static str]>] = &[None];
    fn visit<V: LabelVisitor>(&self, v: &mut V) {
        v.value(&self.0);
    }
}

struct BadName;

impl LabelSet for BadName {
    const NAMES: &'static [&'static str] = &["bad name"];
    const VALUES: &'static [Option<&'static [&'static str]>] = &[None];
    fn visit<V: LabelVisitor>(&self, v: &mut V) {
        v.value("x");
    }
}

#[test]
fn registration_checks_label_names() {
    let registry = Registry::builder()
        .const_label("path", "x")
        .build()
        .unwrap();
    let err = registry
        .register(Opts::new("bad", "Bad."), Family::<BadName, Counter>::new())
        .unwrap_err();
    assert!(
        matches!(err, RegistryError::InvalidLabelName { .. }),
        "{err}"
    );
    let err = registry
        .register(Opts::new("le_hist", "Bad."), Family::<Le, Histogram>::new())
        .unwrap_err();
    assert_eq!(err, RegistryError::ReservedLabelName { name: "le".into() });
    // `le` on a gauge family is fine.
    registry
        .register(Opts::new("le_gauge", "Fine."), Family::<Le, Gauge>::new())
        .unwrap();
    // A family label that is also a constant label would make a label appear twice.
    let err = registry
        .register(
            Opts::new("paths", "Clash."),
            Family::<Path<'static>, Counter>::new(),
        )
        .unwrap_err();
    assert_eq!(
        err,
        RegistryError::DuplicateLabelName {
            name: "path".into()
        }
    );
}

#[test]
fn families_of_every_family_metric_type() {
    let registry = Registry::new();
    let h: Family<Path<'static>, Histogram> =
        Family::with_config(Buckets::new(&[1.0, 2.0]).unwrap());
    let s: Family<Path<'static>, Summary> = Family::new();
    let st: Family<Path<'static>, Statistics> = Family::new();
    let g: Family<Route, Gauge> = Family::new();
    let states: Family<Path<'static>, StateSet> =
        Family::with_config(States::new(["idle", "busy"]).unwrap());
    registry.register(Opts::new("h", "H."), h.clone()).unwrap();
    registry.register(Opts::new("s", "S."), s.clone()).unwrap();
    registry
        .register(Opts::new("st", "St."), st.clone())
        .unwrap();
    registry.register(Opts::new("g", "G."), g.clone()).unwrap();
    registry
        .register(Opts::new("worker", "W."), states.clone())
        .unwrap();

    h.get(&Path("/x")).observe(1.5);
    s.get(&Path("/x")).observe(2.0);
    st.get(&Path("/x")).observe(-3.0);
    st.get(&Path("/x")).observe(4.0);
    g.labels(&["GET", "false"]).unwrap().set(-7);
    states.get(&Path("w1")).set("busy").unwrap();

    let v = |name: &str, labels: &[(&str, &str)]| registry.sample_value(name, labels);
    assert_eq!(v("h_bucket", &[("path", "/x"), ("le", "2")]), Some(1.0));
    assert_eq!(v("h_bucket", &[("path", "/x"), ("le", "1")]), Some(0.0));
    assert_eq!(v("s_count", &[("path", "/x")]), Some(1.0));
    assert_eq!(v("s_sum", &[("path", "/x")]), Some(2.0));
    assert_eq!(v("st_min", &[("path", "/x")]), Some(-3.0));
    assert_eq!(v("st_max", &[("path", "/x")]), Some(4.0));
    assert_eq!(v("g", &[("method", "GET"), ("ok", "false")]), Some(-7.0));
    assert_eq!(
        v("worker", &[("path", "w1"), ("worker", "busy")]),
        Some(1.0)
    );
    assert_eq!(
        v("worker", &[("path", "w1"), ("worker", "idle")]),
        Some(0.0)
    );
}

/// Families of the types that are not offered in bulk (summaries, statistics, state sets) are
/// read by the same one read per type as the others, whichever scrape it is: the first scrape,
/// the second and the ones after (when the registry reads from its plan) give equal values; the
/// overflow series and a child without observations come out right; a reset reports and then
/// clears exactly what was counted.
#[test]
fn every_type_reads_the_same_on_every_scrape_and_resets() {
    let registry = Registry::new();
    let s: Family<Path<'static>, Summary> = Family::new();
    let st: Family<Path<'static>, Statistics> = Family::new();
    let s = s.with_limit(1);
    registry.register(Opts::new("s", "S."), s.clone()).unwrap();
    registry
        .register(Opts::new("st", "St."), st.clone())
        .unwrap();
    s.get(&Path("/a")).observe(2.0);
    s.get(&Path("/b")).observe(5.0); // beyond the limit: the overflow series
    st.get(&Path("/a")).observe(-1.0);
    st.get(&Path("/a")).observe(3.0);
    st.get(&Path("/quiet"));
    let v = |name: &str, labels: &[(&str, &str)]| registry.sample_value(name, labels);
    let overflow = [("path", OVERFLOW_LABEL_VALUE)];
    let scrapes: Vec<Vec<Sample>> = (0..4).map(|_| registry.samples()).collect();
    assert!(scrapes.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(v("s_sum", &[("path", "/a")]), Some(2.0));
    assert_eq!(v("s_sum", &overflow), Some(5.0));
    assert_eq!(v("st_min", &[("path", "/a")]), Some(-1.0));
    assert_eq!(v("st_max", &[("path", "/a")]), Some(3.0));
    assert_eq!(v("st_count", &[("path", "/quiet")]), Some(0.0));
    assert_eq!(v("st_min", &[("path", "/quiet")]), None);

    let mut taken = coremeter::SampleList::new();
    registry.collect_and_reset(&mut taken).unwrap().commit();
    let taken = taken.into_samples();
    let in_taken = |name: &str, path: &str| {
        taken
            .iter()
            .find(|t| t.name == name && t.labels.iter().any(|(_, v)| v == path))
            .map(|t| t.value)
    };
    assert_eq!(in_taken("s_count", "/a"), Some(1.0));
    assert_eq!(in_taken("st_sum", "/a"), Some(2.0));
    assert_eq!(in_taken("st_max", "/a"), Some(3.0));
    st.get(&Path("/a")).observe(1.0);
    assert_eq!(v("s_count", &[("path", "/a")]), Some(0.0));
    assert_eq!(v("st_count", &[("path", "/a")]), Some(1.0));
    assert_eq!(v("st_min", &[("path", "/a")]), Some(1.0));
    assert_eq!(v("st_max", &[("path", "/a")]), Some(1.0));
}

const PER_THREAD: u64 = 200_000;

/// Writers update a dense family, a dynamic one, and insert new label sets into the dynamic one,
/// while this thread scrapes: every series is monotone across scrapes, no series appears twice,
/// and the final totals are exact.
#[test]
fn concurrent_updates_inserts_and_scrapes() {
    let registry = Registry::new();
    let dense: Family<Route, Counter> = Family::new();
    let dynamic: Family<Path<'static>, Counter> = Family::new().with_limit(100_000);
    registry
        .register(Opts::new("dense", "D."), dense.clone())
        .unwrap();
    registry
        .register(Opts::new("dynamic", "Y."), dynamic.clone())
        .unwrap();
    let paths: Vec<&'static str> = (0..64)
        .map(|i| &*Box::leak(format!("/p{i}").into_boxed_str()))
        .collect();
    let threads = 4;
    let done = AtomicBool::new(false);
    let mut last: HashMap<(String, Vec<(String, String)>), f64> = HashMap::new();
    let mut scrapes = 0;
    thread::scope(|s| {
        let writers: Vec<_> = (0..threads)
            .map(|t| {
                let (dense, dynamic, paths) = (&dense, &dynamic, &paths);
                s.spawn(move || {
                    for i in 0..PER_THREAD {
                        let route = Route {
                            method: [Method::Get, Method::Post, Method::Put, Method::Delete]
                                [(i % 4) as usize],
                            ok: i % 3 == 0,
                        };
                        dense.get(&route).inc();
                        // Each thread reaches new paths as it goes: inserts race with scrapes.
                        let path = paths[((i * 7 + t) % (4 + i / 3000).min(64)) as usize];
                        dynamic.get(&Path(path)).inc();
                    }
                })
            })
            .collect();
        let done = &done;
        s.spawn(move || {
            for w in writers {
                w.join().unwrap();
            }
            done.store(true, Ordering::Release);
        });
        // At least one scrape, however the writers are scheduled.
        loop {
            let finished = done.load(Ordering::Acquire);
            let mut seen = std::collections::HashSet::new();
            for sample in registry.samples() {
                let key = (sample.name.clone(), sample.labels.clone());
                assert!(
                    seen.insert(key.clone()),
                    "series twice in one scrape: {key:?}"
                );
                let before = last.insert(key.clone(), sample.value).unwrap_or(0.0);
                assert!(
                    sample.value >= before,
                    "{key:?} went from {before} to {}",
                    sample.value
                );
            }
            scrapes += 1;
            if finished {
                break;
            }
        }
    });
    assert!(scrapes > 0);
    let total = threads as f64 * PER_THREAD as f64;
    let sum = |name: &str| -> f64 { series(&registry, name).iter().map(|s| s.value).sum() };
    assert_eq!(sum("dense_total"), total);
    assert_eq!(sum("dynamic_total"), total);
    assert_eq!(dynamic.len(), 64);
}

#[test]
fn in_place_updates_reach_the_same_children() {
    let registry = Registry::new();
    let hits: Family<Path<'static>, Counter> = Family::new().with_limit(2);
    let sizes: Family<Path<'static>, Histogram> =
        Family::with_config(Buckets::new(&[10.0]).unwrap());
    let levels: Family<Route, Gauge> = Family::new();
    registry
        .register(Opts::new("hits", "H."), hits.clone())
        .unwrap();
    registry
        .register(Opts::new("sizes", "S."), sizes.clone())
        .unwrap();
    registry
        .register(Opts::new("levels", "L."), levels.clone())
        .unwrap();
    // Creates the child on first use, then updates it in place.
    hits.inc(&Path("/a"));
    hits.inc_by(&Path("/a"), 4);
    hits.inc(&Path("/b"));
    // Past the limit, in-place updates go to the overflow series too.
    hits.inc(&Path("/c"));
    assert_eq!(
        registry.sample_value("hits_total", &[("path", "/a")]),
        Some(5.0)
    );
    assert_eq!(
        registry.sample_value("hits_total", &[("path", OVERFLOW_LABEL_VALUE)]),
        Some(1.0)
    );
    // A handle from `get` and in-place updates share the child.
    let kept = hits.get(&Path("/a")).into_owned();
    hits.inc(&Path("/a"));
    assert_eq!(kept.get(), 6);
    sizes.observe(&Path("/x"), 3.0);
    sizes.observe(&Path("/x"), 30.0);
    assert_eq!(
        registry.sample_value("sizes_count", &[("path", "/x")]),
        Some(2.0)
    );
    let route = Route {
        method: Method::Delete,
        ok: false,
    };
    levels.set(&route, 9);
    levels.dec(&route);
    assert_eq!(levels.get(&route).get(), 8);
}

#[test]
fn info_families_put_the_pairs_after_the_labels() {
    let registry = Registry::builder()
        .const_label("region", "eu")
        .build()
        .unwrap();
    let builds: Family<Path<'static>, coremeter::Info> = Family::new();
    registry
        .register(Opts::new("build", "Builds."), builds.clone())
        .unwrap();
    builds
        .get(&Path("/svc"))
        .set(&[
            ("version", "1.2"),
            ("path", "ignored"),
            ("region", "ignored"),
        ])
        .unwrap();
    let all = series(&registry, "build_info");
    assert_eq!(all.len(), 1);
    assert_eq!(
        labels(&all[0]),
        [("region", "eu"), ("path", "/svc"), ("version", "1.2")]
    );
    assert_eq!(all[0].value, 1.0);
    // Removing the child forgets its pairs; a new child with the same labels starts empty.
    assert!(builds.remove(&Path("/svc")));
    assert!(builds.get(&Path("/svc")).get().is_empty());
}
