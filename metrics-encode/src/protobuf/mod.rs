//! The protobuf exposition ([`Format::Protobuf`](crate::Format::Protobuf)): each family as an
//! `io.prometheus.client.MetricFamily` message, preceded by its length as a varint, the messages
//! generated from `metrics-encode/proto/metrics.proto` by prost-build (`messages.rs`).
//!
//! What each type becomes (as client_golang writes it, so that Prometheus stores the same series
//! as from the text formats):
//! - a counter: a `COUNTER` family named with its `_total` sample name, its exemplar;
//! - a gauge: `GAUGE`; an untyped value (a custom collector's): `UNTYPED`;
//! - a histogram: `HISTOGRAM`, its cumulative buckets (`+Inf` included, with each bucket's
//!   exemplar), count and sum; a native histogram also its schema, zero bucket, spans and
//!   delta-encoded bucket counts and its exemplar (`native.rs`), and its classic buckets only if it
//!   has some;
//! - a summary: `SUMMARY`, count and sum (no quantiles: coremeter's summaries keep none);
//! - statistics: a `SUMMARY` (count and sum), then `GAUGE` families `_min` and `_max`, as the
//!   text formats write them;
//! - an info: a `GAUGE` family named with its `_info` sample name, value 1, the info's pairs as
//!   labels; a state set: a `GAUGE` family, one series per state labelled with the family's name,
//!   1 for the current state and 0 for the others.

mod fixed_value;
// Generated code: its items are documented by metrics.proto.
#[allow(missing_docs, unreachable_pub, clippy::all)]
mod messages;
mod native;

use std::ops::Range;

use coremeter::{
    CounterValue, Descriptor, Exemplar, Labels, MetricType, Number, Registry, Reset, SampleSuffix,
    SeriesListVersion, Value, ValueKind, Values, Visitor,
};
use prost::Message as _;
use prost::encoding::{WireType, encode_key, encode_varint};

use crate::Scrape;
use crate::by_registration::ByRegistration;
use crate::error::RenderError;
use crate::extremes::{self, MAX_HELP, MIN_HELP};
use crate::selection::select;
use crate::target;
use fixed_value::FixedValue;
use messages::{
    Bucket, Counter, Gauge, Histogram, LabelPair, Metric, MetricFamily, MetricType as Type,
    Summary, Untyped,
};

/// The field number of `MetricFamily.metric` in metrics.proto. A family is written as its
/// header fields (prost), then each series as this field holding its label fields (prost, kept
/// from render to render) followed by its value field (prost), then its unit field (prost):
/// byte for byte what prost writes for the whole message, which a test checks by decoding and
/// encoding again.
const METRIC_FIELD: u32 = 4;

/// The protobuf renderer's output and the buffers it reuses from scrape to scrape.
#[derive(Debug, Default)]
pub(crate) struct Protobuf {
    out: Vec<u8>,
    /// The previous render's output, from which families whose values did not change are
    /// copied.
    prev: Vec<u8>,
    /// The current family's fields but its series (name, help, type, unit).
    family: MetricFamily,
    /// The current family's series, as `metric` fields; for statistics, their `_min` and `_max`
    /// series.
    series: Vec<u8>,
    min: Vec<u8>,
    max: Vec<u8>,
    /// A series whose labels are set to encode them; a series with no field set, through which
    /// values are encoded; the room of a histogram's buckets.
    labelled: Metric,
    valued: Metric,
    buckets: Vec<Bucket>,
    /// The current series' encoded labels (when they are not kept) and value.
    labels: Vec<u8>,
    value: Vec<u8>,
    /// What the renderer keeps of each registered family.
    kept: ByRegistration<Kept>,
    /// The value fields of a counter and of a gauge without exemplars, made at their first use
    /// (`None` inside: prost's encoding is not fixed-length after all).
    fixed: [Option<Option<FixedValue>>; 2],
    /// This render, counted from 1.
    render: u64,
}

