//! A series' value field whose encoding has one length whatever the value (a counter's or a
//! gauge's `double`, without an exemplar): encoded by prost once per family, then per series only
//! the value's 8 bytes replaced. The bytes are prost's: the template is made by encoding two values
//! and used only if they differ in exactly those 8 bytes, the values' little-endian bits.

/// A value field's encoding, with the place of the value's bytes in it.
#[derive(Debug)]
pub(super) struct FixedValue {
    bytes: Vec<u8>,
    at: usize,
}

impl FixedValue {
    /// The template of `encode`'s output, if it writes every value with one length and the
    /// value's little-endian bytes last (`None`: the caller encodes each value itself).
    pub(super) fn new(mut encode: impl FnMut(f64, &mut Vec<u8>)) -> Option<FixedValue> {
        const PROBES: [f64; 2] = [1.5, -2.75e300];
        let [a, b] = PROBES.map(|v| {
            let mut out = Vec::new();
            encode(v, &mut out);
            out
        });
        let at = a.len().checked_sub(8)?;
        let fixed = a.len() == b.len()
            && a[..at] == b[..at]
            && a[at..] == PROBES[0].to_le_bytes()
            && b[at..] == PROBES[1].to_le_bytes();
        fixed.then_some(FixedValue { bytes: a, at })
    }

    /// The encoding of `v`.
    #[cfg(test)]
    fn with(&mut self, v: f64) -> &[u8] {
        self.bytes[self.at..].copy_from_slice(&v.to_le_bytes());
        &self.bytes
    }

    /// What every value's encoding starts with; the value's little-endian bytes follow.
    pub(super) fn head(&self) -> &[u8] {
        &self.bytes[..self.at]
    }

    /// The length of every value's encoding.
    pub(super) fn len(&self) -> usize {
        self.bytes.len()
    }
}

#[cfg(test)]
mod tests {
    use prost::Message as _;

    use super::super::messages::{Counter, Metric};
    use super::*;

    fn counter(v: f64, out: &mut Vec<u8>) {
        let m = Metric {
            counter: Some(Counter {
                value: Some(v),
                ..Counter::default()
            }),
            ..Metric::default()
        };
        m.encode(out).unwrap();
    }

    #[test]
    fn the_template_is_what_prost_writes_for_every_value() {
        let mut fixed = FixedValue::new(counter).unwrap();
        for v in [
            0.0,
            -0.0,
            1.0,
            1e-300,
            f64::MAX,
            f64::INFINITY,
            f64::NAN,
            12345.678,
        ] {
            let mut expected = Vec::new();
            counter(v, &mut expected);
            assert_eq!(fixed.with(v), expected, "{v}");
        }
    }

    #[test]
    fn an_encoding_whose_length_varies_has_no_template() {
        // A value written as a varint: its length depends on it.
        assert!(
            FixedValue::new(|v, out| prost::encoding::encode_varint(v.abs() as u64, out)).is_none()
        );
        // The value's bytes not last.
        assert!(
            FixedValue::new(|v, out| {
                out.extend_from_slice(&v.to_le_bytes());
                out.push(1);
            })
            .is_none()
        );
    }
}
