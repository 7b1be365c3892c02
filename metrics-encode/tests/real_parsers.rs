//! The exposition of a registry holding every metric type, read by real parsers:
//! `promtool check metrics` (Prometheus' own linter, text 0.0.4) and Python `prometheus_client`'s
//! text and OpenMetrics parsers, whose samples must equal the registry's values.
//!
//! They need `promtool` (Debian package `prometheus`) and `prometheus_client` (PyPI);
//! `bash .ci/test` installs both before running the tests.

mod common;

use std::collections::HashMap;
use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use coremeter::{Descriptor, Labels, MetricType, Registry, Value, Visitor};
use coremeter_encode::{Encoder, Format};

/// Runs `program args` with `input` on stdin.
fn run(program: &str, args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run {program} ({e}); `bash .ci/test` installs what the tests need")
        });
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input)
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn render(registry: &Registry, format: Format) -> Vec<u8> {
    Encoder::new()
        .encode(registry, format)
        .expect("renders")
        .to_vec()
}

#[test]
fn promtool_accepts_text_without_a_lint_message() {
    let registry = common::everything();
    let text = render(&registry, Format::Text);
    let out = run("promtool", &["check", "metrics"], &text);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stderr.trim().is_empty() && stdout.trim().is_empty(),
        "promtool: {}\n{stdout}{stderr}\n--- input:\n{}",
        out.status,
        String::from_utf8_lossy(&text)
    );
}

#[test]
fn promtool_rejects_a_broken_exposition() {
    // The check above can fail: promtool does report problems.
    let out = run(
        "promtool",
        &["check", "metrics"],
        b"bad_total{a=\"x\"y\"} 1\n",
    );
    assert!(!out.status.success());
    let out = run(
        "promtool",
        &["check", "metrics"],
        b"# TYPE no_help gauge\nno_help 1\n",
    );
    assert_eq!(out.status.code(), Some(3), "lint problems give status 3");
}

/// Parses `text` with Python's parser for `format`: (family, type, sample name, labels, value,
/// exemplar, family HELP) per sample.
const PARSE: &str = r#"
import sys
from prometheus_client.parser import text_string_to_metric_families as text
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om
parse = om if sys.argv[1] == 'om' else text
data = sys.stdin.buffer.read().decode('utf-8')
def pairs(d):
    return '\x1e'.join(k + '\x1d' + v for k, v in sorted(d.items()))
records = []
for f in parse(data):
    for s in f.samples:
        ex = ''
        if s.exemplar:
            ex = pairs(s.exemplar.labels) + '\x1c' + repr(float(s.exemplar.value))
        records.append('\x1f'.join([f.name, f.type, s.name, pairs(s.labels), repr(float(s.value)), ex, f.documentation]))
sys.stdout.buffer.write('\x00'.join(records).encode('utf-8'))
"#;

/// Label pairs.
type Pairs = Vec<(String, String)>;

#[derive(Debug, Clone, PartialEq)]
struct Parsed {
    family: String,
    family_type: String,
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
    exemplar: Option<(Vec<(String, String)>, f64)>,
    help: String,
}