/// A label family's series' encoded labels, kept while its series list stays the same, and what
/// its last render wrote.
#[derive(Debug, Default)]
struct Kept {
    /// The series list whose labels are kept (`None`: nothing kept).
    version: Option<SeriesListVersion>,
    /// Each series' label fields, one after the other; where each series' end.
    labels: Vec<u8>,
    ends: Vec<usize>,
    /// For a counter or gauge family: each series' bytes up to its value's 8 bytes (the field's
    /// key and length, the labels, the value field's head), one after the other; where each
    /// ends. Made from `labels` when first needed.
    frames: Vec<u8>,
    frame_ends: Vec<usize>,
    /// The values (`Values::words`) of the family's last render, and whether it had exemplars.
    words: Vec<u64>,
    exemplars: bool,
    /// Where the family's bytes are in the output of render `written_in` (0: nowhere to copy
    /// from).
    bytes: Range<usize>,
    written_in: u64,
}

impl Kept {
    /// Makes each series' frame (see [`frames`](Self::frames)) from its labels and the value
    /// field `fixed`.
    fn frame_series(&mut self, fixed: &FixedValue) {
        self.frames.clear();
        self.frame_ends.clear();
        let mut start = 0;
        for &end in &self.ends {
            let labels = &self.labels[start..end];
            encode_key(METRIC_FIELD, WireType::LengthDelimited, &mut self.frames);
            encode_varint((labels.len() + fixed.len()) as u64, &mut self.frames);
            self.frames.extend_from_slice(labels);
            self.frames.extend_from_slice(fixed.head());
            self.frame_ends.push(self.frames.len());
            start = end;
        }
    }
}

impl Protobuf {
    /// Renders what `scrape` asks of `registry` into the output (see [`output`](Self::output)),
    /// and returns the reset to commit once the reply is produced, if it is a reset scrape.
    pub(crate) fn render(
        &mut self,
        registry: &Registry,
        scrape: &Scrape,
    ) -> Result<Option<Reset>, RenderError> {
        std::mem::swap(&mut self.out, &mut self.prev);
        self.out.clear();
        self.render += 1;
        self.kept.begin();
        let mut visitor = Render {
            protobuf: self,
            filter: &scrape.names,
            reset: scrape.reset,
            refused: None,
            statistics: false,
            registration: None,
            bulk: Bulk::None,
        };
        visitor.target_info(registry.target_labels());
        let collected = if scrape.reset {
            registry.collect_and_reset(&mut visitor).map(Some)
        } else {
            registry.collect(&mut visitor).map(|()| None)
        };
        visitor.end_family();
        let refused = visitor.refused.take();
        if scrape.names.is_empty() {
            // Families not seen in a render of everything are gone.
            self.kept.sweep();
        }
        let reset = collected?;
        match refused {
            Some(refused) => Err(refused),
            None => Ok(reset),
        }
    }

    /// What the last [`render`](Self::render) wrote.
    pub(crate) fn output(&self) -> &[u8] {
        &self.out
    }
}

/// Writes `family` (if it has `series`) to `out`: its length, its fields but its unit, its
/// `series`, its unit (prost's field order).
fn write_family(out: &mut Vec<u8>, family: &mut MetricFamily, series: &[u8]) {
    if series.is_empty() {
        return;
    }
    let trailer = MetricFamily {
        unit: family.unit.take(),
        ..MetricFamily::default()
    };
    let len = family.encoded_len() + series.len() + trailer.encoded_len();
    encode_varint(len as u64, out);
    // Writing to a `Vec` cannot fail.
    let _ = family.encode(out);
    out.extend_from_slice(series);
    let _ = trailer.encode(out);
    family.unit = trailer.unit;
}

