//! The renderer: a [`Visitor`] that writes what a registry collects into a reusable buffer.

use coremeter::{
    Descriptor, Exemplar, Labels, MetricType, Number, Registry, SampleSuffix, SeriesListVersion,
    Value, Values, Visitor,
};

use crate::Format;
use crate::Scrape;
use crate::buf::{Buf, Sink};
use crate::by_registration::ByRegistration;
use crate::cache::{self, FamilyCache, Lines, Text};
use crate::error::RenderError;
use crate::escape;
use crate::extremes::{MAX_HELP, MIN_HELP};
use crate::le_labels::{LeLabels, le_slot};
use crate::number::{write_float, write_number, write_u64};
use crate::protobuf::Protobuf;
use crate::reply::finish;
use crate::selection::{BUCKET, COUNT, INFO, MAX, MIN, PLAIN, SUM, TOTAL, select};
use crate::target;

/// Sample suffixes as the lines are written (`coremeter::MetricType::samples` is the table).
const TOTAL_SUFFIX: &[u8] = SampleSuffix::Total.as_str().as_bytes();
const BUCKET_SUFFIX: &[u8] = SampleSuffix::Bucket.as_str().as_bytes();
const COUNT_SUFFIX: &[u8] = SampleSuffix::Count.as_str().as_bytes();
const SUM_SUFFIX: &[u8] = SampleSuffix::Sum.as_str().as_bytes();
const MIN_SUFFIX: &[u8] = SampleSuffix::Min.as_str().as_bytes();
const MAX_SUFFIX: &[u8] = SampleSuffix::Max.as_str().as_bytes();
const INFO_SUFFIX: &[u8] = SampleSuffix::Info.as_str().as_bytes();

/// Renders registries into a buffer it keeps: once the buffers have grown to the size of a
/// scrape, rendering allocates nothing per series. Keep one per registry and scraping thread
/// (the exporter keeps a pool).
///
/// Families come in registration order (custom collectors' families where the collector was
/// registered), preceded by `target_info` when the registry has target labels and followed by
/// the overflow self-metric when a label family overflowed. Labels come in a fixed order: the
/// registry's constant labels, the family's labels in declaration order, an info's own pairs, and
/// last the label the type adds (`le`, or a state set's).
///
/// The encoder keeps each series' sample lines up to the value (`name_total{a="x"} `), rendered
/// at the first scrape that sees the series, and copies them at the next scrapes: a warm scrape
/// reads each value and writes it after its cached prefix. The cache costs about the size of
/// the exposition without its values; it follows registrations and label sets as they come and
/// go (see `coremeter::Descriptor::registration`).
///
/// It also keeps the previous render's output and the values it was written with: a family read
/// in bulk (a label family of counters, gauges or histograms) whose values did not change since
/// that render, to the bit, has its text (header and lines) copied from it in one piece, in the
/// same format and when neither render has a name filter. A scrape of a service whose series
/// are mostly idle between scrapes then costs little more than reading the values. That keeps
/// two output buffers, so an encoder holds about twice the size of the exposition (plus the
/// prefix cache). What is written never depends on the copy: a property test renders random
/// sequences of updates, removals, filters and formats with a warm and a cold encoder.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, Opts, Registry};
/// use coremeter_encode::{Encoder, Format};
///
/// let registry = Registry::new();
/// let requests = Counter::new();
/// registry.register(Opts::new("requests", "Requests served."), requests.clone())?;
/// requests.inc_by(3);
///
/// let mut encoder = Encoder::new();
/// let text = encoder.encode(&registry, Format::Text)?;
/// assert_eq!(
///     std::str::from_utf8(text)?,
///     "# HELP requests_total Requests served.\n\
///      ## TYPE requests_total counter\n\
///      requests_total 3\n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct Encoder {
    out: Buf,
    /// The previous render's output, from which families whose values did not change are
    /// copied.
    prev: Buf,
    /// The words of the families whose text the previous render recorded (see `State::words`).
    prev_words: Vec<u64>,
    gzipped: Vec<u8>,
    state: State,
    /// The protobuf exposition's renderer (the text formats' state is not used for it).
    protobuf: Protobuf,
}