fn pairs(s: &str) -> Vec<(String, String)> {
    if s.is_empty() {
        return Vec::new();
    }
    s.split('\x1e')
        .map(|p| {
            let (k, v) = p.split_once('\x1d').expect("pair");
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

fn python(format: &str, input: &[u8]) -> Vec<Parsed> {
    let out = run("python3", &["-c", PARSE, format], input);
    assert!(
        out.status.success(),
        "Python's {format} parser refused the exposition: {}\n--- input:\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(input)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    stdout
        .split('\0')
        .filter(|r| !r.is_empty())
        .map(|record| {
            let f: Vec<&str> = record.split('\x1f').collect();
            assert_eq!(f.len(), 7, "{record:?}");
            Parsed {
                family: f[0].to_owned(),
                family_type: f[1].to_owned(),
                name: f[2].to_owned(),
                labels: pairs(f[3]),
                value: parse_float(f[4]),
                exemplar: (!f[5].is_empty()).then(|| {
                    let (labels, value) = f[5].split_once('\x1c').expect("exemplar");
                    (pairs(labels), parse_float(value))
                }),
                help: f[6].to_owned(),
            }
        })
        .collect()
}

fn parse_float(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("float {s:?}"))
}

/// A sample's identity: name and labels sorted, `le` normalised to its number.
type Key = (String, Vec<(String, String)>);

fn key(name: &str, labels: &[(String, String)]) -> Key {
    let mut labels: Vec<(String, String)> = labels
        .iter()
        .map(|(n, v)| {
            let v = if n == "le" {
                format!("{:?}", parse_float(v))
            } else {
                v.clone()
            };
            (n.clone(), v)
        })
        .collect();
    labels.sort();
    (name.to_owned(), labels)
}

/// What the registry holds, as samples, plus the `target_info` sample the encoders add.
fn expected(registry: &Registry) -> HashMap<Key, f64> {
    let mut want: HashMap<Key, f64> = HashMap::new();
    for s in registry.samples() {
        let previous = want.insert(key(&s.name, &s.labels), s.value);
        assert!(previous.is_none(), "the registry has {} twice", s.name);
    }
    let target: Vec<(String, String)> = registry.target_labels().to_vec();
    want.insert(key("target_info", &target), 1.0);
    want
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// Every parsed sample is one the registry has, with its value; none is parsed twice; every
/// expected sample except `omitted` was parsed.
fn compare(parsed: &[Parsed], mut want: HashMap<Key, f64>, omitted: &[&str]) {
    for p in parsed {
        let k = key(&p.name, &p.labels);
        let Some(v) = want.remove(&k) else {
            panic!("parsed a sample the registry does not have (or twice): {p:?}");
        };
        assert!(same(p.value, v), "{k:?}: parsed {}, registry {v}", p.value);
    }
    let mut left: Vec<&Key> = want.keys().collect();
    left.sort();
    let names: Vec<&str> = left.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, omitted, "samples not parsed: {left:?}");
}

#[test]
fn python_text_parser_reads_every_value() {
    let registry = common::everything();
    let parsed = python("text", &render(&registry, Format::Text));
    compare(&parsed, expected(&registry), &[]);
    assert_eq!(parsed_families(&parsed), families(&registry, Format::Text));
}

/// The families a registry collects: (name, type, HELP) as Python's parser for `format` names
/// them, in order, `target` first.
struct Families(Format, Vec<(String, &'static str, String)>);

impl Visitor for Families {
    fn family(&mut self, d: &Descriptor) {
        let (name, help) = (d.name().to_owned(), d.help().to_owned());
        let text = self.0 == Format::Text;
        let family = match d.metric_type() {
            MetricType::Statistics => {
                self.1.push((name.clone(), "summary", help.clone()));
                let min = format!("{help} Smallest observation.");
                let max = format!("{help} Largest observation.");
                self.1.push((format!("{name}_min"), "gauge", min));
                (format!("{name}_max"), "gauge", max)
            }
            MetricType::Info if text => (format!("{name}_info"), "gauge", help),
            MetricType::StateSet if text => (name, "gauge", help),
            t => (name, t.as_str(), help),
        };
        self.1.push(family);
    }
    fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
}

fn families(registry: &Registry, format: Format) -> Vec<(String, &'static str, String)> {
    let mut families = Families(format, Vec::new());
    registry.collect(&mut families).expect("collects");
    let target = match format {
        Format::Text => ("target_info".to_owned(), "gauge"),
        _ => ("target".to_owned(), "info"),
    };
    families
        .1
        .insert(0, (target.0, target.1, "Target metadata.".to_owned()));
    families.1
}

/// The families as parsed, in order.
fn parsed_families(parsed: &[Parsed]) -> Vec<(String, &str, String)> {
    let mut got: Vec<(String, &str, String)> = Vec::new();
    for p in parsed {
        if got.last().is_none_or(|(f, _, _)| *f != p.family) {
            got.push((p.family.clone(), p.family_type.as_str(), p.help.clone()));
        }
    }
    got
}

#[test]
fn python_openmetrics_parser_reads_every_value_exemplar_and_type() {
    let registry = common::everything();
    let parsed = python("om", &render(&registry, Format::OpenMetrics));

    // OpenMetrics does not allow a negative `_sum`, nor `_sum` with negative buckets (and then
    // no `_count`): the fixture has one of each, which the encoder leaves out.
    compare(
        &parsed,
        expected(&registry),
        &["balance_change_sum", "clock_drift_count", "clock_drift_sum"],
    );

    // Families with their types and HELP, in order (the fixture observes every statistics
    // family, so each has `_min` and `_max` samples).
    assert_eq!(
        parsed_families(&parsed),
        families(&registry, Format::OpenMetrics)
    );

    let exemplars: Vec<(&str, &Pairs, f64)> = parsed
        .iter()
        .filter_map(|p| p.exemplar.as_ref().map(|(l, v)| (p.name.as_str(), l, *v)))
        .collect();
    let trace = |id: &str| vec![("trace_id".to_owned(), id.to_owned())];
    assert_eq!(
        exemplars,
        [
            ("cpu_seconds_total", &trace("4bf92f3577b34da6"), 0.5),
            ("request_duration_seconds_bucket", &trace("a1b2"), 0.07),
        ]
    );
    let bucket = parsed
        .iter()
        .find(|p| p.exemplar.is_some() && p.name.ends_with("_bucket"))
        .expect("bucket exemplar");
    assert_eq!(
        bucket
            .labels
            .iter()
            .find(|(n, _)| n == "le")
            .map(|(_, v)| v.as_str()),
        Some("0.1")
    );
}

#[test]
fn python_openmetrics_parser_rejects_a_broken_exposition() {
    // The checks above can fail: without `# EOF` the parser refuses.
    let out = run("python3", &["-c", PARSE, "om"], b"# TYPE g gauge\ng 1\n");
    assert!(!out.status.success());
}