/// Encodes `pairs` as a series' label fields into `out`, through `labelled` (a series whose
/// label strings keep their room).
fn encode_labels<'p>(
    labelled: &mut Metric,
    pairs: impl Iterator<Item = (&'p str, &'p str)>,
    out: &mut Vec<u8>,
) {
    set_labels(labelled, pairs);
    let _ = labelled.encode(out);
}

/// Appends a series (its `labels` and `value` fields) to a family's `series`.
fn push_series(series: &mut Vec<u8>, labels: &[u8], value: &[u8]) {
    encode_key(METRIC_FIELD, WireType::LengthDelimited, series);
    encode_varint((labels.len() + value.len()) as u64, series);
    series.extend_from_slice(labels);
    series.extend_from_slice(value);
}

/// The visitor a registry drives.
struct Render<'a> {
    protobuf: &'a mut Protobuf,
    /// The names asked for; empty for everything.
    filter: &'a [String],
    reset: bool,
    /// Why the render must not be served (a reset scrape named part of a family).
    refused: Option<RenderError>,
    /// Whether the current family is statistics (its `_min` and `_max` families follow it).
    statistics: bool,
    /// The slot of what is kept of the current family, if it is a registered metric.
    registration: Option<usize>,
    /// What the current family does with its kept labels.
    bulk: Bulk,
}

/// What a family does with what was kept of it.
#[derive(Clone, Copy, Debug)]
enum Bulk {
    /// Not read in bulk (a metric that is one series, a type never offered in bulk).
    None,
    /// Its series were written from their kept labels and the values read in bulk.
    Taken,
    /// Its values did not change since the previous render: its bytes were copied from there.
    Copied,
    /// Its series come one by one; their labels are kept if all of them arrive.
    Keeping { len: usize },
}

impl Render<'_> {
    /// Writes the current family, if it has series, and what statistics left for after it.
    fn end_family(&mut self) {
        let p = &mut *self.protobuf;
        let start = p.out.len();
        write_family(&mut p.out, &mut p.family, &p.series);
        p.series.clear();
        if std::mem::take(&mut self.statistics) {
            let name = p.family.name.take().unwrap_or_default();
            let help = p.family.help.take().unwrap_or_default();
            p.family.r#type = Some(Type::Gauge as i32);
            p.family.unit = None;
            for (suffix, sentence, series) in [
                (SampleSuffix::Min, MIN_HELP, &mut p.min),
                (SampleSuffix::Max, MAX_HELP, &mut p.max),
            ] {
                p.family.name = Some(format!("{name}{}", suffix.as_str()));
                p.family.help = Some(extremes::help(&help, sentence));
                write_family(&mut p.out, &mut p.family, series);
                series.clear();
            }
            p.family.name = Some(name);
            p.family.help = Some(help);
        }
        let bulk = std::mem::replace(&mut self.bulk, Bulk::None);
        let Some(slot) = self.registration else {
            return;
        };
        let kept = p.kept.get(slot);
        let written = match bulk {
            Bulk::Taken => true,
            // Every series arrived, its labels kept.
            Bulk::Keeping { len } if kept.ends.len() == len => true,
            Bulk::Keeping { .. } => {
                // Series went missing while it was read: nothing to keep.
                kept.version = None;
                false
            }
            Bulk::None | Bulk::Copied => false,
        };
        if written {
            kept.bytes = start..p.out.len();
            kept.written_in = if kept.exemplars { 0 } else { p.render };
        }
    }

    /// The `target_info` family of the registry's target labels (as OpenMetrics writes it), if
    /// it has any and the filter takes it.
    fn target_info(&mut self, labels: &[(String, String)]) {
        if labels.is_empty() || !target::wanted(self.filter) {
            return;
        }
        let p = &mut *self.protobuf;
        set_text(&mut p.family.name, &["target_info"]);
        set_text(&mut p.family.help, &[target::HELP]);
        p.family.r#type = Some(Type::Gauge as i32);
        p.family.unit = None;
        p.labels.clear();
        let pairs = labels.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        encode_labels(&mut p.labelled, pairs, &mut p.labels);
        p.value.clear();
        encode_value(&Value::Info, &mut p.valued, &mut p.buckets, &mut p.value);
        push_series(&mut p.series, &p.labels, &p.value);
        self.end_family();
    }
}

