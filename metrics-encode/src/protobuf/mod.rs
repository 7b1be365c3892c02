//! The protobuf exposition ([`Format::Protobuf`](crate::Format::Protobuf)): each family as an
//! `io.prometheus.client.MetricFamily` message, preceded by its length as a varint, the messages
//! generated from `metrics-encode/proto/metrics.proto` by prost-build (`messages.rs`).
//!
//! What each type becomes (as client_golang writes it, so that Prometheus stores the same series
//! as from the text formats):
//! - a counter: a `COUNTER` family named with its `_total` sample name, its exemplar;
//! - a gauge: `GAUGE`; an untyped value (a custom collector's): `UNTYPED`;
//! - a histogram: `HISTOGRAM`, its cumulative buckets (`+Inf` included, with each bucket's
//!   exemplar), count and sum;
//! - a summary: `SUMMARY`, count and sum (no quantiles: coremeter's summaries keep none);
//! - statistics: a `SUMMARY` (count and sum), then `GAUGE` families `_min` and `_max`, as the
//!   text formats write them;
//! - an info: a `GAUGE` family named with its `_info` sample name, value 1, the info's pairs as
//!   labels; a state set: a `GAUGE` family, one series per state labelled with the family's name,
//!   1 for the current state and 0 for the others.

// Generated code: its items are documented by metrics.proto.
#[allow(missing_docs, unreachable_pub, clippy::all)]
mod messages;

use std::collections::HashMap;
use std::ops::Range;

use coremeter::{
    Descriptor, Exemplar, Labels, MetricType, Registry, Reset, SampleSuffix, SeriesListVersion,
    Value, Values, Visitor,
};
use prost::Message as _;

use crate::Scrape;
use crate::error::RenderError;
use crate::extremes::{self, MAX_HELP, MIN_HELP};
use crate::selection::select;
use messages::{
    Bucket, Gauge, LabelPair, Metric, MetricFamily, MetricType as Type, Summary, Untyped,
};

/// The protobuf renderer's output and the buffers it reuses from scrape to scrape.
#[derive(Debug, Default)]
pub(crate) struct Protobuf {
    out: Vec<u8>,
    /// The previous render's output, from which families whose values did not change are
    /// copied.
    prev: Vec<u8>,
    /// The family being built.
    family: MetricFamily,
    /// Series of earlier families, whose label strings keep their room for the next ones.
    spare: Vec<Metric>,
    /// The `_min` and `_max` series of statistics, written after their family.
    min: Vec<Metric>,
    max: Vec<Metric>,
    /// The series of label families read in bulk, by registration, kept while the family's
    /// series list stays the same: a scrape then only writes the new values into them.
    kept: HashMap<u64, Kept>,
    /// This render, counted from 1.
    render: u64,
}

/// A label family's series as messages, labels set, and what its last render wrote.
#[derive(Debug)]
struct Kept {
    version: SeriesListVersion,
    metrics: Vec<Metric>,
    /// The last render that used them.
    seen: u64,
    /// The values (`Values::words`) of the family's last render, and whether it had exemplars.
    words: Vec<u64>,
    exemplars: bool,
    /// Where the family's bytes are in the output of render `written_in` (0: nowhere to copy
    /// from).
    bytes: Range<usize>,
    written_in: u64,
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
        let render = self.render;
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
            self.kept.retain(|_, k| k.seen == render);
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
    /// The current family's registration, if it is a registered metric.
    registration: Option<u64>,
    /// What the current family does with its kept series.
    bulk: Bulk,
}

/// What a family does with the series kept from an earlier render.
#[derive(Clone, Copy, Debug)]
enum Bulk {
    /// Not read in bulk (a metric that is one series, a type never offered in bulk).
    None,
    /// Its kept series are in `family.metric`, values updated: they go back after it is written.
    Taken,
    /// Its values did not change since the previous render: its bytes were copied from there.
    Copied,
    /// Its series come one by one, and are kept for the next render if all of them arrive.
    Keeping { len: usize },
}