/// Everything a render needs besides the output buffer.
#[derive(Debug, Default)]
struct State {
    format: Format,
    /// The current family: its name, type and which of its samples are selected.
    name: Vec<u8>,
    metric_type: Option<MetricType>,
    selected: u16,
    /// The current family's prefix cache, if it is a registered metric, and the position of the
    /// next series in it.
    cache: Option<usize>,
    position: usize,
    /// Registered families seen so far in this scrape.

    /// The version the current family offered its values in bulk with, whether they were taken,
    /// and whether every series read one by one so far went into the cache.
    offered: Option<SeriesListVersion>,
    taken: bool,
    /// How many series the current family declined in bulk has: those that follow one by one.
    expected: usize,
    complete: bool,
    caches: ByRegistration<FamilyCache>,
    /// This render, counted from 1.
    render: u64,
    /// The last render, if it rendered every family (no name filter), and its format: its
    /// output is `prev` during the next render.
    previous: Option<(u64, Format)>,
    /// The render whose output this one may copy unchanged families from (the previous one if
    /// it had the same format and neither has a name filter).
    copy_from: Option<u64>,
    /// The values (`coremeter::Values::words`) of the families whose text this render
    /// records, one family after the other.
    words: Vec<u64>,
    /// Whether the current family's name is in its cache only, not yet in `name`.
    name_in_cache: bool,
    /// Whether the current family's header (cached) is still to be written.
    header_pending: bool,
    /// Prefixes of a series that is not cached.
    scratch: Lines,
    /// The labels of the series being rendered: `a="x",b="y"`.
    labels: Vec<u8>,
    /// A state set's label, rendered: `name="state"`.
    extra: Vec<u8>,
    /// The `_min` and `_max` families of statistics, written after the family.
    min: Vec<u8>,
    max: Vec<u8>,
    /// HELP of the current family, kept for the `_min` and `_max` families.
    help: String,
    /// Rendered `le` labels of the bucket layouts seen so far.
    les: Vec<LeLabels>,
}

impl Encoder {
    /// An encoder with empty buffers.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut encoder = coremeter_encode::Encoder::new();
    /// let registry = coremeter::Registry::new();
    /// assert!(encoder.encode(&registry, coremeter_encode::Format::Text)?.is_empty());
    /// # Ok::<(), coremeter_encode::RenderError>(())
    /// ```
    pub fn new() -> Self {
        Encoder::default()
    }

    /// Renders everything in `registry` in `format`.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter_encode::{Encoder, Format};
    ///
    /// let registry = coremeter::Registry::new();
    /// let c = coremeter::Counter::new();
    /// registry.register(coremeter::Opts::new("jobs", "Jobs."), c.clone())?;
    /// let mut encoder = Encoder::new();
    /// let om = String::from_utf8(encoder.encode(&registry, Format::OpenMetrics)?.to_vec())?;
    /// assert!(om.ends_with("jobs_total 0\n# EOF\n"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`render`](Self::render).
    pub fn encode(&mut self, registry: &Registry, format: Format) -> Result<&[u8], RenderError> {
        self.render(registry, &Scrape::new(format))
    }

