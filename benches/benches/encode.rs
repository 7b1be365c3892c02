//! Scrape cost: rendering 10,000 counter series (1,000 families x 10 values of a `path` label)
//! and 10,000 histogram series (1,000 histograms x 10 label sets, 11 buckets) into text, by
//! every library, each into a buffer it reuses where its API allows. coremeter renders text
//! 0.0.4 and OpenMetrics; prometheus-client only has an OpenMetrics text encoder, so it appears
//! in both groups with the same output.
//!
//! Per-series cost = the time of one iteration / 10,000.

use std::hint::black_box;
use std::time::Duration;

use coremeter::{Buckets, Counter, Family, Histogram, Opts, Registry};
use coremeter_benches::measured_path::{MPath, MPathSet};
use coremeter_benches::path::{ByPath, PcPath, values};
use coremeter_benches::{BUCKETS_11, counter_value};
use coremeter_encode::{Encoder, Format};
use criterion::measurement::WallTime;
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main,
};

const FAMILIES: usize = 1_000;
const SERIES: u64 = 10_000;

fn observation(f: usize, i: usize) -> f64 {
    ((f * 31 + i * 17) % 1000) as f64 / 100.0
}

fn group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(SERIES));
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(4));
    g
}

/// A visitor that only adds up the values, read in bulk as the encoder reads them: the cost of
/// reading the registry.
struct NoOp(u64);

impl coremeter::Visitor for NoOp {
    fn family(&mut self, _: &coremeter::Descriptor) {}
    fn series(&mut self, _: &coremeter::Labels<'_>, value: &coremeter::Value<'_>) {
        if let coremeter::Value::Counter(c) = value {
            self.0 = self.0.wrapping_add(c.value.as_f64() as u64);
        }
    }
    fn values(&mut self, values: &coremeter::Values<'_>) -> bool {
        for &w in values.words() {
            self.0 = self.0.wrapping_add(w);
        }
        true
    }
}

/// The sample lines of `text` split into prefixes (up to the value) and integer values: the
/// input of the floor row, which does only what no text encoder can avoid.
fn floor_input(text: &[u8]) -> (Vec<u8>, Vec<usize>, Vec<u64>) {
    let (mut prefixes, mut ends, mut values) = (Vec::new(), vec![0], Vec::new());
    for line in text.split(|&b| b == b'\n') {
        if line.is_empty() || line[0] == b'#' {
            continue;
        }
        let space = line.iter().rposition(|&b| b == b' ').expect("a value");
        prefixes.extend_from_slice(&line[..=space]);
        ends.push(prefixes.len());
        let value = std::str::from_utf8(&line[space + 1..]).expect("ascii");
        values.push(value.parse().expect("an integer"));
    }
    assert_eq!(values.len() as u64, SERIES);
    (prefixes, ends, values)
}

/// Every library's registry (measured has none: its families, by name), filled.
struct Libs<M> {
    ours: Registry,
    /// Changes the value of every series of `ours` (the setup of the rows where every value
    /// changed since the previous render).
    touch: Box<dyn Fn()>,
    pc: prometheus_client::registry::Registry,
    prom: prometheus::Registry,
    metrics: metrics_exporter_prometheus::PrometheusHandle,
    measured: Vec<(String, M)>,
}

/// Every library's counters, registered and counted.
fn counters() -> Libs<measured::CounterVec<MPathSet>> {
    let paths = values(10);
    let ours = Registry::new();
    let mut pc = prometheus_client::registry::Registry::default();
    let prom = prometheus::Registry::new();
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let metrics = recorder.handle();
    let mut measured = Vec::with_capacity(FAMILIES);
    let mut ours_families = Vec::with_capacity(FAMILIES);
    for f in 0..FAMILIES {
        let name = format!("requests_{f}");
        let family: Family<ByPath, Counter> = Family::new();
        ours_families.push(family.clone());
        ours.register(Opts::new(name.clone(), "Requests served."), family.clone())
            .expect("register");
        let pc_family = prometheus_client::metrics::family::Family::<
            PcPath,
            prometheus_client::metrics::counter::Counter,
        >::default();
        pc.register(name.clone(), "Requests served.", pc_family.clone());
        let prom_vec = prometheus::IntCounterVec::new(
            prometheus::Opts::new(format!("{name}_total"), "Requests served."),
            &["path"],
        )
        .expect("valid");
        prom.register(Box::new(prom_vec.clone())).expect("register");
        let m = measured::CounterVec::with_label_set(MPathSet {
            path: measured::lasso::ThreadedRodeo::new(),
        });
        for (i, path) in paths.iter().enumerate() {
            let v = counter_value(f, i);
            family.get(&ByPath(path)).inc_by(v);
            pc_family.get_or_create(&PcPath { path }).inc_by(v);
            prom_vec.with_label_values(&[*path]).inc_by(v);
            metrics::with_local_recorder(&recorder, || {
                metrics::counter!(format!("{name}_total"), "path" => *path).increment(v);
            });
            m.inc_by(MPath { path }, v);
        }
        measured.push((format!("{name}_total"), m));
    }
    metrics::with_local_recorder(&recorder, || {
        metrics::describe_counter!("requests_0_total", "Requests served.");
    });
    let touch = Box::new(move || {
        for family in &ours_families {
            for path in &paths {
                family.get(&ByPath(path)).inc();
            }
        }
    });
    Libs {
        ours,
        touch,
        pc,
        prom,
        metrics,
        measured,
    }
}

