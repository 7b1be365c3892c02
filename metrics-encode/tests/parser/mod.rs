//! A strict test-only parser of both exposition formats, for the property tests and the fuzz
//! target: it refuses anything the formats' specifications do not allow in what this encoder
//! writes (bad escapes, raw newlines in values, duplicate label names, a family's metadata after
//! its samples, a name used by two families, samples that belong to no family, a missing or
//! early `# EOF`).

#![allow(dead_code, reason = "each user needs a part")]

use coremeter_encode::Format;

/// Label pairs, in order.
pub(crate) type Pairs = Vec<(String, String)>;

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sample {
    pub(crate) name: String,
    pub(crate) labels: Pairs,
    pub(crate) value: f64,
    /// OpenMetrics: labels, value and timestamp.
    pub(crate) exemplar: Option<(Pairs, f64, Option<f64>)>,
}

/// One family: its metadata and samples.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Family {
    pub(crate) name: String,
    pub(crate) type_name: Option<String>,
    pub(crate) help: Option<String>,
    pub(crate) unit: Option<String>,
    pub(crate) samples: Vec<Sample>,
}

fn is_name(s: &str, colon: bool) -> bool {
    let mut bytes = s.bytes();
    let ok = |b: u8| b.is_ascii_alphabetic() || b == b'_' || (colon && b == b':');
    bytes.next().is_some_and(ok) && bytes.all(|b| ok(b) || b.is_ascii_digit())
}

/// Undoes HELP escapes: `\\` and `\n`, and `\"` in OpenMetrics.
pub(crate) fn unescape_help(s: &str, format: Format) -> Result<String, String> {
    let quotes = format == Format::OpenMetrics;
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('"') if quotes => out.push('"'),
            other => return Err(format!("bad escape \\{other:?} in HELP {s:?}")),
        }
    }
    Ok(out)
}

/// Parses `{a="x",b="y"}` at the start of `s`; returns the pairs and the rest.
pub(crate) fn labels(s: &str) -> Result<(Pairs, &str), String> {
    let Some(mut rest) = s.strip_prefix('{') else {
        return Ok((Vec::new(), s));
    };
    let mut pairs: Pairs = Vec::new();
    loop {
        if let Some(r) = rest.strip_prefix('}') {
            if pairs.is_empty() {
                return Err("empty braces".into());
            }
            return Ok((pairs, r));
        }
        if !pairs.is_empty() {
            rest = rest.strip_prefix(',').ok_or("expected , between labels")?;
        }
        let eq = rest.find('=').ok_or("expected =")?;
        let name = rest[..eq].to_owned();
        if !is_name(&name, false) {
            return Err(format!("invalid label name {name:?}"));
        }
        if pairs.iter().any(|(n, _)| *n == name) {
            return Err(format!("label {name:?} twice"));
        }
        rest = rest[eq + 1..].strip_prefix('"').ok_or("expected \"")?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next() {
                None => return Err("unterminated label value".into()),
                Some((i, '"')) => break i,
                Some((_, '\\')) => match chars.next() {
                    Some((_, '\\')) => value.push('\\'),
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, '"')) => value.push('"'),
                    other => return Err(format!("bad escape {other:?} in a label value")),
                },
                Some((_, '\n')) => return Err("raw newline in a label value".into()),
                Some((_, c)) => value.push(c),
            }
        };
        rest = &rest[end + 1..];
        pairs.push((name, value));
    }
}

