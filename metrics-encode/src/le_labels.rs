//! The rendered `le` labels of the bucket layouts a render has seen.

use crate::number::canonical_float;

/// The rendered `le="..."` labels of one bucket layout.
#[derive(Debug, Default)]
pub(crate) struct LeLabels {
    /// The bounds, as bits.
    pub(crate) bounds: Vec<u64>,
    /// `le="0.005"le="0.01"...le="+Inf"`, one after the other.
    pub(crate) text: Vec<u8>,
    /// Where each one ends in `text`.
    pub(crate) ends: Vec<usize>,
}

/// How many bucket layouts the `le` cache keeps (most programs have a handful).
const LE_CACHE: usize = 16;

/// Finds (or renders) the `le` labels of `bounds` in `les`.
pub(crate) fn le_slot(les: &mut Vec<LeLabels>, bounds: &[f64]) -> usize {
    let same = |c: &LeLabels| {
        c.bounds.len() == bounds.len()
            && c.bounds.iter().zip(bounds).all(|(&a, b)| a == b.to_bits())
    };
    if let Some(i) = les.iter().position(same) {
        return i;
    }
    let mut entry = if les.len() >= LE_CACHE {
        les.remove(0)
    } else {
        LeLabels::default()
    };
    entry.bounds.clear();
    entry.text.clear();
    entry.ends.clear();
    for &b in bounds.iter().chain(&[f64::INFINITY]) {
        entry.bounds.push(b.to_bits());
        entry.text.extend_from_slice(b"le=\"");
        entry.text.extend_from_slice(canonical_float(b).as_bytes());
        entry.text.push(b'"');
        entry.ends.push(entry.text.len());
    }
    entry.bounds.pop();
    les.push(entry);
    les.len() - 1
}
