//! The prefix cache: each series' sample lines up to their values (`name_total{a="x"} `),
//! rendered at the first scrape that sees the series and copied at the next ones.
//!
//! What a line prefix holds (name, constant labels, label names and values) is fixed for a
//! registration and a series key (`coremeter::Descriptor::registration`,
//! `coremeter::Labels::series_key`), so a series whose key is the one cached at its position
//! in its family reuses the prefixes; any other series (new, moved, or without a key) has its
//! prefixes rendered again. Values, exemplars and the choice of lines are never cached.

use coremeter::{SeriesKey, SeriesListVersion};

/// Line prefixes, one after the other.
#[derive(Debug)]
pub(crate) struct Lines {
    pub(crate) bytes: Vec<u8>,
    /// Where each prefix starts in `bytes`, then where the last one ends: prefix `i` is
    /// `bytes[ends[i]..ends[i + 1]]`.
    ends: Vec<u32>,
}

impl Default for Lines {
    fn default() -> Self {
        Lines {
            bytes: Vec::new(),
            ends: vec![0],
        }
    }
}

impl Lines {
    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.ends.truncate(1);
    }

    /// The number of prefixes.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.ends.len() - 1
    }

    /// Ends the prefix being written at the end of `bytes`.
    #[inline]
    pub(crate) fn end_line(&mut self) {
        self.ends.push(self.bytes.len() as u32);
    }

    /// Prefix `i`.
    #[inline]
    pub(crate) fn line(&self, i: usize) -> &[u8] {
        &self.bytes[self.ends[i] as usize..self.ends[i + 1] as usize]
    }

    fn truncate(&mut self, lines: usize) {
        self.ends.truncate(lines + 1);
        self.bytes.truncate(self.ends[lines] as usize);
    }
}

/// The cached series of one registered family, in the order the last scrape saw them.
#[derive(Debug, Default)]
pub(crate) struct FamilyCache {
    /// The series' keys, one after the other (see [`store_key`]).
    keys: Vec<u8>,
    /// Per series: where its key ends in `keys` and its last line ends in `lines.ends`.
    series: Vec<(u32, u32)>,
    pub(crate) lines: Lines,
    /// The family's name (fixed for its registration).
    pub(crate) name: Vec<u8>,
    /// The family's `# HELP`/`# TYPE`/`# UNIT` lines in text 0.0.4 and in OpenMetrics, rendered
    /// when first needed.
    pub(crate) headers: [Vec<u8>; 2],
    /// The version whose series the cache holds, all of them and in order, if it is known: the
    /// family's values can then be taken in bulk.
    pub(crate) version: Option<SeriesListVersion>,
    /// Where the family's text (header and sample lines) is in the output of the render that
    /// last wrote it, with the values it was written with, if it can be copied from there.
    pub(crate) text: Option<Text>,
}

/// Where a family's sample lines are in the output of a scrape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Text {
    /// The render that wrote them.
    pub(crate) scrape: u64,
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// Where the values are in that render's words.
    pub(crate) words: (usize, usize),
}

impl FamilyCache {
    /// The lines `first..end` of the series at `position` if its cached key is `key`.
    #[inline]
    pub(crate) fn lookup(&self, position: usize, key: SeriesKey<'_>) -> Option<(usize, usize)> {
        let &(key_end, line_end) = self.series.get(position)?;
        let (key_start, line_start) = match position {
            0 => (0, 0),
            _ => self.series[position - 1],
        };
        key_matches(&self.keys[key_start as usize..key_end as usize], key)
            .then_some((line_start as usize, line_end as usize))
    }

    /// Forgets the series from `position` on; the caller then appends the one at `position`
    /// ([`push`](Self::push) after writing its lines).
    pub(crate) fn truncate(&mut self, position: usize) {
        if position >= self.series.len() {
            return;
        }
        self.version = None;
        self.text = None;
        self.series.truncate(position);
        let (key_end, line_end) = self.series.last().copied().unwrap_or((0, 0));
        self.keys.truncate(key_end as usize);
        self.lines.truncate(line_end as usize);
    }

    /// The number of series cached.
    pub(crate) fn len(&self) -> usize {
        self.series.len()
    }