/// Every library's histograms, registered and observed.
fn histograms() -> Libs<measured::HistogramVec<MPathSet, 11>> {
    let paths = values(10);
    let buckets = Buckets::new(&BUCKETS_11).expect("valid");
    let ours = Registry::new();
    let mut pc = prometheus_client::registry::Registry::default();
    let prom = prometheus::Registry::new();
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(&BUCKETS_11)
        .expect("valid")
        .build_recorder();
    let metrics = recorder.handle();
    let mut measured = Vec::with_capacity(FAMILIES);
    let mut ours_families = Vec::with_capacity(FAMILIES);
    for f in 0..FAMILIES {
        let name = format!("latency_{f}");
        let family: Family<ByPath, Histogram> = Family::with_config(buckets);
        ours_families.push(family.clone());
        ours.register(Opts::new(name.clone(), "Request latency."), family.clone())
            .expect("register");
        let pc_family = prometheus_client::metrics::family::Family::<
            PcPath,
            prometheus_client::metrics::histogram::Histogram,
        >::new_with_constructor(|| {
            prometheus_client::metrics::histogram::Histogram::new(BUCKETS_11)
        });
        pc.register(name.clone(), "Request latency.", pc_family.clone());
        let prom_vec = prometheus::HistogramVec::new(
            prometheus::HistogramOpts::new(name.clone(), "Request latency.")
                .buckets(BUCKETS_11.to_vec()),
            &["path"],
        )
        .expect("valid");
        prom.register(Box::new(prom_vec.clone())).expect("register");
        let m = measured::HistogramVec::with_label_set_and_metadata(
            MPathSet {
                path: measured::lasso::ThreadedRodeo::new(),
            },
            measured::metric::histogram::Thresholds::with_buckets(BUCKETS_11),
        );
        for (i, path) in paths.iter().enumerate() {
            for k in 0..5 {
                let v = observation(f, i + k);
                family.get(&ByPath(path)).observe(v);
                pc_family.get_or_create(&PcPath { path }).observe(v);
                prom_vec.with_label_values(&[*path]).observe(v);
                metrics::with_local_recorder(&recorder, || {
                    metrics::histogram!(name.clone(), "path" => *path).record(v);
                });
                m.observe(MPath { path }, v);
            }
        }
        measured.push((name, m));
    }
    let touch = Box::new(move || {
        for family in &ours_families {
            for path in &paths {
                family.get(&ByPath(path)).observe(0.5);
            }
        }
    });
    Libs {
        ours,
        touch,
        pc,
        prom,
        metrics,
        measured,
    }
}

/// measured: one reused encoder, HELP and family per metric vec.
fn measured_render<M>(
    encoder: &mut measured::text::BufferedTextEncoder,
    families: &[(String, M)],
) -> usize
where
    M: measured::metric::MetricFamilyEncoding<measured::text::BufferedTextEncoder>,
{
    use measured::metric::group::Encoding;
    use measured::metric::name::MetricName;
    for (name, family) in families {
        let name = MetricName::try_from_str(name).expect("valid name");
        encoder.write_help(name, "help").expect("infallible");
        family
            .collect_family_into(name, encoder)
            .expect("infallible");
    }
    encoder.finish().len()
}

