//! The encoder's prefix cache and bulk reads never change what is rendered: after any sequence
//! of updates, label sets added and removed, families registered and unregistered, filtered,
//! reset-on-read and gzipped scrapes, of one registry or another, an encoder that has rendered
//! before (warm) writes exactly what a new encoder (cold) writes.

use std::io::Read as _;
use std::sync::{Arc, Mutex};

use coremeter::{
    Collector, Counter, DynLabels, Family, FloatGauge, GaugeMetricFamily, Histogram, Info,
    LabelSet, LabelValue, LabelVisitor, MetricFamily, Opts, Registry,
};
use coremeter_encode::{Encoder, Format, Scrape};
use proptest::prelude::*;

#[derive(Clone, Copy, Debug)]
enum Color {
    Red,
    Green,
    Blue,
}

impl LabelValue for Color {
    const VALUES: Option<&'static [&'static str]> = Some(&["red", "green", "blue"]);
    fn index(&self) -> usize {
        *self as usize
    }
}

struct ByColor(Color, bool);

impl LabelSet for ByColor {
    const NAMES: &'static [&'static str] = &["color", "ok"];
    const VALUES: &'static [Option<&'static [&'static str]>] = &[Color::VALUES, bool::VALUES];
    fn visit<V: LabelVisitor>(&self, v: &mut V) {
        v.value(&self.0);
        v.value(&self.1);
    }
}

/// A collector whose families change between scrapes.
struct Changing(Arc<Mutex<Vec<(String, f64)>>>);

impl Collector for Changing {
    fn collect(&self) -> Vec<MetricFamily> {
        let mut f = GaugeMetricFamily::new("changing", "Changes.", &["k"]).expect("valid");
        for (k, v) in self.0.lock().expect("lock").iter() {
            f.add_metric(&[k], *v).expect("one value");
        }
        vec![f.into()]
    }
}

/// One registry and handles to what is in it.
struct World {
    registry: Registry,
    dense: Family<ByColor, Counter>,
    paths: Family<DynLabels, Counter>,
    latency: Family<DynLabels, Histogram>,
    load: Family<DynLabels, FloatGauge>,
    info: Family<DynLabels, Info>,
    changing: Arc<Mutex<Vec<(String, f64)>>>,
    extra: Vec<String>,
}

const PATHS: [&str; 6] = ["/a", "/b", "/c\"q", "/d\\e", "/f\ng", "/ü"];

fn world(name: &str) -> World {
    let registry = Registry::builder()
        .const_label("world", name)
        .build()
        .expect("valid");
    let dense: Family<ByColor, Counter> = Family::new();
    let paths: Family<DynLabels, Counter> = Family::with_label_names(&["path"])
        .expect("valid")
        .with_limit(4);
    let latency: Family<DynLabels, Histogram> = Family::with_label_names(&["path"]).expect("valid");
    let load: Family<DynLabels, FloatGauge> = Family::with_label_names(&["cpu"]).expect("valid");
    let info: Family<DynLabels, Info> = Family::with_label_names(&["part"]).expect("valid");
    registry
        .register(Opts::new("dense", "Dense."), dense.clone())
        .expect("register");
    registry
        .register(Opts::new("paths", "Paths."), paths.clone())
        .expect("register");
    registry
        .register(
            Opts::new("latency", "Latency.").unit("seconds"),
            latency.clone(),
        )
        .expect("register");
    registry
        .register(Opts::new("load", "Load."), load.clone())
        .expect("register");
    registry
        .register(Opts::new("parts", "Parts."), info.clone())
        .expect("register");
    let changing = Arc::new(Mutex::new(Vec::new()));
    registry
        .register_collector(Changing(Arc::clone(&changing)))
        .expect("register");
    World {
        registry,
        dense,
        paths,
        latency,
        load,
        info,
        changing,
        extra: Vec::new(),
    }
}