    /// Renders what `scrape` asks for: its names only, reset-on-read if asked, gzipped if asked
    /// (then the bytes are the gzip stream).
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter_encode::{Encoder, Scrape};
    ///
    /// let registry = coremeter::Registry::new();
    /// let c = coremeter::Counter::new();
    /// registry.register(coremeter::Opts::new("jobs", "Jobs."), c.clone())?;
    /// let scrape = Scrape::negotiate(Some("text/plain"), None);
    /// let mut encoder = Encoder::new();
    /// assert!(encoder.render(&registry, &scrape)?.ends_with(b"jobs_total 0\n"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// A reset scrape's [`Reset`](coremeter::Reset) is committed once the exposition is produced:
    /// what it returns is what the next reset scrape no longer reports (a reply lost on its way
    /// to the client is lost, as with any reset-on-read).
    ///
    /// # Errors
    ///
    /// [`RenderError::Collect`] if a custom collector failed (the error hook was told);
    /// [`RenderError::PartialReset`] if a reset scrape names part of a family. Then nothing is
    /// reset and the bytes rendered are not given out.
    pub fn render(&mut self, registry: &Registry, scrape: &Scrape) -> Result<&[u8], RenderError> {
        if scrape.format == Format::Protobuf {
            let reset = self.protobuf.render(registry, scrape)?;
            let body = self.protobuf.output();
            return Ok(finish(body, scrape.gzip, &mut self.gzipped, reset));
        }
        std::mem::swap(&mut self.out, &mut self.prev);
        std::mem::swap(&mut self.state.words, &mut self.prev_words);
        self.out.clear();
        self.state.words.clear();
        // Grown once here rather than family by family (the two buffers alternate).
        self.state.words.reserve(self.prev_words.len());
        let state = &mut self.state;
        state.render += 1;
        // Only a render of every family (no name filter) records its families' text, and only
        // one of those in the same format can copy from the previous.
        let complete = scrape.names.is_empty();
        state.copy_from = state
            .previous
            .filter(|&(_, format)| complete && format == scrape.format)
            .map(|(render, _)| render);
        state.previous = complete.then_some((state.render, scrape.format));
        state.format = scrape.format;
        state.metric_type = None;
        state.caches.begin();
        state.target_info(&mut self.out, registry.target_labels(), &scrape.names);
        let mut visitor = Render {
            out: &mut self.out,
            prev: &self.prev,
            prev_words: &self.prev_words,
            state,
            filter: &scrape.names,
            reset: scrape.reset,
            refused: None,
        };
        let collected = if scrape.reset {
            registry.collect_and_reset(&mut visitor).map(Some)
        } else {
            registry.collect(&mut visitor).map(|()| None)
        };
        let refused = visitor.refused.take();
        visitor.flush_header();
        visitor.state.end_family(visitor.out);
        visitor.state.finish_cache();
        if scrape.names.is_empty() {
            self.state.caches.sweep();
        }
        let reset = collected?;
        if let Some(refused) = refused {
            return Err(refused);
        }
        if scrape.format == Format::OpenMetrics {
            self.out.extend_from_slice(b"# EOF\n");
        }
        Ok(finish(
            self.out.as_slice(),
            scrape.gzip,
            &mut self.gzipped,
            reset,
        ))
    }
}

/// Renders everything in `registry` in `format` (a text format) into a new string: for tests,
/// debugging and one-off dumps (an exporter keeps an [`Encoder`] instead).
///
/// # Examples
///
/// ```
/// use coremeter::{Gauge, Opts, Registry};
/// use coremeter_encode::{Format, render};
///
/// let registry = Registry::new();
/// let g = Gauge::new();
/// registry.register(Opts::new("queue_depth", "Jobs waiting."), g.clone())?;
/// g.set(7);
/// assert_eq!(
///     render(&registry, Format::OpenMetrics)?,
///     "# HELP queue_depth Jobs waiting.\n# TYPE queue_depth gauge\nqueue_depth 7\n# EOF\n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`Encoder::render`]; [`RenderError::NotText`] for [`Format::Protobuf`].
pub fn render(registry: &Registry, format: Format) -> Result<String, RenderError> {
    if !format.is_text() {
        return Err(RenderError::NotText(format));
    }
    let mut encoder = Encoder::new();
    let bytes = encoder.encode(registry, format)?;
    // Every byte written is either ASCII or copied from a `&str`.
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

/// The visitor a registry drives.
struct Render<'a> {
    out: &'a mut Buf,
    /// The previous render's output.
    prev: &'a Buf,
    prev_words: &'a [u64],
    state: &'a mut State,
    /// The names asked for; empty for everything.
    filter: &'a [String],
    /// Whether this is a reset scrape.
    reset: bool,
    /// Why the render must not be served (a reset scrape named part of a family).
    refused: Option<RenderError>,
}

/// How many line prefixes a series of this value has.
fn line_count(value: &Value<'_>) -> usize {
    match value {
        Value::Histogram(h) => h.bounds().len() + 3,
        Value::Summary(_) => 2,
        Value::Statistics(_) => 4,
        Value::StateSet(s) => s.states.len(),
        _ => 1,
    }
}

