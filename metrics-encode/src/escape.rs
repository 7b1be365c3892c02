//! Escaping of label values and HELP text.
//!
//! - Label values, both formats: `\` -> `\\`, `"` -> `\"`, line feed -> `\n`
//!   (<https://prometheus.io/docs/instrumenting/exposition_formats/#text-format-details>;
//!   OpenMetrics 1.0, "Escaping").
//! - HELP in OpenMetrics: the same three.
//! - HELP in text 0.0.4: `\` and line feed only; a `\"` there would be an invalid escape.

use crate::Format;
use crate::buf::Sink;

#[inline(always)]
fn special(b: u8) -> bool {
    b == b'\\' || b == b'"' || b == b'\n'
}

/// Writes a label value, escaped.
#[inline]
pub(crate) fn label_value(out: &mut impl Sink, value: &str) {
    let bytes = value.as_bytes();
    if !bytes.iter().any(|&b| special(b)) {
        out.extend_from_slice(bytes);
        return;
    }
    escape(out, bytes, true);
}

/// Writes HELP text, escaped for `format`.
pub(crate) fn help(out: &mut impl Sink, help: &str, format: Format) {
    escape(out, help.as_bytes(), format == Format::OpenMetrics);
}

fn escape(out: &mut impl Sink, bytes: &[u8], quotes: bool) {
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'"' if quotes => b"\\\"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escaped);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(f: impl Fn(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn rules() {
        assert_eq!(esc(|o| label_value(o, "plain é")), "plain é");
        assert_eq!(esc(|o| label_value(o, "a\\b\"c\nd")), "a\\\\b\\\"c\\nd");
        assert_eq!(
            esc(|o| help(o, "say \"hi\"\\\n", Format::Text)),
            "say \"hi\"\\\\\\n"
        );
        assert_eq!(
            esc(|o| help(o, "say \"hi\"\\\n", Format::OpenMetrics)),
            "say \\\"hi\\\"\\\\\\n"
        );
    }
}