#[derive(Clone, Debug)]
enum Op {
    Dense(usize, bool, u64),
    Path(usize, u64),
    PathExemplar(usize),
    RemovePath(usize),
    ClearPaths,
    Observe(usize, f64),
    ObserveExemplar(usize, f64),
    RemoveLatency(usize),
    Load(usize, f64),
    RemoveLoad(usize),
    Info(usize, u8),
    Changing(Vec<(u8, i8)>),
    Register(u8),
    Unregister(u8),
    Scrape {
        world: usize,
        om: bool,
        filter: bool,
        reset: bool,
        gzip: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let path = 0..PATHS.len();
    prop_oneof![
        (0..3usize, any::<bool>(), 0..1000u64).prop_map(|(c, ok, v)| Op::Dense(c, ok, v)),
        (path.clone(), 0..1000u64).prop_map(|(p, v)| Op::Path(p, v)),
        path.clone().prop_map(Op::PathExemplar),
        path.clone().prop_map(Op::RemovePath),
        Just(Op::ClearPaths),
        (path.clone(), -5.0..50.0f64).prop_map(|(p, v)| Op::Observe(p, v)),
        (path.clone(), 0.0..5.0f64).prop_map(|(p, v)| Op::ObserveExemplar(p, v)),
        path.clone().prop_map(Op::RemoveLatency),
        (0..4usize, -1e3..1e3f64).prop_map(|(c, v)| Op::Load(c, v)),
        (0..4usize).prop_map(Op::RemoveLoad),
        (0..3usize, any::<u8>()).prop_map(|(p, v)| Op::Info(p, v)),
        prop::collection::vec((0..4u8, any::<i8>()), 0..4).prop_map(Op::Changing),
        (0..4u8).prop_map(Op::Register),
        (0..4u8).prop_map(Op::Unregister),
        (
            0..2usize,
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(|(world, om, filter, reset, gzip)| Op::Scrape {
                world,
                om,
                filter,
                reset,
                gzip
            }),
    ]
}

fn apply(w: &mut World, op: &Op) {
    match *op {
        Op::Dense(c, ok, v) => {
            let color = [Color::Red, Color::Green, Color::Blue][c];
            w.dense.get(&ByColor(color, ok)).inc_by(v);
        }
        Op::Path(p, v) => w.paths.labels(&[PATHS[p]]).expect("one").inc_by(v),
        Op::PathExemplar(p) => {
            let child = w.paths.labels(&[PATHS[p]]).expect("one");
            child
                .inc_with_exemplar(&[("trace_id", "abc")])
                .expect("valid");
        }
        Op::RemovePath(p) => {
            w.paths.remove_labels(&[PATHS[p]]).expect("one");
        }
        Op::ClearPaths => w.paths.clear(),
        Op::Observe(p, v) => w.latency.labels(&[PATHS[p]]).expect("one").observe(v),
        Op::ObserveExemplar(p, v) => {
            w.latency
                .labels(&[PATHS[p]])
                .expect("one")
                .observe_with_exemplar(v, &[("span", "s1")])
                .expect("valid");
        }
        Op::RemoveLatency(p) => {
            w.latency.remove_labels(&[PATHS[p]]).expect("one");
        }
        Op::Load(c, v) => w.load.labels(&[&c.to_string()]).expect("one").set(v),
        Op::RemoveLoad(c) => {
            w.load.remove_labels(&[&c.to_string()]).expect("one");
        }
        Op::Info(p, v) => {
            let part = ["engine", "wheel", "door"][p];
            w.info
                .labels(&[part])
                .expect("one")
                .set(&[("version", &v.to_string())])
                .expect("valid");
        }
        Op::Changing(ref pairs) => {
            *w.changing.lock().expect("lock") = pairs
                .iter()
                .map(|&(k, v)| (format!("k{k}"), f64::from(v)))
                .collect();
            // A collector may repeat a label set; keep it well-formed.
            w.changing.lock().expect("lock").dedup_by(|a, b| a.0 == b.0);
        }
        Op::Register(n) => {
            let name = format!("extra_{n}");
            if !w.extra.contains(&name) {
                let c = Counter::new();
                c.inc_by(u64::from(n) + 1);
                w.registry
                    .register(Opts::new(name.clone(), "Extra."), c)
                    .expect("register");
                w.extra.push(name);
            }
        }
        Op::Unregister(n) => {
            let name = format!("extra_{n}");
            if w.registry.unregister(&name) {
                w.extra.retain(|e| *e != name);
            }
        }
        Op::Scrape { .. } => {}
    }
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("valid gzip");
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_warm_encoder_renders_what_a_cold_one_does(ops in prop::collection::vec(op(), 1..60)) {
        let mut worlds = [world("one"), world("two")];
        let mut warm = Encoder::new();
        for op in &ops {
            if let Op::Scrape { world, om, filter, reset, gzip } = *op {
                let format = if om { Format::OpenMetrics } else { Format::Text };
                let mut scrape = Scrape::new(format).reset(reset).gzip(gzip);
                if filter {
                    // A reset scrape may name whole families only.
                    let latency = if reset { "latency_seconds" } else { "latency_seconds_bucket" };
                    scrape = scrape.names(["paths_total", latency, "extra_1"]);
                }
                let registry = &worlds[world].registry;
                // What a cold encoder writes now (a reset scrape reports the same values).
                let cold = Encoder::new()
                    .render(registry, &scrape.clone().reset(false).gzip(false))
                    .expect("renders")
                    .to_vec();
                let got = warm.render(registry, &scrape).expect("renders").to_vec();
                let got = if gzip { gunzip(&got) } else { got };
                prop_assert_eq!(
                    String::from_utf8_lossy(&got),
                    String::from_utf8_lossy(&cold),
                    "{:?}",
                    op
                );
            } else {
                apply(&mut worlds[0], op);
                apply(&mut worlds[1], op);
            }
        }
    }
}