/// A sample value: `NaN`, `+Inf`, `-Inf` or a decimal float.
pub(crate) fn value(s: &str) -> Result<f64, String> {
    match s {
        "NaN" => Ok(f64::NAN),
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        _ if s.is_empty()
            || s.contains(|c: char| {
                !(c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
            }) =>
        {
            Err(format!("not a number: {s:?}"))
        }
        _ => s.parse().map_err(|e| format!("{s:?}: {e}")),
    }
}

/// The sample names a family of `type_name` called `family` may have, in `format`.
fn belongs(sample: &str, family: &str, type_name: &str, format: Format) -> bool {
    let suffixes: &[&str] = match (format, type_name) {
        (Format::OpenMetrics, "counter") => &["_total", "_created"],
        (_, "histogram") => &["_bucket", "_count", "_sum", "_created"],
        (_, "summary") => &["", "_count", "_sum", "_created"],
        (Format::OpenMetrics, "info") => &["_info"],
        _ => &[""],
    };
    suffixes
        .iter()
        .any(|s| sample.strip_prefix(family) == Some(*s))
}

/// Parses an exposition in `format`.
pub(crate) fn parse(text: &str, format: Format) -> Result<Vec<Family>, String> {
    let om = format == Format::OpenMetrics;
    let types: &[&str] = if om {
        &[
            "counter",
            "gauge",
            "histogram",
            "gaugehistogram",
            "summary",
            "info",
            "stateset",
            "unknown",
        ]
    } else {
        &["counter", "gauge", "histogram", "summary", "untyped"]
    };
    let body = match text {
        "" => {
            return if om {
                Err("no # EOF".into())
            } else {
                Ok(Vec::new())
            };
        }
        _ => text.strip_suffix('\n').ok_or("no final newline")?,
    };
    let mut families: Vec<Family> = Vec::new();
    let mut eof = false;
    for line in body.split('\n') {
        if eof {
            return Err(format!("line after # EOF: {line:?}"));
        }
        if om && line == "# EOF" {
            eof = true;
            continue;
        }
        if let Some(rest) = line.strip_prefix("# ") {
            let (keyword, rest) = rest
                .split_once(' ')
                .ok_or(format!("bad comment {line:?}"))?;
            let (name, arg) = rest.split_once(' ').unwrap_or((rest, ""));
            if !is_name(name, true) {
                return Err(format!("invalid family name {name:?}"));
            }
            let current = families
                .last_mut()
                .filter(|f| f.name == name && f.samples.is_empty());
            let family = match current {
                Some(f) => f,
                None => {
                    if families.iter().any(|f| f.name == name) {
                        return Err(format!("family {name:?} twice"));
                    }
                    families.push(Family {
                        name: name.to_owned(),
                        ..Family::default()
                    });
                    families.last_mut().expect("just pushed")
                }
            };
            let slot = match keyword {
                "HELP" => &mut family.help,
                "TYPE" => &mut family.type_name,
                "UNIT" if om => &mut family.unit,
                _ => return Err(format!("unknown comment {line:?}")),
            };
            if slot.is_some() {
                return Err(format!("{keyword} twice for {name:?}"));
            }
            *slot = Some(match keyword {
                "HELP" => unescape_help(arg, format)?,
                "TYPE" if types.contains(&arg) => arg.to_owned(),
                "TYPE" => return Err(format!("unknown type {arg:?}")),
                _ => arg.to_owned(),
            });
            continue;
        }
        if line.starts_with('#') {
            return Err(format!("bad comment {line:?}"));
        }
        let name_end = line.find(['{', ' ']).ok_or(format!("no value: {line:?}"))?;
        let name = &line[..name_end];
        if !is_name(name, true) {
            return Err(format!("invalid metric name {name:?}"));
        }
        let (pairs, rest) = labels(&line[name_end..])?;
        let rest = rest
            .strip_prefix(' ')
            .ok_or(format!("expected a space: {line:?}"))?;
        let (v, exemplar) = match rest.split_once(" # ") {
            Some((v, e)) if om => {
                let (elabels, erest) = labels(e)?;
                if elabels.is_empty() && !e.starts_with("{}") {
                    return Err(format!("bad exemplar {e:?}"));
                }
                let erest = erest
                    .strip_prefix(' ')
                    .ok_or("expected a space in exemplar")?;
                let (ev, ts) = match erest.split_once(' ') {
                    Some((ev, ts)) => (value(ev)?, Some(value(ts)?)),
                    None => (value(erest)?, None),
                };
                (v, Some((elabels, ev, ts)))
            }
            _ => (rest, None),
        };
        let sample = Sample {
            name: name.to_owned(),
            labels: pairs,
            value: value(v)?,
            exemplar,
        };
        let family = families
            .last_mut()
            .filter(|f| belongs(name, &f.name, f.type_name.as_deref().unwrap_or(""), format))
            .ok_or(format!("sample {name:?} outside its family"))?;
        family.samples.push(sample);
    }
    if om && !eof {
        return Err("no # EOF".into());
    }
    Ok(families)
}

#[test]
fn the_parser_is_strict() {
    // The properties and the fuzz target can fail: the parser refuses what a broken encoder
    // would write.
    let bad = [
        ("g{a=\"x\ny\"} 1\n", Format::Text),
        ("g{a=\"x\\q\"} 1\n", Format::Text),
        ("# HELP g a \\\" b\ng 1\n", Format::Text),
        ("# TYPE g gauge\ng 1\n", Format::OpenMetrics),
        ("g nan\n", Format::Text),
        ("g 1", Format::Text),
        ("g{a=\"1\",a=\"2\"} 1\n", Format::Text),
        ("# TYPE g gauge\ng 1\n# TYPE g gauge\n", Format::Text),
        ("# TYPE c_total counter\nd 1\n", Format::Text),
        ("# EOF\ng 1\n", Format::OpenMetrics),
    ];
    for (text, format) in bad {
        assert!(parse(text, format).is_err(), "{text:?} parsed");
    }
    let ok = parse(
        "# HELP g a \\\\ b\\n\n# TYPE g gauge\ng{a=\"\\\"\"} NaN\n",
        Format::Text,
    )
    .expect("valid");
    assert_eq!(ok[0].help.as_deref(), Some("a \\ b\n"));
    assert_eq!(ok[0].samples[0].labels[0].1, "\"");
}
