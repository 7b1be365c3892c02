//! Arbitrary names, label names and values, HELP texts, units, constant labels and values
//! through a registry and both encoders: registration and label errors are fine, a panic is
//! not, and whatever is rendered parses strictly, with the values that were set; a warm
//! encoder writes what a cold one does.

#![no_main]

#[path = "../../metrics-encode/tests/parser/mod.rs"]
mod parser;

use std::collections::HashMap;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use coremeter::{
    Collector, DynLabels, Family, ChildMetric, FloatGauge, GaugeMetricFamily, Histogram, Info,
    MetricFamily, Opts, Registry, Statistics,
};
use coremeter_encode::{Encoder, Format};

#[derive(Arbitrary, Debug)]
struct Input {
    prefix: Option<String>,
    const_label: Option<(String, String)>,
    target_label: Option<(String, String)>,
    name: String,
    help: String,
    unit: Option<String>,
    kind: u8,
    label_names: Vec<String>,
    series: Vec<(Vec<String>, f64)>,
    collector: Option<(String, String, Vec<(String, f64)>)>,
}

/// A custom collector with arbitrary names and values.
struct Custom(String, String, Vec<(String, f64)>);

impl Collector for Custom {
    fn collect(&self) -> Vec<MetricFamily> {
        let Ok(mut family) = GaugeMetricFamily::new(self.0.clone(), self.1.clone(), &["k"]) else {
            return Vec::new();
        };
        let mut seen = Vec::new();
        for (k, v) in &self.2 {
            if !seen.contains(k) {
                seen.push(k.clone());
                let _ = family.add_metric(&[k], *v);
            }
        }
        vec![family.into()]
    }
}

fn check(registry: &Registry, expected: &HashMap<Vec<String>, f64>, gauge: Option<&str>) {
    let mut warm = Encoder::new();
    for format in [Format::Text, Format::OpenMetrics] {
        let first = warm.encode(registry, format).expect("renders").to_vec();
        let again = warm.encode(registry, format).expect("renders").to_vec();
        assert_eq!(first, again, "a warm encoder differs");
        let text = std::str::from_utf8(&first).expect("utf-8");
        let families = parser::parse(text, format)
            .unwrap_or_else(|e| panic!("{format} does not parse: {e}\n{text}"));
        let Some(name) = gauge else { continue };
        let family = families
            .iter()
            .find(|f| f.name == name)
            .expect("the gauge family");
        assert_eq!(family.samples.len(), expected.len());
        for s in &family.samples {
            let values: Vec<String> = s.labels.iter().map(|(_, v)| v.clone()).collect();
            let want = expected[&values];
            assert!(
                want.to_bits() == s.value.to_bits() || (want.is_nan() && s.value.is_nan()),
                "{values:?}: set {want}, parsed {}",
                s.value
            );
        }
    }
}

/// Registers a family of `M` with label `names` under `opts` and applies `update` to the child
/// of each series' label values; false if the family or its registration was refused.
fn populate<M: ChildMetric>(
    registry: &Registry,
    opts: Opts,
    names: &[&str],
    series: &[(Vec<String>, f64)],
    mut update: impl FnMut(&M, &[&str], f64),
) -> bool
where
    M::Config: Default,
{
    let Ok(family) = Family::<DynLabels, M>::with_label_names(names) else {
        return false;
    };
    if registry.register(opts, family.clone()).is_err() {
        return false;
    }
    for (values, v) in series {
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        if let Ok(child) = family.labels(&values) {
            update(&child, &values, *v);
        }
    }
    true
}

fuzz_target!(|input: Input| {
    let mut builder = Registry::builder();
    if let Some(prefix) = &input.prefix {
        builder = builder.prefix(prefix.clone());
    }
    if let Some((n, v)) = &input.const_label {
        builder = builder.const_label(n.clone(), v.clone());
    }
    if let Some((n, v)) = &input.target_label {
        builder = builder.target_label(n.clone(), v.clone());
    }
    let Ok(registry) = builder.build() else {
        return;
    };
    let names: Vec<&str> = input.label_names.iter().take(4).map(String::as_str).collect();
    let mut opts = Opts::new(input.name.clone(), input.help.clone());
    if let Some(unit) = &input.unit {
        opts = opts.unit(unit.clone());
    }
    let series = &input.series[..input.series.len().min(16)];
    let mut expected: HashMap<Vec<String>, f64> = HashMap::new();
    let registered = match input.kind % 4 {
        0 => populate::<FloatGauge>(&registry, opts, &names, series, |g, values, v| {
            g.set(v);
            expected.insert(values.iter().map(|s| (*s).to_owned()).collect(), v);
        }),
        1 => populate::<Histogram>(&registry, opts, &names, series, |h, _, v| h.observe(v)),
        2 => populate::<Statistics>(&registry, opts, &names, series, |s, _, v| s.observe(v)),
        _ => populate::<Info>(&registry, opts, &names, series, |info, values, _| {
            if let Some(first) = values.first() {
                let _ = info.set(&[("detail", first)]);
            }
        }),
    };
    if !registered {
        return;
    }
    let gauge_name = (input.kind % 4 == 0)
        .then(|| registry.samples().into_iter().map(|s| s.name).find(|n| !n.starts_with("target")))
        .flatten();
    if let Some((name, help, series)) = input.collector {
        let _ = registry.register_collector(Custom(name, help, series));
    }
    // The gauge family's samples are checked when the registry has no constant label that
    // would appear among them under another name.
    let check_gauge = gauge_name.filter(|_| input.const_label.is_none());
    check(&registry, &expected, check_gauge.as_deref());
});