impl Visitor for Render<'_> {
    fn wants(&mut self, descriptor: &Descriptor) -> bool {
        // A family is whole in a message: any of its samples named takes all of them.
        match select(self.filter, self.reset, descriptor) {
            Ok(selected) => selected != 0,
            Err(refused) => {
                self.refused.get_or_insert(refused);
                false
            }
        }
    }

    fn family(&mut self, d: &Descriptor) {
        self.end_family();
        let t = d.metric_type();
        let (suffix, kind) = match t {
            MetricType::Counter => (SampleSuffix::Total.as_str(), Type::Counter),
            MetricType::Gauge => ("", Type::Gauge),
            MetricType::Histogram => ("", Type::Histogram),
            MetricType::Summary | MetricType::Statistics => ("", Type::Summary),
            MetricType::Info => (SampleSuffix::Info.as_str(), Type::Gauge),
            MetricType::StateSet => ("", Type::Gauge),
            _ => ("", Type::Untyped),
        };
        self.statistics = t == MetricType::Statistics;
        self.registration = d.registration().map(|r| self.protobuf.kept.family(r));
        // Written into the strings of the previous family: no allocation per family.
        let family = &mut self.protobuf.family;
        set_text(&mut family.name, &[d.name(), suffix]);
        set_text(&mut family.help, &[d.help()]);
        family.r#type = Some(kind as i32);
        match d.unit() {
            Some(unit) if !matches!(t, MetricType::Info | MetricType::StateSet) => {
                set_text(&mut family.unit, &[unit])
            }
            _ => family.unit = None,
        }
    }

    fn values(&mut self, values: &Values<'_>) -> bool {
        let Some(slot) = self.registration else {
            return false;
        };
        let p = &mut *self.protobuf;
        let version = values.version();
        let render = p.render;
        let kept = p.kept.get(slot);
        let exemplars = values.exemplar_series().next().is_some();
        let same_series = kept.version == Some(version) && kept.ends.len() == values.len();
        if same_series
            && !exemplars
            && kept.written_in != 0
            && kept.written_in + 1 == render
            && kept.words == values.words()
        {
            // What the previous render wrote for it, byte for byte.
            let start = p.out.len();
            p.out.extend_from_slice(&p.prev[kept.bytes.clone()]);
            kept.bytes = start..p.out.len();
            kept.written_in = render;
            self.bulk = Bulk::Copied;
            return true;
        }
        kept.words.clear();
        kept.words.extend_from_slice(values.words());
        kept.exemplars = exemplars;
        if !same_series {
            kept.version = Some(version);
            kept.written_in = 0;
            kept.labels.clear();
            kept.ends.clear();
            kept.frames.clear();
            kept.frame_ends.clear();
            self.bulk = Bulk::Keeping { len: values.len() };
            return false;
        }
        // Counters and gauges without exemplars: each series' bytes up to its value kept, the
        // value's 8 bytes after them (see fixed_value.rs).
        let fixed = match values.kind() {
            _ if exemplars => None,
            ValueKind::Counter | ValueKind::FloatCounter => Some(0),
            ValueKind::Gauge | ValueKind::FloatGauge => Some(1),
            _ => None,
        };
        let (valued, buckets) = (&mut p.valued, &mut p.buckets);
        let fixed = fixed.and_then(|kind| {
            p.fixed[kind]
                .get_or_insert_with(|| {
                    FixedValue::new(|v, out| {
                        let v = Number::Float(v);
                        let value = match kind {
                            0 => Value::Counter(CounterValue {
                                value: v,
                                exemplar: None,
                            }),
                            _ => Value::Gauge(v),
                        };
                        encode_value(&value, valued, buckets, out);
                    })
                })
                .as_ref()
        });
        if let Some(fixed) = fixed {
            if kept.frame_ends.len() != kept.ends.len() {
                kept.frame_series(fixed);
            }
            let mut start = 0;
            for (i, &end) in kept.frame_ends.iter().enumerate() {
                let v = values.number(i).map_or(f64::NAN, Number::as_f64);
                p.series.extend_from_slice(&kept.frames[start..end]);
                p.series.extend_from_slice(&v.to_le_bytes());
                start = end;
            }
            self.bulk = Bulk::Taken;
            return true;
        }
        let mut exemplar_series = values.exemplar_series().peekable();
        let mut start = 0;
        for (i, &end) in kept.ends.iter().enumerate() {
            p.value.clear();
            if exemplar_series.next_if_eq(&i).is_some() {
                values.with_exemplars(i, |v| {
                    encode_value(v, &mut p.valued, &mut p.buckets, &mut p.value)
                });
            } else {
                encode_value(
                    &values.value(i),
                    &mut p.valued,
                    &mut p.buckets,
                    &mut p.value,
                );
            }
            push_series(&mut p.series, &kept.labels[start..end], &p.value);
            start = end;
        }
        self.bulk = Bulk::Taken;
        true
    }

    fn series(&mut self, labels: &Labels<'_>, value: &Value<'_>) {
        let p = &mut *self.protobuf;
        // The series' label fields: kept for the next render if the family is read in bulk.
        let keeping = matches!(self.bulk, Bulk::Keeping { .. });
        let kept = self
            .registration
            .filter(|_| keeping)
            .map(|slot| p.kept.get(slot));
        let label_bytes: &[u8] = match kept {
            Some(k) => {
                let start = k.labels.len();
                encode_labels(&mut p.labelled, labels.iter(), &mut k.labels);
                k.ends.push(k.labels.len());
                &k.labels[start..]
            }
            None => {
                p.labels.clear();
                encode_labels(&mut p.labelled, labels.iter(), &mut p.labels);
                &p.labels
            }
        };
        match value {
            Value::Statistics(s) => {
                p.value.clear();
                let summary = Value::Summary(coremeter::SummaryValue {
                    count: s.count,
                    sum: s.sum,
                });
                encode_value(&summary, &mut p.valued, &mut p.buckets, &mut p.value);
                push_series(&mut p.series, label_bytes, &p.value);
                for (extreme, series) in [(s.min, &mut p.min), (s.max, &mut p.max)] {
                    if let Some(v) = extreme {
                        p.value.clear();
                        let gauge = Value::Gauge(coremeter::Number::Float(v));
                        encode_value(&gauge, &mut p.valued, &mut p.buckets, &mut p.value);
                        push_series(series, label_bytes, &p.value);
                    }
                }
            }
            Value::StateSet(s) => {
                let name = p.family.name.as_deref().unwrap_or_default();
                for (i, state) in s.states.iter().enumerate() {
                    p.labels.clear();
                    let pairs = labels.iter().chain([(name, *state)]);
                    encode_labels(&mut p.labelled, pairs, &mut p.labels);
                    p.value.clear();
                    let v = coremeter::Number::UInt(u64::from(i == s.current));
                    encode_value(
                        &Value::Gauge(v),
                        &mut p.valued,
                        &mut p.buckets,
                        &mut p.value,
                    );
                    push_series(&mut p.series, &p.labels, &p.value);
                }
            }
            value => {
                p.value.clear();
                if encode_value(value, &mut p.valued, &mut p.buckets, &mut p.value) {
                    push_series(&mut p.series, label_bytes, &p.value);
                }
            }
        }
    }
}