impl State {
    /// `# HELP`, `# TYPE` and `# UNIT` of a family named `name` + `suffix`. The HELP text is
    /// `help.0`, then `help.1` (a sentence of ours, needing no escapes) after a space.
    fn header(
        &self,
        out: &mut impl Sink,
        suffix: &str,
        type_name: &str,
        help: (&str, &str),
        unit: Option<&str>,
    ) {
        if !help.0.is_empty() || !help.1.is_empty() {
            out.extend_from_slice(b"# HELP ");
            out.extend_from_slice(&self.name);
            out.extend_from_slice(suffix.as_bytes());
            out.push(b' ');
            escape::help(out, help.0, self.format);
            if !help.0.is_empty() && !help.1.is_empty() {
                out.push(b' ');
            }
            out.extend_from_slice(help.1.as_bytes());
            out.push(b'\n');
        }
        out.extend_from_slice(b"# TYPE ");
        out.extend_from_slice(&self.name);
        out.extend_from_slice(suffix.as_bytes());
        out.push(b' ');
        out.extend_from_slice(type_name.as_bytes());
        out.push(b'\n');
        if let Some(unit) = unit {
            out.extend_from_slice(b"# UNIT ");
            out.extend_from_slice(&self.name);
            out.push(b' ');
            out.extend_from_slice(unit.as_bytes());
            out.push(b'\n');
        }
    }

    /// Writes `target_info` if there are target labels and `filter` lets it through.
    fn target_info(&mut self, out: &mut Buf, labels: &[(String, String)], filter: &[String]) {
        if labels.is_empty() || !target::wanted(filter) {
            return;
        }
        self.name.clear();
        self.name.extend_from_slice(b"target");
        let help = (target::HELP, "");
        match self.format {
            Format::OpenMetrics => self.header(out, "", "info", help, None),
            // The protobuf exposition has a renderer of its own (`crate::protobuf`).
            Format::Text | Format::Protobuf => {
                self.header(out, SampleSuffix::Info.as_str(), "gauge", help, None)
            }
        }
        self.labels.clear();
        for (name, value) in labels {
            push_label(&mut self.labels, name, value);
        }
        head(out, &self.name, INFO_SUFFIX, &self.labels, &[]);
        out.extend_from_slice(b"1\n");
    }

    /// Ends the current family's use of its cache: series beyond those read are gone, and if
    /// they were read one by one and all cached, the cache holds the version they offered.
    #[inline]
    fn finish_cache(&mut self) {
        if let Some(slot) = self.cache.take()
            && !self.taken
        {
            let cache = self.caches.get(slot);
            cache.truncate(self.position);
            if let Some(version) = self.offered.filter(|_| self.complete) {
                cache.version = Some(version);
            }
        }
        self.offered = None;
        self.taken = false;
        self.expected = 0;
        self.complete = true;
    }

    /// Writes what statistics left for after their family (their `_min` and `_max` families).
    #[inline]
    fn end_family(&mut self, out: &mut Buf) {
        if self.metric_type == Some(MetricType::Statistics) {
            self.end_statistics(out);
        }
    }

    /// [`end_family`](Self::end_family) after a statistics family (rare: out of line).
    #[cold]
    #[inline(never)]
    fn end_statistics(&mut self, out: &mut Buf) {
        self.metric_type = None;
        let help = std::mem::take(&mut self.help);
        if !self.min.is_empty() {
            self.header(
                out,
                SampleSuffix::Min.as_str(),
                "gauge",
                (&help, MIN_HELP),
                None,
            );
            out.extend_from_slice(&self.min);
            self.min.clear();
        }
        if !self.max.is_empty() {
            self.header(
                out,
                SampleSuffix::Max.as_str(),
                "gauge",
                (&help, MAX_HELP),
                None,
            );
            out.extend_from_slice(&self.max);
            self.max.clear();
        }
        self.help = help;
    }

