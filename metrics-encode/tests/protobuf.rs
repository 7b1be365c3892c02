//! The protobuf exposition carries exactly what the text formats carry: the registry of every
//! metric type (`common::everything`), decoded with the messages generated from
//! `proto/metrics.proto` and expanded into samples the way Prometheus expands them, equals its
//! text 0.0.4 rendering family by family, sample by sample (names, labels, values to the bit,
//! HELP, types), and carries the exemplars its OpenMetrics rendering carries. Then the scrape
//! options: the name filter, reset-on-read, gzip, and content negotiation.

mod common;
mod parser;

use std::io::Read as _;

use coremeter::{Counter, Opts, Registry};
use coremeter_encode::{Encoder, Format, RenderError, Scrape, render};
use parser::{Family, Pairs, Sample, parse};
use prost::Message as _;

/// The messages, generated into the crate; included here to decode what it writes.
#[allow(missing_docs, unreachable_pub, dead_code, clippy::all)]
mod messages {
    include!("../src/protobuf/messages.rs");
}

/// What Prometheus' parser accepts as a scrape: length-delimited `MetricFamily` messages to the
/// last byte.
fn decode(mut bytes: &[u8]) -> Vec<messages::MetricFamily> {
    let mut families = Vec::new();
    while !bytes.is_empty() {
        let family = messages::MetricFamily::decode_length_delimited(&mut bytes)
            .expect("a length-delimited MetricFamily");
        families.push(family);
    }
    families
}

/// An `le` label as a number, so that `1.0` (text) and `1` (a float formatted by Rust) compare
/// equal, and `+Inf` too.
fn normalize(labels: &Pairs) -> Pairs {
    let mut labels = labels.clone();
    for (name, value) in &mut labels {
        if name == "le" {
            let v: f64 = value.replace("+Inf", "inf").parse().expect("a bound");
            *value = format!("{v:?}");
        }
    }
    labels
}

fn pairs(labels: &[messages::LabelPair]) -> Pairs {
    labels
        .iter()
        .map(|p| (p.name().to_owned(), p.value().to_owned()))
        .collect()
}

/// The samples Prometheus makes of a family (its protobuf parser's expansion).
fn expand(family: &messages::MetricFamily) -> Family {
    use messages::MetricType as T;
    let name = family.name().to_owned();
    let type_name = match family.r#type() {
        T::Counter => "counter",
        T::Gauge => "gauge",
        T::Summary => "summary",
        T::Untyped => "untyped",
        T::Histogram | T::GaugeHistogram => "histogram",
    };
    let mut samples = Vec::new();
    let mut sample = |suffix: &str, labels: Pairs, value: f64, e: Option<&messages::Exemplar>| {
        samples.push(Sample {
            name: format!("{name}{suffix}"),
            labels: normalize(&labels),
            value,
            exemplar: e.map(|e| (pairs(&e.label), e.value(), None)),
        })
    };
    for m in &family.metric {
        let labels = pairs(&m.label);
        match family.r#type() {
            T::Counter => {
                let c = m
                    .counter
                    .as_ref()
                    .expect("a counter's metric has a counter");
                sample("", labels, c.value(), c.exemplar.as_ref());
            }
            T::Gauge => sample("", labels, m.gauge.expect("a gauge").value(), None),
            T::Untyped => sample("", labels, m.untyped.expect("untyped").value(), None),
            T::Summary => {
                let s = m.summary.as_ref().expect("a summary");
                assert!(
                    s.quantile.is_empty(),
                    "coremeter's summaries keep no quantiles"
                );
                sample("_count", labels.clone(), s.sample_count() as f64, None);
                sample("_sum", labels, s.sample_sum(), None);
            }
            T::Histogram | T::GaugeHistogram => {
                let h = m.histogram.as_ref().expect("a histogram");
                let mut buckets = h.bucket.clone();
                if buckets.is_empty() {
                    // A native histogram without classic buckets: Prometheus takes its native
                    // buckets; the text formats write its count as the +Inf bucket.
                    assert!(h.schema.is_some(), "only a native histogram has no buckets");
                    buckets.push(messages::Bucket {
                        cumulative_count: h.sample_count,
                        upper_bound: Some(f64::INFINITY),
                        ..messages::Bucket::default()
                    });
                }
                let last = buckets.last().expect("buckets");
                assert_eq!(last.upper_bound(), f64::INFINITY, "+Inf is written");
                assert_eq!(last.cumulative_count(), h.sample_count(), "+Inf == count");
                for b in &buckets {
                    let mut with_le = labels.clone();
                    with_le.push(("le".to_owned(), format!("{:?}", b.upper_bound())));
                    sample(
                        "_bucket",
                        with_le,
                        b.cumulative_count() as f64,
                        b.exemplar.as_ref(),
                    );
                }
                sample("_count", labels.clone(), h.sample_count() as f64, None);
                sample("_sum", labels, h.sample_sum(), None);
            }
        }
    }
    Family {
        name: family.name().to_owned(),
        type_name: Some(type_name.to_owned()),
        help: family.help.clone(),
        unit: None,
        samples,
    }
}

