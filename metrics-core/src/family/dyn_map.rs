//! The children of a dynamic family: encoded label values in an arena, found through a hash
//! index, in insertion order.

use hashbrown::HashTable;

use super::hyperloglog::HyperLogLog;
use crate::plan;
use crate::slab::CellRun;

/// The children of a dynamic family: encoded keys in an arena, found through a hash index.
///
/// Arena entry: `[run id: u32 LE, u32::MAX once removed][key length: LEB128][key bytes]`; the
/// index holds each live entry's offset.
pub(super) struct DynMap<M> {
    pub(super) index: HashTable<u32>,
    pub(super) arena: Vec<u8>,
    /// Changes with every change of the list of series (see `SeriesListVersion`).
    pub(super) version: u64,
    pub(super) live: u32,
    /// Bytes of removed entries, reclaimed by compaction.
    pub(super) garbage: u32,
    pub(super) overflow: Option<Box<Overflow<M>>>,
}

/// A family's overflow series and how many distinct label sets went to it.
pub(super) struct Overflow<M> {
    pub(super) child: M,
    pub(super) folded: HyperLogLog,
}

pub(super) const REMOVED: u32 = u32::MAX;

impl<M> DynMap<M> {
    pub(super) fn new() -> Self {
        DynMap {
            index: HashTable::new(),
            arena: Vec::new(),
            version: 0,
            live: 0,
            garbage: 0,
            overflow: None,
        }
    }

    /// The run id and key of the entry at `at`, and where the next entry starts.
    #[inline]
    pub(super) fn entry(arena: &[u8], at: usize) -> (u32, &[u8], usize) {
        let (id, rest) = arena[at..].split_at(4);
        let id = u32::from_le_bytes([id[0], id[1], id[2], id[3]]);
        let (len, skip) = match rest[0] {
            short @ 0..0x80 => (usize::from(short), 1),
            _ => read_len(rest),
        };
        let start = at + 4 + skip;
        (id, &arena[start..start + len], start + len)
    }

    /// The run id of the entry for `key`, if there is one.
    #[inline]
    pub(super) fn find(&self, hash: u64, key: &[u8]) -> Option<u32> {
        let arena = &self.arena;
        let at = *self
            .index
            .find(hash, |&at| same_key(Self::entry(arena, at as usize).1, key))?;
        let at = at as usize;
        Some(u32::from_le_bytes([
            arena[at],
            arena[at + 1],
            arena[at + 2],
            arena[at + 3],
        ]))
    }

    /// Records a change of the list of series: a new version, a new shape (see [`crate::plan`]).
    pub(super) fn changed(&mut self) {
        self.version += 1;
        plan::reshaped();
    }

    pub(super) fn insert(&mut self, hash: u64, key: &[u8], id: u32) {
        self.changed();
        let at = self.arena.len();
        let needed = 4 + 5 + key.len();
        if self.arena.capacity() - at < needed {
            // Grow by half, not double: the arena is the bulk of a dynamic family's memory.
            let extra = needed.max(self.arena.capacity() / 2);
            self.arena.reserve_exact(extra);
        }
        self.arena.extend_from_slice(&id.to_le_bytes());
        write_len(&mut self.arena, key.len());
        self.arena.extend_from_slice(key);
        let arena = &self.arena;
        self.index.insert_unique(hash, at as u32, |&at| {
            super::hash(Self::entry(arena, at as usize).1)
        });
        self.live += 1;
    }

    pub(super) fn remove(&mut self, hash: u64, key: &[u8]) -> bool {
        let arena = &self.arena;
        let Ok(found) = self
            .index
            .find_entry(hash, |&at| Self::entry(arena, at as usize).1 == key)
        else {
            return false;
        };
        let (at, _) = found.remove();
        self.changed();
        let at = at as usize;
        let (id, _, next) = Self::entry(&self.arena, at);
        self.arena[at..at + 4].copy_from_slice(&REMOVED.to_le_bytes());
        self.live -= 1;
        self.garbage += (next - at) as u32;
        // The map's reference: the cells are freed once no handle is left.
        drop(CellRun::from_id(id));
        if self.garbage as usize > self.arena.len() / 2 {
            self.compact();
        }
        true
    }

    /// Rewrites the arena without removed entries and rebuilds the index.
    pub(super) fn compact(&mut self) {
        let old = std::mem::take(&mut self.arena);
        self.arena.reserve_exact(old.len() - self.garbage as usize);
        self.index.clear();
        let mut at = 0;
        while at < old.len() {
            let (id, key, next) = Self::entry(&old, at);
            if id != REMOVED {
                self.insert(super::hash(key), key, id);
                self.live -= 1;
            }
            at = next;
        }
        self.garbage = 0;
    }