impl Render<'_> {
    /// Writes the current family, if it has series, and what statistics left for after it.
    fn end_family(&mut self) {
        let p = &mut *self.protobuf;
        let start = p.out.len();
        if !p.family.metric.is_empty() {
            // Writing to a `Vec` cannot fail.
            let _ = p.family.encode_length_delimited(&mut p.out);
        }
        if std::mem::take(&mut self.statistics) {
            let base = p.family.name.as_deref().unwrap_or_default();
            let help = p.family.help.as_deref().unwrap_or_default();
            for (suffix, sentence, metrics) in [
                (SampleSuffix::Min, MIN_HELP, &mut p.min),
                (SampleSuffix::Max, MAX_HELP, &mut p.max),
            ] {
                if metrics.is_empty() {
                    continue;
                }
                let family = MetricFamily {
                    name: Some(format!("{base}{}", suffix.as_str())),
                    help: Some(extremes::help(help, sentence)),
                    r#type: Some(Type::Gauge as i32),
                    metric: std::mem::take(metrics),
                    unit: None,
                };
                let _ = family.encode_length_delimited(&mut p.out);
            }
        }
        let kept = match (
            std::mem::replace(&mut self.bulk, Bulk::None),
            self.registration,
        ) {
            (Bulk::Taken, Some(id)) => p.kept.get_mut(&id),
            (Bulk::Keeping { len, .. }, Some(id)) if p.family.metric.len() == len => {
                p.kept.get_mut(&id)
            }
            (Bulk::Keeping { .. }, Some(id)) => {
                // Series went missing while it was read: nothing to keep.
                p.kept.remove(&id);
                None
            }
            _ => None,
        }
        .map(|k| {
            k.bytes = start..p.out.len();
            k.written_in = if k.exemplars { 0 } else { p.render };
            &mut k.metrics
        });
        match kept {
            Some(kept) => std::mem::swap(kept, &mut p.family.metric),
            None => p.spare.append(&mut p.family.metric),
        }
    }

    /// The `target_info` family of the registry's target labels (as OpenMetrics writes it), if
    /// it has any and the filter takes it.
    fn target_info(&mut self, labels: &[(String, String)]) {
        let wanted = self.filter.is_empty()
            || self
                .filter
                .iter()
                .any(|f| f == "target_info" || f == "target");
        if labels.is_empty() || !wanted {
            return;
        }
        let family = &mut self.protobuf.family;
        family.name = Some("target_info".to_owned());
        family.help = Some("Target metadata.".to_owned());
        family.r#type = Some(Type::Gauge as i32);
        family.unit = None;
        let m = self
            .protobuf
            .slot(labels.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        m.gauge = Some(gauge(1.0));
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
        self.registration = d.registration();
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
        let Some(id) = self.registration else {
            return false;
        };
        let p = &mut *self.protobuf;
        let version = values.version();
        let render = p.render;
        let kept = p.kept.entry(id).or_insert_with(|| Kept {
            version,
            metrics: Vec::new(),
            seen: render,
            words: Vec::new(),
            exemplars: false,
            bytes: 0..0,
            written_in: 0,
        });
        kept.seen = render;
        let exemplars = values.exemplar_series().next().is_some();
        let same_series = kept.version == version && kept.metrics.len() == values.len();
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
            kept.version = version;
            kept.written_in = 0;
            p.spare.append(&mut kept.metrics);
            self.bulk = Bulk::Keeping { len: values.len() };
            return false;
        }
        for (i, m) in kept.metrics.iter_mut().enumerate() {
            set_value(m, &values.value(i));
        }
        for i in values.exemplar_series() {
            values.with_exemplars(i, |value| set_value(&mut kept.metrics[i], value));
        }
        std::mem::swap(&mut kept.metrics, &mut p.family.metric);
        self.bulk = Bulk::Taken;
        true
    }

    fn series(&mut self, labels: &Labels<'_>, value: &Value<'_>) {
        let p = &mut *self.protobuf;
        match value {
            Value::Statistics(s) => {
                p.family_slot(labels).summary = Some(Box::new(summary(s.count, s.sum)));
                for (extreme, metrics) in [(s.min, &mut p.min), (s.max, &mut p.max)] {
                    if let Some(v) = extreme {
                        let mut m = Metric::default();
                        set_labels(&mut m, labels.iter());
                        m.gauge = Some(gauge(v));
                        metrics.push(m);
                    }
                }
            }
            Value::StateSet(s) => {
                let name = p.family.name.take().unwrap_or_default();
                for (i, state) in s.states.iter().enumerate() {
                    let pairs = labels.iter().chain([(name.as_str(), *state)]);
                    let m = p.slot(pairs);
                    m.gauge = Some(gauge(if i == s.current { 1.0 } else { 0.0 }));
                }
                p.family.name = Some(name);
            }
            value @ (Value::Counter(_)
            | Value::Gauge(_)
            | Value::Unknown(_)
            | Value::Histogram(_)
            | Value::Summary(_)
            | Value::Info) => set_value(p.family_slot(labels), value),
            // A type this encoder does not know yet: nothing rather than something wrong.
            _ => {}
        }
    }
}

/// Writes `value` into `m`, reusing what `m` holds (a kept series gets a value of the same type
/// at every render). Statistics and state sets, which make several series of one, are written by
/// [`Render::series`].
fn set_value(m: &mut Metric, value: &Value<'_>) {
    match value {
        Value::Counter(c) => {
            let counter = m.counter.get_or_insert_with(Box::default);
            counter.value = Some(c.value.as_f64());
            counter.exemplar = c.exemplar.map(exemplar);
        }
        Value::Gauge(n) => m.gauge = Some(gauge(n.as_f64())),
        Value::Unknown(n) => {
            m.untyped = Some(Untyped {
                value: Some(n.as_f64()),
            })
        }
        Value::Histogram(h) => {
            let histogram = m.histogram.get_or_insert_with(Box::default);
            histogram.sample_count = Some(h.count());
            histogram.sample_sum = Some(h.sum());
            histogram.bucket.clear();
            let buckets = h
                .cumulative()
                .enumerate()
                .map(|(i, (bound, count))| Bucket {
                    cumulative_count: Some(count),
                    upper_bound: Some(bound),
                    exemplar: h.exemplar(i).map(exemplar),
                    ..Bucket::default()
                });
            histogram.bucket.extend(buckets);
        }
        Value::Summary(s) => m.summary = Some(Box::new(summary(s.count, s.sum))),
        Value::Info => m.gauge = Some(gauge(1.0)),
        // Not passed here (see `Render::series`).
        _ => {}
    }
}

impl Protobuf {
    /// The next series of the current family, labelled `labels`, with no value yet.
    fn family_slot(&mut self, labels: &Labels<'_>) -> &mut Metric {
        self.slot(labels.iter())
    }

    /// The next series of the current family, labelled with `pairs`, with no value yet: a
    /// [`Metric`] from an earlier family or scrape when there is one, so that its label strings
    /// are written into room they already have.
    fn slot<'p>(&mut self, pairs: impl Iterator<Item = (&'p str, &'p str)>) -> &mut Metric {
        let mut m = self.spare.pop().unwrap_or_default();
        set_labels(&mut m, pairs);
        // The values of its earlier use go; the room of its label strings stays.
        self.family.metric.push(Metric {
            label: std::mem::take(&mut m.label),
            ..Metric::default()
        });
        self.family.metric.last_mut().expect("just pushed")
    }
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