/// Encodes `value`'s field of a series (a `Metric` with no labels) into `out`, through `m`, a
/// `Metric` with no field set that is reused from series to series (a `Metric` is large to make
/// anew; a histogram's buckets keep their room in `buckets`). `false` (nothing written) for a
/// type this encoder does not know yet: nothing rather than something wrong. Statistics and state
/// sets, which make several series of one, are written by [`Render::series`].
fn encode_value(
    value: &Value<'_>,
    m: &mut Metric,
    buckets: &mut Vec<Bucket>,
    out: &mut Vec<u8>,
) -> bool {
    match value {
        Value::Counter(c) => {
            m.counter = Some(Counter {
                value: Some(c.value.as_f64()),
                exemplar: c.exemplar.map(exemplar),
                created_timestamp: None,
            })
        }
        Value::Gauge(n) => m.gauge = Some(gauge(n.as_f64())),
        Value::Unknown(n) => {
            m.untyped = Some(Untyped {
                value: Some(n.as_f64()),
            })
        }
        Value::Summary(s) => m.summary = Some(summary(s.count, s.sum)),
        Value::Info => m.gauge = Some(gauge(1.0)),
        Value::Histogram(h) => {
            let mut bucket = std::mem::take(buckets);
            bucket.clear();
            // A native histogram without classic buckets writes none (not even +Inf).
            if h.native().is_none() || !h.bounds().is_empty() {
                bucket.extend(
                    h.cumulative()
                        .enumerate()
                        .map(|(i, (bound, count))| Bucket {
                            cumulative_count: Some(count),
                            upper_bound: Some(bound),
                            exemplar: h.exemplar(i).map(exemplar),
                            ..Bucket::default()
                        }),
                );
            }
            let mut histogram = Histogram {
                sample_count: Some(h.count()),
                sample_sum: Some(h.sum()),
                bucket,
                ..Histogram::default()
            };
            if let Some(n) = h.native() {
                native::set_native(&mut histogram, n);
                histogram.exemplars.extend(n.exemplar().map(exemplar));
            }
            m.histogram = Some(histogram);
        }
        _ => return false,
    }
    // Writing to a `Vec` cannot fail.
    let _ = m.encode(out);
    m.counter = None;
    m.gauge = None;
    m.untyped = None;
    m.summary = None;
    if let Some(h) = m.histogram.take() {
        *buckets = h.bucket;
    }
    true
}