    /// Makes room for `more` series like the last one cached (its key, its lines), so that
    /// filling a family's cache series by series grows each buffer once.
    pub(crate) fn reserve_like_last(&mut self, more: usize) {
        let Some(&(key_end, line_end)) = self.series.last() else {
            return;
        };
        let (key_start, line_start) = match self.series.len() {
            1 => (0, 0),
            n => self.series[n - 2],
        };
        let lines = (line_end - line_start) as usize;
        let line_bytes = self.lines.ends[line_end as usize] - self.lines.ends[line_start as usize];
        self.series.reserve(more);
        self.keys.reserve(more * (key_end - key_start) as usize);
        self.lines.ends.reserve(more * lines);
        self.lines.bytes.reserve(more * line_bytes as usize);
    }

    /// Records the series whose lines were just appended, under `key`; returns its lines.
    pub(crate) fn push(&mut self, key: SeriesKey<'_>, first_line: usize) -> (usize, usize) {
        self.version = None;
        self.text = None;
        store_key(&mut self.keys, key);
        let end = self.lines.len();
        self.series.push((self.keys.len() as u32, end as u32));
        (first_line, end)
    }
}

/// Whether `key` can be cached.
#[inline]
pub(crate) fn cacheable(key: SeriesKey<'_>) -> bool {
    matches!(key, SeriesKey::Index(_) | SeriesKey::Bytes(_))
}

/// Appends `key`: `0` and 4 bytes for an index, `1` and the bytes for bytes.
fn store_key(keys: &mut Vec<u8>, key: SeriesKey<'_>) {
    match key {
        SeriesKey::Index(i) => {
            keys.push(0);
            keys.extend_from_slice(&i.to_le_bytes());
        }
        SeriesKey::Bytes(b) => {
            keys.push(1);
            keys.extend_from_slice(b);
        }
        _ => keys.push(2),
    }
}

#[inline]
fn key_matches(stored: &[u8], key: SeriesKey<'_>) -> bool {
    match (stored.split_first(), key) {
        (Some((0, rest)), SeriesKey::Index(i)) => rest == i.to_le_bytes(),
        (Some((1, rest)), SeriesKey::Bytes(b)) => rest == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_only_themselves() {
        let mut keys = Vec::new();
        store_key(&mut keys, SeriesKey::Index(7));
        assert!(key_matches(&keys, SeriesKey::Index(7)));
        assert!(!key_matches(&keys, SeriesKey::Index(8)));
        assert!(!key_matches(&keys, SeriesKey::Bytes(&[7, 0, 0, 0])));
        keys.clear();
        store_key(&mut keys, SeriesKey::Bytes(b"ab\xffc"));
        assert!(key_matches(&keys, SeriesKey::Bytes(b"ab\xffc")));
        assert!(!key_matches(&keys, SeriesKey::Bytes(b"a\xffbc")));
        keys.clear();
        store_key(&mut keys, SeriesKey::Unkeyed);
        assert!(!key_matches(&keys, SeriesKey::Unkeyed));
    }

    #[test]
    fn a_changed_series_is_rendered_again_and_the_rest_after_it() {
        let mut f = FamilyCache::default();
        for (i, text) in [b"a ", b"b ", b"c "].iter().enumerate() {
            assert_eq!(f.lookup(i, SeriesKey::Index(i as u32)), None);
            f.lines.bytes.extend_from_slice(*text);
            f.lines.end_line();
            assert_eq!(f.push(SeriesKey::Index(i as u32), i), (i, i + 1));
        }
        assert_eq!(f.lookup(1, SeriesKey::Index(1)), Some((1, 2)));
        assert_eq!(f.lines.line(1), b"b ");
        // Position 1 now holds another series: it and what follows are dropped.
        assert_eq!(f.lookup(1, SeriesKey::Index(5)), None);
        f.truncate(1);
        assert_eq!(f.lookup(2, SeriesKey::Index(2)), None);
        assert_eq!(f.lines.bytes, b"a ");
        assert_eq!(f.lookup(0, SeriesKey::Index(0)), Some((0, 1)));
    }
}