    /// Appends the line prefixes of a series with `labels` and `value` to `lines` (the cache's
    /// or the scratch).
    fn build(
        lines: &mut Lines,
        scratch: &mut Vec<u8>,
        extra: &mut Vec<u8>,
        les: &mut Vec<LeLabels>,
        name: &[u8],
        labels: &Labels<'_>,
        value: &Value<'_>,
    ) {
        scratch.clear();
        for (n, v) in labels.iter() {
            push_label(scratch, n, v);
        }
        let labels = &scratch[..];
        let mut line = |suffix: &[u8], extra: &[u8]| {
            head(&mut lines.bytes, name, suffix, labels, extra);
            lines.end_line();
        };
        match value {
            Value::Counter(_) => line(TOTAL_SUFFIX, &[]),
            Value::Histogram(h) => {
                let slot = le_slot(les, h.bounds());
                let le = &les[slot];
                let mut start = 0;
                for &end in &le.ends {
                    line(BUCKET_SUFFIX, &le.text[start..end]);
                    start = end;
                }
                line(COUNT_SUFFIX, &[]);
                line(SUM_SUFFIX, &[]);
            }
            Value::Summary(_) => {
                line(COUNT_SUFFIX, &[]);
                line(SUM_SUFFIX, &[]);
            }
            Value::Statistics(_) => {
                line(COUNT_SUFFIX, &[]);
                line(SUM_SUFFIX, &[]);
                line(MIN_SUFFIX, &[]);
                line(MAX_SUFFIX, &[]);
            }
            Value::Info => line(INFO_SUFFIX, &[]),
            Value::StateSet(s) => {
                // The state label is named after the family.
                let label = std::str::from_utf8(name).unwrap_or("state");
                for st in s.states {
                    extra.clear();
                    push_label(extra, label, st);
                    line(b"", extra);
                }
            }
            _ => line(b"", &[]),
        }
    }
}

/// Appends a family's words to the render's; returns where they are.
#[inline]
fn push_words(all: &mut Vec<u64>, words: &[u64]) -> (usize, usize) {
    let start = all.len();
    all.extend_from_slice(words);
    (start, all.len())
}

/// Appends `name="value"` (escaped), with a comma if `dst` is not empty.
#[inline]
fn push_label(dst: &mut Vec<u8>, name: &str, value: &str) {
    if !dst.is_empty() {
        dst.push(b',');
    }
    dst.extend_from_slice(name.as_bytes());
    dst.extend_from_slice(b"=\"");
    escape::label_value(dst, value);
    dst.push(b'"');
}

/// Writes `name suffix{labels,extra} ` (braces only when there are labels).
#[inline]
fn head(out: &mut impl Sink, name: &[u8], suffix: &[u8], labels: &[u8], extra: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(suffix);
    match (labels.is_empty(), extra.is_empty()) {
        (true, true) => {}
        (false, true) => {
            out.push(b'{');
            out.extend_from_slice(labels);
            out.push(b'}');
        }
        (true, false) => {
            out.push(b'{');
            out.extend_from_slice(extra);
            out.push(b'}');
        }
        (false, false) => {
            out.push(b'{');
            out.extend_from_slice(labels);
            out.push(b',');
            out.extend_from_slice(extra);
            out.push(b'}');
        }
    }
    out.push(b' ');
}

/// Whether OpenMetrics accepts `v` as a counter-like value: not negative, not NaN.
#[inline]
fn counter_like(v: f64) -> bool {
    v >= 0.0
}

/// Writes an OpenMetrics exemplar: ` # {labels} value timestamp`.
fn exemplar(out: &mut impl Sink, e: &Exemplar) {
    out.extend_from_slice(b" # {");
    for (i, (name, value)) in e.labels().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"=\"");
        escape::label_value(out, value);
        out.push(b'"');
    }
    out.extend_from_slice(b"} ");
    write_float(out, e.value());
    out.push(b' ');
    write_float(out, e.timestamp());
}

/// Writes the `_count` and `_sum` lines of a summary or statistics series, after their
/// `prefixes`. OpenMetrics: a negative or NaN sum (of negative observations) is left out.
fn count_and_sum(
    out: &mut Buf,
    prefixes: (&[u8], &[u8]),
    count: u64,
    sum: f64,
    selected: u16,
    om: bool,
) {
    if selected & COUNT != 0 {
        out.extend_from_slice(prefixes.0);
        write_u64(out, count);
        out.push(b'\n');
    }
    if selected & SUM != 0 && (!om || counter_like(sum)) {
        out.extend_from_slice(prefixes.1);
        write_float(out, sum);
        out.push(b'\n');
    }
}