fn protobuf(registry: &Registry, scrape: &Scrape) -> Vec<u8> {
    Encoder::new()
        .render(registry, scrape)
        .expect("renders")
        .to_vec()
}

#[test]
fn protobuf_carries_every_sample_of_the_text_format_and_the_exemplars_of_openmetrics() {
    let registry = common::everything();
    let text = parse(&render(&registry, Format::Text).unwrap(), Format::Text).unwrap();
    let om = parse(
        &render(&registry, Format::OpenMetrics).unwrap(),
        Format::OpenMetrics,
    )
    .unwrap();
    let bytes = protobuf(&registry, &Scrape::new(Format::Protobuf));
    // The renderer writes a family from parts (header fields, each series' kept labels and its
    // value): byte for byte what prost writes for the decoded messages.
    let reencoded: Vec<u8> = decode(&bytes)
        .iter()
        .flat_map(|f| f.encode_length_delimited_to_vec())
        .collect();
    assert_eq!(reencoded, bytes);
    let families: Vec<Family> = decode(&bytes).iter().map(expand).collect();

    let names = |f: &[Family]| f.iter().map(|f| f.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&families), names(&text));
    for (p, t) in families.iter().zip(&text) {
        assert_eq!(
            (&p.type_name, &p.help),
            (&t.type_name, &t.help),
            "{}",
            t.name
        );
        assert_eq!(p.samples.len(), t.samples.len(), "{}", t.name);
        for (ps, ts) in p.samples.iter().zip(&t.samples) {
            assert_eq!(
                (&ps.name, &ps.labels, ps.value.to_bits()),
                (&ts.name, &normalize(&ts.labels), ts.value.to_bits()),
                "{}",
                t.name
            );
        }
    }
    // Every exemplar OpenMetrics writes, protobuf writes too (labels and value; its timestamp
    // is a Timestamp message, masked in OpenMetrics' golden files).
    let exemplars = |families: &[Family]| {
        let mut all: Vec<(String, Pairs, Pairs, u64)> = families
            .iter()
            .flat_map(|f| &f.samples)
            .filter_map(|s| {
                let (labels, value, _) = s.exemplar.as_ref()?;
                Some((
                    s.name.clone(),
                    normalize(&s.labels),
                    labels.clone(),
                    value.to_bits(),
                ))
            })
            .collect();
        all.sort();
        all
    };
    let want = exemplars(&om);
    assert!(want.len() >= 2, "the registry has exemplars");
    assert_eq!(exemplars(&families), want);
    // Their timestamps: Unix seconds of now, give or take.
    let first = decode(&bytes)
        .into_iter()
        .flat_map(|f| f.metric)
        .find_map(|m| m.counter.and_then(|c| c.exemplar))
        .expect("a counter's exemplar");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let ts = first.timestamp.expect("a timestamp");
    assert!((now - ts.seconds).abs() < 3600 && (0..1_000_000_000).contains(&ts.nanos));
    // Units (text 0.0.4 has none) come from OpenMetrics.
    let unit = |name: &str| {
        decode(&bytes)
            .into_iter()
            .find(|f| f.name() == name)
            .and_then(|f| f.unit)
    };
    assert_eq!(unit("request_duration_seconds").as_deref(), Some("seconds"));
    assert_eq!(unit("queue_depth"), None);
}

