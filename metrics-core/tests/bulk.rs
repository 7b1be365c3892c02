//! Bulk reads (`Visitor::values`): the same values, in the same order, as the
//! series one by one, exemplars included; layouts that change exactly when a family's list of
//! series does.

use coremeter::{
    Counter, Descriptor, DynLabels, Family, FloatGauge, Histogram, LabelSet, LabelValue,
    LabelVisitor, Labels, Opts, Registry, SeriesListVersion, Value, Values, Visitor,
};

#[derive(Clone, Copy)]
enum Side {
    Left,
    Right,
}

impl LabelValue for Side {
    const VALUES: Option<&'static [&'static str]> = Some(&["left", "right"]);
    fn index(&self) -> usize {
        *self as usize
    }
}

struct BySide(Side);

impl LabelSet for BySide {
    const NAMES: &'static [&'static str] = &["side"];
    const VALUES: &'static [Option<&'static [&'static str]>] = &[Side::VALUES];
    fn visit<V: LabelVisitor>(&self, v: &mut V) {
        v.value(&self.0);
    }
}

/// Renders every value (with its exemplar) as text; takes bulk offers if `bulk`.
struct Flat {
    bulk: bool,
    lines: Vec<String>,
    layouts: Vec<(String, SeriesListVersion)>,
    family: String,
}

impl Flat {
    fn new(bulk: bool) -> Self {
        Flat {
            bulk,
            lines: Vec::new(),
            layouts: Vec::new(),
            family: String::new(),
        }
    }

    fn push(&mut self, value: &Value<'_>) {
        let text = match value {
            Value::Counter(c) => format!(
                "{:?} {:?}",
                c.value,
                c.exemplar
                    .map(|e| (e.labels().collect::<Vec<_>>(), e.value()))
            ),
            Value::Gauge(n) => format!("{n:?}"),
            Value::Histogram(h) => {
                let exemplars: Vec<_> = (0..=h.bounds().len())
                    .map(|b| h.exemplar(b).map(|e| e.value()))
                    .collect();
                format!("{:?} {} {exemplars:?}", h.counts(), h.sum())
            }
            other => format!("{other:?}"),
        };
        self.lines.push(format!("{} {text}", self.family));
    }
}

impl Visitor for Flat {
    fn family(&mut self, d: &Descriptor) {
        self.family = d.name().to_owned();
    }

    fn series(&mut self, _: &Labels<'_>, value: &Value<'_>) {
        self.push(value);
    }

    fn values(&mut self, values: &Values<'_>) -> bool {
        self.layouts.push((self.family.clone(), values.version()));
        if !self.bulk {
            return false;
        }
        let with: Vec<usize> = values.exemplar_series().collect();
        for i in 0..values.len() {
            if with.contains(&i) {
                values.with_exemplars(i, |v| self.push(v));
            } else {
                self.push(&values.value(i));
            }
        }
        true
    }
}

fn read(registry: &Registry, bulk: bool) -> Flat {
    let mut flat = Flat::new(bulk);
    registry.collect(&mut flat).expect("collects");
    flat
}

/// Registers `paths` (counters by path, at most `limit` series) and `sizes` (histograms by kind,
/// bounds 1 and 10) in `registry`.
fn paths_and_sizes(
    registry: &Registry,
    limit: usize,
) -> (Family<DynLabels, Counter>, Family<DynLabels, Histogram>) {
    let paths: Family<DynLabels, Counter> = Family::with_label_names(&["path"])
        .expect("valid")
        .with_limit(limit);
    let buckets = coremeter::Buckets::new(&[1.0, 10.0]).expect("valid");
    let sizes: Family<DynLabels, Histogram> =
        Family::with_label_names_and_config(&["kind"], buckets).expect("valid");
    registry
        .register(Opts::new("paths", "P."), paths.clone())
        .expect("ok");
    registry
        .register(Opts::new("sizes", "S."), sizes.clone())
        .expect("ok");
    (paths, sizes)
}

#[test]
fn bulk_values_equal_the_series_one_by_one() {
    let registry = Registry::new();
    let dense: Family<BySide, Counter> = Family::new();
    registry
        .register(Opts::new("dense", "D."), dense.clone())
        .expect("ok");
    let (paths, sizes) = paths_and_sizes(&registry, 3);
    let load: Family<DynLabels, FloatGauge> = Family::with_label_names(&["cpu"]).expect("valid");
    registry
        .register(Opts::new("load", "L."), load.clone())
        .expect("ok");
    dense.get(&BySide(Side::Right)).inc_by(7);
    for (i, p) in ["/a", "/b", "/c", "/d", "/e"].iter().enumerate() {
        paths.labels(&[p]).expect("one").inc_by(i as u64 + 1);
    }
    paths
        .labels(&["/b"])
        .expect("one")
        .inc_with_exemplar(&[("trace_id", "t1")])
        .expect("valid");
    sizes.labels(&["x"]).expect("one").observe(0.5);
    sizes
        .labels(&["y"])
        .expect("one")
        .observe_with_exemplar(5.0, &[("span", "s")])
        .expect("valid");
    load.labels(&["0"]).expect("one").set(-1.5);

    let one_by_one = read(&registry, false);
    let bulk = read(&registry, true);
    assert_eq!(bulk.lines, one_by_one.lines);
    // Every family of counters, gauges and histograms is offered, and the exemplars came
    // through `with_exemplars`.
    let offered: Vec<&str> = bulk.layouts.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(offered, ["dense", "paths", "sizes", "load"]);
    assert!(bulk.lines.iter().any(|l| l.contains("t1")));
    assert!(bulk.lines.iter().any(|l| l.contains("Some(5.0)")));
}