/// Writes the sample lines of one series: line prefix `first + k` for line `k` (see
/// [`State::build`] for their order), then the value.
#[allow(clippy::too_many_arguments, reason = "the split borrows of one render")]
#[inline]
fn replay(
    out: &mut Buf,
    min: &mut Vec<u8>,
    max: &mut Vec<u8>,
    lines: &Lines,
    first: usize,
    selected: u16,
    om: bool,
    value: &Value<'_>,
) {
    let line = |k: usize| lines.line(first + k);
    let wants = |bit: u16| selected & bit != 0;
    match value {
        // OpenMetrics forbids a negative or NaN total (only a callback or a custom collector
        // can produce one): such a sample is left out there.
        Value::Counter(c) if wants(TOTAL) && (!om || counter_like(c.value.as_f64())) => {
            out.extend_from_slice(line(0));
            write_number(out, c.value);
            if let Some(e) = c.exemplar.filter(|_| om) {
                exemplar(out, e);
            }
            out.push(b'\n');
        }
        Value::Gauge(n) | Value::Unknown(n) if wants(PLAIN) => {
            out.extend_from_slice(line(0));
            write_number(out, *n);
            out.push(b'\n');
        }
        Value::Histogram(h) => {
            let buckets = h.bounds().len() + 1;
            if wants(BUCKET) {
                for (bucket, (_, count)) in h.cumulative().enumerate() {
                    out.extend_from_slice(line(bucket));
                    write_u64(out, count);
                    if let Some(e) = h.exemplar(bucket).filter(|_| om) {
                        exemplar(out, e);
                    }
                    out.push(b'\n');
                }
            }
            // OpenMetrics: a `_sum` is a counter (not negative, not NaN) and is not allowed
            // with negative bounds, and `_count` comes only with `_sum`; where they cannot
            // be written, the `+Inf` bucket still gives the count.
            let totals =
                !om || (counter_like(h.sum()) && h.bounds().first().is_none_or(|&b| b >= 0.0));
            if wants(COUNT) && totals {
                out.extend_from_slice(line(buckets));
                write_u64(out, h.count());
                out.push(b'\n');
            }
            if wants(SUM) && totals {
                out.extend_from_slice(line(buckets + 1));
                write_float(out, h.sum());
                out.push(b'\n');
            }
        }
        Value::Summary(s) => {
            count_and_sum(out, (line(0), line(1)), s.count, s.sum, selected, om);
        }
        Value::Statistics(s) => {
            count_and_sum(out, (line(0), line(1)), s.count, s.sum, selected, om);
            // The extremes form gauge families of their own, after this one.
            if let Some(v) = s.min.filter(|_| wants(MIN)) {
                min.extend_from_slice(line(2));
                write_float(min, v);
                min.push(b'\n');
            }
            if let Some(v) = s.max.filter(|_| wants(MAX)) {
                max.extend_from_slice(line(3));
                write_float(max, v);
                max.push(b'\n');
            }
        }
        Value::Info if wants(INFO) => {
            out.extend_from_slice(line(0));
            out.extend_from_slice(b"1\n");
        }
        Value::StateSet(s) if wants(PLAIN) => {
            for i in 0..s.states.len() {
                out.extend_from_slice(line(i));
                out.extend_from_slice(if i == s.current { b"1\n" } else { b"0\n" });
            }
        }
        // Not selected, or a type this encoder does not know yet: nothing rather than
        // something wrong.
        _ => {}
    }
}