    pub(super) fn clear(&mut self) {
        for (id, _) in self.entries() {
            drop(CellRun::from_id(id));
        }
        self.index = HashTable::new();
        self.arena = Vec::new();
        self.changed();
        self.live = 0;
        self.garbage = 0;
        self.overflow = None;
    }

    /// Live entries, in insertion order.
    pub(super) fn entries(&self) -> impl Iterator<Item = (u32, &[u8])> {
        let arena = &self.arena;
        let mut at = 0;
        std::iter::from_fn(move || {
            while at < arena.len() {
                let (id, key, next) = Self::entry(arena, at);
                at = next;
                if id != REMOVED {
                    return Some((id, key));
                }
            }
            None
        })
    }
}

impl<M> Drop for DynMap<M> {
    fn drop(&mut self) {
        for (id, _) in self.entries() {
            drop(CellRun::from_id(id));
        }
    }
}

/// Whether two keys are equal: keys of up to 32 bytes (most label values) with overlapping
/// 8-byte comparisons instead of a call to `memcmp`.
#[inline(always)]
pub(super) fn same_key(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let n = a.len();
    let word = |s: &[u8], at: usize| {
        u64::from_ne_bytes(
            s.get(at..at + 8)
                .and_then(|w| w.try_into().ok())
                .unwrap_or([0; 8]),
        )
    };
    let eq = |at: usize| word(a, at) == word(b, at);
    match n {
        0..8 => a == b,
        8..=16 => eq(0) && eq(n - 8),
        17..=32 => eq(0) && eq(8) && eq(n - 16) && eq(n - 8),
        _ => a == b,
    }
}

pub(super) fn write_len(out: &mut Vec<u8>, mut len: usize) {
    while len >= 0x80 {
        out.push((len as u8) | 0x80);
        len >>= 7;
    }
    out.push(len as u8);
}

/// Reads a LEB128 length at the start of `bytes`: (length, bytes it took).
pub(super) fn read_len(bytes: &[u8]) -> (usize, usize) {
    let mut len = 0;
    for (i, &b) in bytes.iter().enumerate() {
        len |= usize::from(b & 0x7F) << (7 * i);
        if b < 0x80 {
            return (len, i + 1);
        }
    }
    (len, bytes.len())
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::family::hash;
    use crate::label::with_key_of_strs;

    #[test]
    fn lengths_round_trip() {
        for len in [0, 1, 127, 128, 300, 16_383, 16_384, 1 << 21] {
            let mut v = vec![9];
            write_len(&mut v, len);
            assert_eq!(read_len(&v[1..]), (len, v.len() - 1));
        }
    }

    #[test]
    fn same_key_compares_every_byte() {
        let base: Vec<u8> = (0..40).collect();
        for n in 0..40 {
            let a = &base[..n];
            assert!(same_key(a, a));
            for i in 0..n {
                let mut b = a.to_vec();
                b[i] ^= 1;
                assert!(!same_key(a, &b), "{n} {i}");
            }
            assert!(!same_key(a, &base[..n + 1]));
        }
    }

    #[test]
    fn map_insert_remove_compact() {
        let mut map = DynMap::<crate::Counter>::new();
        let runs: Vec<CellRun> = (0..10).map(|_| CellRun::new(1)).collect();
        let keys: Vec<Vec<u8>> = (0..10)
            .map(|i| with_key_of_strs(&[&format!("v{i}")], <[u8]>::to_vec))
            .collect();
        for (run, key) in runs.iter().zip(&keys) {
            map.insert(hash(key), key, run.clone().into_id());
        }
        assert_eq!(map.live, 10);
        for (run, key) in runs.iter().zip(&keys) {
            assert_eq!(map.find(hash(key), key), Some(run.id()));
        }
        for key in &keys[..6] {
            assert!(map.remove(hash(key), key));
            assert!(!map.remove(hash(key), key));
        }
        // More than half garbage: compacted.
        assert_eq!(map.garbage, 0);
        assert_eq!(map.live, 4);
        let left: Vec<u32> = map.entries().map(|(id, _)| id).collect();
        assert_eq!(left, runs[6..].iter().map(CellRun::id).collect::<Vec<_>>());
        for (run, key) in runs[6..].iter().zip(&keys[6..]) {
            assert_eq!(map.find(hash(key), key), Some(run.id()));
        }
        assert_eq!(map.find(hash(&keys[0]), &keys[0]), None);
    }
}