/// Sets `field` to the concatenation of `parts`, reusing its string.
fn set_text(field: &mut Option<String>, parts: &[&str]) {
    let text = field.get_or_insert_with(String::new);
    text.clear();
    for part in parts {
        text.push_str(part);
    }
}

/// Sets `m`'s labels to `pairs`, reusing its label strings.
fn set_labels<'p>(m: &mut Metric, pairs: impl Iterator<Item = (&'p str, &'p str)>) {
    let mut n = 0;
    for (name, value) in pairs {
        if n == m.label.len() {
            m.label.push(LabelPair::default());
        }
        let pair = &mut m.label[n];
        set_text(&mut pair.name, &[name]);
        set_text(&mut pair.value, &[value]);
        n += 1;
    }
    m.label.truncate(n);
}

fn pair(name: &str, value: &str) -> LabelPair {
    LabelPair {
        name: Some(name.to_owned()),
        value: Some(value.to_owned()),
    }
}

fn gauge(value: f64) -> Gauge {
    Gauge { value: Some(value) }
}

fn summary(count: u64, sum: f64) -> Summary {
    Summary {
        sample_count: Some(count),
        sample_sum: Some(sum),
        ..Summary::default()
    }
}

/// An exemplar with its labels, value and timestamp (Unix seconds as a `Timestamp`).
fn exemplar(e: &Exemplar) -> messages::Exemplar {
    let t = e.timestamp();
    let seconds = t.floor();
    messages::Exemplar {
        label: e.labels().map(|(n, v)| pair(n, v)).collect(),
        value: Some(e.value()),
        timestamp: Some(prost_types::Timestamp {
            seconds: seconds as i64,
            nanos: ((t - seconds) * 1e9) as i32,
        }),
    }
}