impl Visitor for Render<'_> {
    fn wants(&mut self, descriptor: &Descriptor) -> bool {
        match select(self.filter, self.reset, descriptor) {
            Ok(selected) => {
                self.state.selected = selected;
                selected != 0
            }
            Err(refused) => {
                self.state.selected = 0;
                self.refused.get_or_insert(refused);
                false
            }
        }
    }

    fn family(&mut self, d: &Descriptor) {
        self.flush_header();
        let state = &mut *self.state;
        state.end_family(self.out);
        state.finish_cache();
        let t = d.metric_type();
        state.metric_type = Some(t);
        state.position = 0;
        state.cache = d.registration().map(|r| state.caches.family(r));
        let om = state.format == Format::OpenMetrics;
        // The name is needed to render a header or a series' prefixes, which a warm scrape
        // seldom does: a cached family keeps a copy, taken into `name` only when needed (see
        // `miss`), so that a scrape does not read every family's name.
        state.name_in_cache = match state.cache {
            Some(slot) => {
                let cache = state.caches.get(slot);
                if cache.name.is_empty() {
                    cache.name.extend_from_slice(d.name().as_bytes());
                }
                t != MetricType::Statistics && !cache.headers[usize::from(om)].is_empty()
            }
            None => false,
        };
        if !state.name_in_cache {
            state.name.clear();
            state.name.extend_from_slice(d.name().as_bytes());
        }
        let (suffix, type_name) = match (t, om) {
            (MetricType::Counter, false) => (SampleSuffix::Total.as_str(), "counter"),
            (MetricType::Info, false) => (SampleSuffix::Info.as_str(), "gauge"),
            (MetricType::StateSet, false) => ("", "gauge"),
            (MetricType::Statistics, _) => ("", "summary"),
            (MetricType::Unknown, false) => ("", "untyped"),
            (t, _) => ("", t.as_str()),
        };
        // OpenMetrics: info and state sets have no unit; neither has text 0.0.4.
        let unit = d
            .unit()
            .filter(|_| om && !matches!(t, MetricType::Info | MetricType::StateSet));
        let help = (d.help(), "");
        match state.cache {
            Some(slot) => {
                // Written when the family's first line is, unless its lines and this header
                // are copied from the previous render together (see `values`).
                let header = &mut state.caches.get(slot).headers[usize::from(om)];
                if header.is_empty() {
                    let mut h = std::mem::take(header);
                    state.header(&mut h, suffix, type_name, help, unit);
                    state.caches.get(slot).headers[usize::from(om)] = h;
                }
                state.header_pending = true;
            }
            None => state.header(self.out, suffix, type_name, help, unit),
        }
        if t == MetricType::Statistics {
            state.help.clear();
            state.help.push_str(d.help());
        }
    }

    fn values(&mut self, values: &Values<'_>) -> bool {
        // Taken if the family's cache holds the lines of this version's series; else its series
        // come one by one, and once all of them are cached, the cache holds this version.
        let state = &mut *self.state;
        let version = values.version();
        state.offered = Some(version);
        state.taken = match state.cache {
            Some(slot) => state.caches.get(slot).version == Some(version),
            None => false,
        };
        let Some(slot) = state.cache.filter(|_| state.taken) else {
            // The series follow: the first one cached tells how much room the others need.
            state.expected = values.len();
            return false;
        };
        // A family whose values are those it was last rendered with, to the bit, has the same
        // lines as then: if that was the previous render, they are copied from its output.
        // Exemplars are not in the words, so a family that has some (in OpenMetrics, where they
        // are written) is always rendered.
        let om = state.format == Format::OpenMetrics;
        let cacheable =
            self.filter.is_empty() && !(om && values.exemplar_series().next().is_some());
        let cache = state.caches.get(slot);
        // The family's text starts with its header. Its words are kept in one buffer per
        // render, family after family, which a render reads in order.
        let start = self.out.len();
        let words = values.words();
        if cacheable
            && let Some(text) = cache.text
            && Some(text.scrape) == state.copy_from
            && self.prev_words.get(text.words.0..text.words.1) == Some(words)
        {
            self.out
                .extend_from_slice(&self.prev.as_slice()[text.start..text.end]);
            state.header_pending = false;
        } else {
            self.flush_header();
            if !self.render_values(slot, values) {
                return false;
            }
        }
        // Recorded for the next render to copy.
        let state = &mut *self.state;
        let cache = state.caches.get(slot);
        cache.text = cacheable.then(|| Text {
            scrape: state.render,
            start,
            end: self.out.len(),
            words: push_words(&mut state.words, words),
        });
        true
    }

    #[inline]
    fn series(&mut self, labels: &Labels<'_>, value: &Value<'_>) {
        self.flush_header();
        let state = &mut *self.state;
        let position = state.position;
        state.position += 1;
        // The hit path: the series is the one cached at this position.
        if let Some(slot) = state.cache {
            let cache = state.caches.get(slot);
            if let Some((first, end)) = cache.lookup(position, labels.series_key())
                && end - first == line_count(value)
            {
                replay(
                    self.out,
                    &mut state.min,
                    &mut state.max,
                    &cache.lines,
                    first,
                    state.selected,
                    state.format == Format::OpenMetrics,
                    value,
                );
                return;
            }
        }
        self.miss(position, labels, value);
    }
}