#[test]
fn the_name_filter_takes_whole_families_and_a_reset_scrape_resets_what_it_delivered() {
    let registry = Registry::new();
    let (a, b) = (Counter::new(), Counter::new());
    registry.register(Opts::new("a", "A."), a.clone()).unwrap();
    registry.register(Opts::new("b", "B."), b.clone()).unwrap();
    a.inc_by(5);
    b.inc_by(7);
    let value = |bytes: &[u8], name: &str| {
        decode(bytes)
            .into_iter()
            .find(|f| f.name() == name)
            .map(|f| f.metric[0].counter.as_ref().unwrap().value())
    };
    let only_a = protobuf(&registry, &Scrape::new(Format::Protobuf).names(["a_total"]));
    assert_eq!(decode(&only_a).len(), 1);
    assert_eq!(value(&only_a, "a_total"), Some(5.0));

    let reset = Scrape::new(Format::Protobuf).reset(true);
    let mut encoder = Encoder::new();
    let first = encoder.render(&registry, &reset).unwrap().to_vec();
    assert_eq!(
        (value(&first, "a_total"), value(&first, "b_total")),
        (Some(5.0), Some(7.0))
    );
    a.inc();
    let second = encoder.render(&registry, &reset).unwrap().to_vec();
    assert_eq!(
        (value(&second, "a_total"), value(&second, "b_total")),
        (Some(1.0), Some(0.0))
    );
    // A text scrape after the protobuf ones sees the same registry.
    let text = encoder.encode(&registry, Format::Text).unwrap();
    assert!(std::str::from_utf8(text).unwrap().contains("a_total 0\n"));
}

#[test]
fn gzip_negotiation_and_the_string_renderer() {
    let registry = common::everything();
    let accept = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;\
        encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,\
        text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    let scrape = Scrape::negotiate(Some(accept), Some("gzip"));
    assert_eq!(scrape.format(), Format::Protobuf);
    assert_eq!(
        scrape.content_type(),
        "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
    );
    let gzipped = protobuf(&registry, &scrape);
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&gzipped[..])
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, protobuf(&registry, &Scrape::new(Format::Protobuf)));
    assert_eq!(
        render(&registry, Format::Protobuf),
        Err(RenderError::NotText(Format::Protobuf))
    );
}

