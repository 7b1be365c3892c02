//! After the first scrape, a scrape allocates nothing per series: the number of heap
//! allocations of a render is the same for 100 series as for 100,000, and small. Counted with a
//! counting global allocator, per thread (the harness's threads do not interfere).

use coremeter::{
    Counter, DynLabels, Family, FloatGauge, Histogram, Info, LabelSet, LabelValue, LabelVisitor,
    Opts, Registry, StateSet, Statistics,
};
use coremeter_encode::{Encoder, Format, Scrape};

#[path = "../../metrics-core/tests/support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations;

#[derive(Clone, Copy)]
enum Code {
    Ok,
    NotFound,
    Error,
}

impl LabelValue for Code {
    const VALUES: Option<&'static [&'static str]> = Some(&["200", "404", "500"]);
    fn index(&self) -> usize {
        *self as usize
    }
}

struct ByCode(Code);

impl LabelSet for ByCode {
    const NAMES: &'static [&'static str] = &["code"];
    const VALUES: &'static [Option<&'static [&'static str]>] = &[Code::VALUES];
    fn visit<V: LabelVisitor>(&self, v: &mut V) {
        v.value(&self.0);
    }
}

/// `groups` times: a dynamic counter family of 10 series, a dense counter family of 3, a
/// histogram family of 10, a statistics family of 10, a float gauge, an info, a state set.
fn registry(groups: usize) -> Registry {
    let registry = Registry::builder()
        .const_label("env", "test")
        .target_label("service", "bench")
        .build()
        .expect("valid");
    for g in 0..groups {
        let requests: Family<DynLabels, Counter> =
            Family::with_label_names(&["path"]).expect("valid");
        let codes: Family<ByCode, Counter> = Family::new();
        let latency: Family<DynLabels, Histogram> =
            Family::with_label_names(&["path"]).expect("valid");
        let sizes: Family<DynLabels, Statistics> =
            Family::with_label_names(&["path"]).expect("valid");
        for i in 0..10 {
            let path = format!("/api/v1/resource_{i}");
            requests.labels(&[&path]).expect("one").inc_by(i);
            latency
                .labels(&[&path])
                .expect("one")
                .observe(i as f64 / 10.0);
            sizes.labels(&[&path]).expect("one").observe(i as f64);
        }
        codes.get(&ByCode(Code::NotFound)).inc();
        codes.get(&ByCode(Code::Ok)).inc();
        codes.get(&ByCode(Code::Error)).inc();
        let gauge = FloatGauge::new();
        gauge.set(g as f64 * 0.5);
        let info = Info::new(&[("version", "1.0")]).expect("valid");
        let state = StateSet::new(["up", "down"]).expect("valid");
        let add = |name: String, help: &'static str, unit: Option<&'static str>| {
            let opts = Opts::new(name, help);
            match unit {
                Some(u) => opts.unit(u),
                None => opts,
            }
        };
        registry
            .register(add(format!("requests_{g}"), "Requests.", None), requests)
            .expect("register");
        registry
            .register(add(format!("codes_{g}"), "Codes.", None), codes)
            .expect("register");
        registry
            .register(
                add(format!("latency_{g}"), "Latency.", Some("seconds")),
                latency,
            )
            .expect("register");
        registry
            .register(add(format!("sizes_{g}"), "Sizes.", None), sizes)
            .expect("register");
        registry
            .register(add(format!("load_{g}"), "Load.", None), gauge)
            .expect("register");
        registry
            .register(add(format!("build_{g}"), "Build.", None), info)
            .expect("register");
        registry
            .register(add(format!("state_{g}"), "State.", None), state)
            .expect("register");
    }
    registry
}

/// Allocations of one render after two warm-up renders with the same encoder.
fn allocations_per_render(registry: &Registry, scrape: &Scrape) -> usize {
    let mut encoder = Encoder::new();
    for _ in 0..2 {
        let _ = encoder.render(registry, scrape).expect("renders");
    }
    let before = allocations();
    let bytes = encoder.render(registry, scrape).expect("renders").len();
    let after = allocations();
    assert!(bytes > 0);
    after - before
}

#[test]
fn a_warm_render_allocates_nothing_per_series() {
    let small = registry(2);
    let large = registry(2_000);
    let scrapes = [
        Scrape::new(Format::Text),
        Scrape::new(Format::OpenMetrics),
        Scrape::new(Format::Text).names(["requests_1", "latency_1_bucket", "sizes_0_min"]),
        Scrape::new(Format::Text).reset(true),
        Scrape::new(Format::OpenMetrics).gzip(true),
    ];
    for scrape in &scrapes {
        let few = allocations_per_render(&small, scrape);
        let many = allocations_per_render(&large, scrape);
        eprintln!("{scrape:?}: {few} allocations for 72 series, {many} for 72,000");
        assert_eq!(few, many, "{scrape:?}: allocations grow with the series");
        let bound = if scrape.content_encoding().is_some() {
            16
        } else {
            4
        };
        assert!(many <= bound, "{scrape:?}: {many} allocations per render");
    }
}