/// Our two rows in `format`: values that did not change since the previous render (as in
/// every row of the peers), then every value changed, so that no family's text can be reused.
fn ours<M>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    encoder: &mut Encoder,
    lib: &Libs<M>,
    format: Format,
    name: &str,
) {
    g.bench_function(name, |b| {
        b.iter(|| black_box(encoder.encode(&lib.ours, format).expect("renders").len()))
    });
    g.bench_function(format!("{name}, every value changed"), |b| {
        b.iter_batched(
            || (lib.touch)(),
            |()| black_box(encoder.encode(&lib.ours, format).expect("renders").len()),
            BatchSize::PerIteration,
        )
    });
}

/// The text groups of `lib` (`what` names the series): every library in 0.0.4 (or
/// prometheus-client's OpenMetrics), with `extra` rows of its own; then OpenMetrics, the two
/// libraries that write it.
fn run<M>(
    c: &mut Criterion,
    what: &str,
    lib: &Libs<M>,
    extra: impl FnOnce(&mut BenchmarkGroup<'_, WallTime>, &mut Encoder),
) where
    M: measured::metric::MetricFamilyEncoding<measured::text::BufferedTextEncoder>,
{
    let mut g = group(c, &format!("encode/{what}/text"));
    let mut encoder = Encoder::new();
    ours(&mut g, &mut encoder, lib, Format::Text, "coremeter (0.0.4)");
    extra(&mut g, &mut encoder);
    let mut s = String::new();
    let pc = |s: &mut String| {
        s.clear();
        prometheus_client::encoding::text::encode(s, &lib.pc).expect("encode");
        black_box(s.len())
    };
    g.bench_function("prometheus-client (OpenMetrics)", |b| b.iter(|| pc(&mut s)));
    let mut buf = Vec::new();
    g.bench_function("prometheus (0.0.4)", |b| {
        b.iter(|| {
            use prometheus::Encoder as _;
            buf.clear();
            prometheus::TextEncoder::new()
                .encode(&lib.prom.gather(), &mut buf)
                .expect("encode");
            black_box(buf.len())
        })
    });
    g.bench_function("metrics (0.0.4)", |b| {
        b.iter(|| {
            buf.clear();
            lib.metrics.render_to_write(&mut buf).expect("render");
            black_box(buf.len())
        })
    });
    let mut enc = measured::text::BufferedTextEncoder::new();
    g.bench_function("measured (0.0.4)", |b| {
        b.iter(|| black_box(measured_render(&mut enc, &lib.measured)))
    });
    g.finish();

    let mut g = group(c, &format!("encode/{what}/openmetrics"));
    ours(&mut g, &mut encoder, lib, Format::OpenMetrics, "coremeter");
    g.bench_function("prometheus-client", |b| b.iter(|| pc(&mut s)));
    g.finish();

    // The protobuf exposition against our own text 0.0.4 in the same group, and the one peer
    // that writes it (prometheus-client's protobuf is OpenMetrics', which Prometheus does not
    // scrape).
    let mut g = group(c, &format!("encode/{what}/protobuf"));
    ours(
        &mut g,
        &mut encoder,
        lib,
        Format::Protobuf,
        "coremeter protobuf",
    );
    ours(
        &mut g,
        &mut encoder,
        lib,
        Format::Text,
        "coremeter text 0.0.4",
    );
    g.bench_function("prometheus protobuf", |b| {
        b.iter(|| {
            use prometheus::Encoder as _;
            buf.clear();
            prometheus::ProtobufEncoder::new()
                .encode(&lib.prom.gather(), &mut buf)
                .expect("encode");
            black_box(buf.len())
        })
    });
    g.finish();
}

fn counter_series(c: &mut Criterion) {
    let lib = counters();
    run(c, "10k_counter_series", &lib, |g, encoder| {
        g.bench_function("coremeter collect only (no rendering)", |b| {
            b.iter(|| {
                let mut v = NoOp(0);
                lib.ours.collect(&mut v).expect("collects");
                black_box(v.0)
            })
        });
        let (prefixes, ends, values) =
            floor_input(encoder.encode(&lib.ours, Format::Text).expect("renders"));
        let mut out = Vec::new();
        g.bench_function(
            "floor: copy each line's prefix, format a ready value",
            |b| {
                b.iter(|| {
                    out.clear();
                    for (i, &v) in values.iter().enumerate() {
                        out.extend_from_slice(&prefixes[ends[i]..ends[i + 1]]);
                        out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
                        out.push(b'\n');
                    }
                    black_box(out.len())
                })
            },
        );
    });
}

fn histogram_series(c: &mut Criterion) {
    let lib = histograms();
    run(c, "10k_histogram_series", &lib, |_, _| {});
}

criterion_group!(benches, counter_series, histogram_series);
criterion_main!(benches);