#[test]
fn a_warm_encoder_writes_what_a_new_one_writes_as_families_change() {
    use coremeter::{DynLabels, Family, Gauge, Histogram};
    let registry = Registry::new();
    let counters = Family::<DynLabels, Counter>::with_label_names(&["path"]).unwrap();
    let gauges = Family::<DynLabels, Gauge>::with_label_names(&["queue"]).unwrap();
    let histograms = Family::<DynLabels, Histogram>::with_label_names(&["op"]).unwrap();
    registry
        .register(Opts::new("hits", "Hits."), counters.clone())
        .unwrap();
    registry
        .register(Opts::new("depth", "Depth."), gauges.clone())
        .unwrap();
    registry
        .register(Opts::new("op_seconds", "Op time."), histograms.clone())
        .unwrap();
    let mut warm = Encoder::new();
    let protobuf_scrape = Scrape::new(Format::Protobuf);
    let check = |warm: &mut Encoder, step: &str| {
        let got = warm.render(&registry, &protobuf_scrape).unwrap().to_vec();
        assert_eq!(got, protobuf(&registry, &protobuf_scrape), "after {step}");
        let reencoded: Vec<u8> = decode(&got)
            .iter()
            .flat_map(|f| f.encode_length_delimited_to_vec())
            .collect();
        assert_eq!(reencoded, got, "prost's own bytes after {step}");
        // Decodes, and a warm render twice in a row is the same.
        decode(&got);
        let again = warm.render(&registry, &protobuf_scrape).unwrap().to_vec();
        assert_eq!(again, got, "twice after {step}");
        got
    };
    check(&mut warm, "nothing");
    for p in ["/a", "/b", "/c"] {
        counters.labels(&[p]).unwrap().inc();
    }
    gauges.labels(&["q1"]).unwrap().set(4);
    histograms.labels(&["read"]).unwrap().observe(0.2);
    check(&mut warm, "first series");
    counters.labels(&["/b"]).unwrap().inc_by(10);
    gauges.labels(&["q1"]).unwrap().set(-2);
    histograms.labels(&["read"]).unwrap().observe(3.0);
    check(&mut warm, "new values");
    counters.labels(&["/d"]).unwrap().inc();
    counters.remove_labels(&["/a"]).unwrap();
    check(&mut warm, "a series added and one removed");
    counters
        .labels(&["/c"])
        .unwrap()
        .inc_with_exemplar(&[("trace_id", "abc")])
        .unwrap();
    histograms
        .labels(&["read"])
        .unwrap()
        .observe_with_exemplar(0.01, &[("trace_id", "def")])
        .unwrap();
    let with_exemplars = check(&mut warm, "exemplars");
    let counted = decode(&with_exemplars)
        .into_iter()
        .flat_map(|f| f.metric)
        .filter(|m| {
            m.counter.as_ref().is_some_and(|c| c.exemplar.is_some())
                || m.histogram
                    .as_ref()
                    .is_some_and(|h| h.bucket.iter().any(|b| b.exemplar.is_some()))
        })
        .count();
    assert_eq!(counted, 2);
    // Other scrapes in between: text, a filtered one, a reset.
    warm.encode(&registry, Format::Text).unwrap();
    warm.render(
        &registry,
        &Scrape::new(Format::Protobuf).names(["hits_total"]),
    )
    .unwrap();
    check(&mut warm, "a text and a filtered render");
    warm.render(&registry, &Scrape::new(Format::Protobuf).reset(true))
        .unwrap();
    check(&mut warm, "a reset");
    assert!(registry.unregister("depth"));
    check(&mut warm, "a family unregistered");
}

#[test]
fn a_native_histogram_carries_its_schema_zero_bucket_spans_and_deltas() {
    use coremeter::NativeHistogram;
    let registry = Registry::new();
    let h = NativeHistogram::builder()
        .schema(0)
        .zero_threshold(0.5)
        .build()
        .unwrap();
    registry.register(Opts::new("nh", "N."), h.clone()).unwrap();
    for v in [1.0, 1.5, 3.0, 3.5, 100.0, -2.0, 0.1] {
        h.observe(v);
    }
    h.observe_with_exemplar(3.2, &[("trace_id", "t1")]).unwrap();
    let bytes = protobuf(&registry, &Scrape::new(Format::Protobuf));
    let families = decode(&bytes);
    let reencoded: Vec<u8> = families
        .iter()
        .flat_map(|f| f.encode_length_delimited_to_vec())
        .collect();
    assert_eq!(reencoded, bytes, "prost's own bytes");
    let hist = families[0].metric[0].histogram.clone().unwrap();
    assert_eq!(
        families[0].r#type,
        Some(messages::MetricType::Histogram as i32)
    );
    assert_eq!(hist.schema, Some(0));
    assert_eq!(hist.zero_threshold, Some(0.5));
    assert_eq!(hist.zero_count, Some(1));
    assert_eq!(hist.sample_count, Some(8));
    assert_eq!(
        hist.sample_sum,
        Some(1.0 + 1.5 + 3.0 + 3.5 + 100.0 - 2.0 + 0.1 + 3.2)
    );
    // Positive buckets 0: 1, 1: 1, 2: 3, 7: 1 (100 in (64, 128]): one span over 0..=2, then one
    // 4 past its end; counts as deltas.
    let span = |offset, length| messages::BucketSpan {
        offset: Some(offset),
        length: Some(length),
    };
    assert_eq!(hist.positive_span, [span(0, 3), span(4, 1)]);
    assert_eq!(hist.positive_delta, [1, 0, 2, -2]);
    assert_eq!(hist.negative_span, [span(1, 1)]);
    assert_eq!(hist.negative_delta, [1]);
    // No classic buckets (it has none), its exemplar beside.
    assert!(hist.bucket.is_empty());
    assert_eq!(hist.exemplars.len(), 1);
    assert_eq!(hist.exemplars[0].value, Some(3.2));
}