impl Render<'_> {
    /// Writes the current family's cached header if it is still to be written.
    #[inline]
    fn flush_header(&mut self) {
        let state = &mut *self.state;
        if std::mem::take(&mut state.header_pending)
            && let Some(slot) = state.cache
        {
            let om = state.format == Format::OpenMetrics;
            self.out
                .extend_from_slice(&state.caches.get(slot).headers[usize::from(om)]);
        }
    }

    /// Writes the sample lines of a family whose values came in bulk, from its cached line
    /// prefixes; `false`, with nothing written, if the cache does not fit them.
    fn render_values(&mut self, slot: usize, values: &Values<'_>) -> bool {
        let state = &mut *self.state;
        let cache = state.caches.get(slot);
        let n = values.len();
        if n == 0 {
            return true;
        }
        let per = line_count(&values.value(0));
        // The version promises this; should it not hold, the values are declined and come
        // series by series (which rebuilds the cache).
        if cache.len() != n || cache.lines.len() != n * per {
            debug_assert!(false, "bulk values do not match the cached version");
            cache.version = None;
            state.taken = false;
            return false;
        }
        let om = state.format == Format::OpenMetrics;
        let (out, min, max, selected) = (
            &mut *self.out,
            &mut state.min,
            &mut state.max,
            state.selected,
        );
        let mut exemplars = values.exemplar_series().filter(|_| om).peekable();
        if exemplars.peek().is_none() && values.number(0).is_some() {
            // Counters and gauges without exemplars: a line each.
            let counter = matches!(values.value(0), Value::Counter(_));
            if selected & if counter { TOTAL } else { PLAIN } == 0 {
                return true;
            }
            // A value is at most 24 bytes (ryu's longest, `-1.2345678901234567e-308`), a line
            // ends with a newline.
            out.reserve(cache.lines.bytes.len() + n * 25);
            for i in 0..n {
                let Some(v) = values.number(i) else { continue };
                // OpenMetrics forbids a negative or NaN total (see `replay`).
                if om && counter && matches!(v, Number::Float(f) if !counter_like(f)) {
                    continue;
                }
                out.extend_from_slice(cache.lines.line(i));
                write_number(out, v);
                out.push(b'\n');
            }
            return true;
        }
        for i in 0..n {
            if exemplars.next_if_eq(&i).is_some() {
                values.with_exemplars(i, |v| {
                    replay(out, min, max, &cache.lines, i * per, selected, om, v);
                });
            } else {
                replay(
                    out,
                    min,
                    max,
                    &cache.lines,
                    i * per,
                    selected,
                    om,
                    &values.value(i),
                );
            }
        }
        true
    }

    /// Renders the prefixes of a series that is not in the cache (into the cache if it can be
    /// cached from now on), then its lines.
    #[cold]
    #[inline(never)]
    fn miss(&mut self, position: usize, labels: &Labels<'_>, value: &Value<'_>) {
        let state = &mut *self.state;
        if std::mem::take(&mut state.name_in_cache)
            && let Some(slot) = state.cache
        {
            state.name.clear();
            state.name.extend_from_slice(&state.caches.get(slot).name);
        }
        let key = labels.series_key();
        let mut cache = match state.cache {
            Some(slot) if cache::cacheable(key) => {
                let cache = state.caches.get(slot);
                cache.truncate(position);
                Some(cache)
            }
            _ => {
                state.complete = false;
                state.scratch.clear();
                None
            }
        };
        let lines = match cache {
            Some(ref mut cache) => &mut cache.lines,
            None => &mut state.scratch,
        };
        let first = lines.len();
        let (scratch, extra, les) = (&mut state.labels, &mut state.extra, &mut state.les);
        State::build(lines, scratch, extra, les, &state.name, labels, value);
        let lines = match cache {
            Some(cache) => {
                cache.push(key, first);
                if position == 0 && state.expected > 1 {
                    cache.reserve_like_last(state.expected - 1);
                }
                &cache.lines
            }
            None => &state.scratch,
        };
        replay(
            self.out,
            &mut state.min,
            &mut state.max,
            lines,
            first,
            state.selected,
            state.format == Format::OpenMetrics,
            value,
        );
    }
}