#[test]
fn layouts_change_exactly_when_the_series_do() {
    let registry = Registry::new();
    let dense: Family<BySide, Counter> = Family::new();
    let paths: Family<DynLabels, Counter> = Family::with_label_names(&["path"]).expect("valid");
    registry
        .register(Opts::new("dense", "D."), dense.clone())
        .expect("ok");
    registry
        .register(Opts::new("paths", "P."), paths.clone())
        .expect("ok");
    let layouts = || read(&registry, false).layouts;

    let first = layouts();
    // Updates do not change layouts.
    dense.get(&BySide(Side::Left)).inc();
    assert_eq!(layouts(), first);
    // A new series, a removed one, a cleared family do.
    paths.labels(&["/a"]).expect("one").inc();
    let second = layouts();
    assert_eq!(second[0], first[0], "a dense family never changes");
    assert_ne!(second[1], first[1]);
    paths.labels(&["/a"]).expect("one").inc();
    assert_eq!(layouts(), second);
    paths.labels(&["/b"]).expect("one").inc();
    let third = layouts();
    assert_ne!(third[1], second[1]);
    assert!(paths.remove_labels(&["/b"]).expect("one"));
    let fourth = layouts();
    assert_ne!(fourth[1], third[1]);
    assert_ne!(
        fourth[1], second[1],
        "same series as before, but never the same layout again"
    );
    paths.clear();
    assert_ne!(layouts()[1], fourth[1]);
}

/// Reads `registry` in bulk three times (the second makes the registry's read plan, the third
/// reads through it, see `docs/semantics.md`) and the long way once: all four agree.
fn check_reads(registry: &Registry, step: &str) {
    let long_way = read(registry, false);
    for i in 0..3 {
        let bulk = read(registry, true);
        assert_eq!(bulk.lines, long_way.lines, "{step}: bulk read {i}");
        assert_eq!(bulk.layouts, long_way.layouts, "{step}: bulk read {i}");
    }
}

#[test]
fn reads_through_the_read_plan_follow_every_change() {
    let registry = Registry::new();
    let (paths, sizes) = paths_and_sizes(&registry, 4);
    paths.labels(&["/a"]).expect("one").inc();
    sizes.labels(&["x"]).expect("one").observe(0.5);
    check_reads(&registry, "start");

    paths.labels(&["/a"]).expect("one").inc_by(5);
    sizes.labels(&["x"]).expect("one").observe(50.0);
    check_reads(&registry, "updates");
    assert_eq!(
        registry.sample_value("paths_total", &[("path", "/a")]),
        Some(6.0)
    );

    paths.labels(&["/b"]).expect("one").inc();
    check_reads(&registry, "a new series");
    assert_eq!(read(&registry, true).lines.len(), 3);

    let b = paths.labels(&["/b"]).expect("one");
    assert!(paths.remove_labels(&["/b"]).expect("one"));
    b.inc_by(100);
    check_reads(
        &registry,
        "a removed series, still updated through a handle",
    );
    assert_eq!(read(&registry, true).lines.len(), 2);

    paths
        .labels(&["/a"])
        .expect("one")
        .inc_with_exemplar(&[("trace_id", "t9")])
        .expect("valid");
    check_reads(&registry, "an exemplar");
    assert!(read(&registry, true).lines.iter().any(|l| l.contains("t9")));

    let late: Family<DynLabels, Counter> = Family::with_label_names(&["k"]).expect("valid");
    late.labels(&["v"]).expect("one").inc_by(2);
    registry
        .register(Opts::new("late", "L."), late.clone())
        .expect("ok");
    check_reads(&registry, "a registration");
    assert_eq!(
        registry.sample_value("late_total", &[("k", "v")]),
        Some(2.0)
    );

    assert!(registry.unregister("sizes"));
    check_reads(&registry, "an unregistration");
    assert!(
        !read(&registry, true)
            .lines
            .iter()
            .any(|l| l.starts_with("sizes"))
    );

    for p in ["/c", "/d", "/e", "/f", "/g"] {
        paths.labels(&[p]).expect("one").inc();
    }
    check_reads(&registry, "an overflow");
    paths.labels(&["/h"]).expect("one").inc();
    check_reads(&registry, "more label sets folded into the overflow");
    assert_eq!(
        registry.sample_value(
            "coremeter_family_overflow_label_sets",
            &[("family", "paths")]
        ),
        Some(3.0)
    );

    paths.clear();
    late.clear();
    check_reads(&registry, "cleared families");
    assert!(read(&registry, true).lines.is_empty());
}
