//! One generation of a dynamic family's children: encoded keys in an arena of fixed capacity,
//! found through an open-addressing index, both read without a lock.
//!
//! Only the family's writer (under its lock) changes a table, and only in ways a lock-free
//! reader can meet at any moment: it writes a new entry where no published slot points, then
//! publishes its slot (Release; readers Acquire); it removes an entry by marking its slot and its
//! id. A table that is full, or half garbage, is replaced by a new one, and the old one retired
//! (see [`crate::reclaim`]).

use crate::sync::Ordering;
use crate::sync::unmodelled::AtomicU32;

/// An index slot never used: a probe ends there.
const EMPTY: u32 = 0;
/// An index slot whose entry was removed: a probe goes on past it.
const REMOVED_SLOT: u32 = u32::MAX;
/// The bits of a slot that hold an entry's offset plus one; the 8 above them hold 8 bits of the
/// key's hash.
const OFFSET_BITS: u32 = 24;
/// The most words a table's arena holds (64 MiB): entries' offsets plus one fit a slot's offset
/// bits and are never all ones (the offset bits of [`REMOVED_SLOT`]).
pub(super) const MAX_WORDS: usize = (1 << OFFSET_BITS) - 2;
/// The id word of a removed entry.
pub(super) const REMOVED: u32 = u32::MAX;
/// The first byte of a key's length prefix when the key is longer than 254 bytes.
const LONG: u8 = u8::MAX;

/// The 8 bits of `hash` beside an entry's offset in its slot (not the bits that choose the
/// slot).
#[inline(always)]
fn tag(hash: u64) -> u32 {
    (hash >> 56) as u32
}

/// The bytes before a key of `len` bytes in its entry, and how many: its length in one byte, or
/// [`LONG`], three bytes of padding and its length in a word of its own.
fn length_prefix(len: usize) -> ([u8; 8], usize) {
    match u8::try_from(len) {
        Ok(short) if short != LONG => ([short, 0, 0, 0, 0, 0, 0, 0], 1),
        _ => {
            let mut prefix = [LONG, 0, 0, 0, 0, 0, 0, 0];
            prefix[4..].copy_from_slice(&(len as u32).to_ne_bytes());
            (prefix, 8)
        }
    }
}

/// A table: `[slot count][word count][index slots][arena words]`, in one allocation (a small
/// family's table is most of its memory, and an allocation costs its header too).
///
/// Arena entry, in 4-byte words: `[run id][length prefix, key bytes, zero-padded to a word]`
/// (see [`length_prefix`]).
/// Index slot: 8 bits of the key's hash above the entry's word offset plus one, in 4 bytes (a
/// series' memory bound allows no more); a probe compares the key of an entry whose 8 bits
/// match, 1 in 256 of the others.
pub(super) struct Table {
    cells: Box<[AtomicU32]>,
}

/// A table's index and arena, as readers and the writer use them.
#[derive(Clone, Copy)]
pub(super) struct TableRef<'a> {
    slots: &'a [AtomicU32],
    words: &'a [AtomicU32],
}

impl Table {
    /// A table with room for `entries` children whose entries take `words` words in all
    /// ([`entry_words`](TableRef::entry_words) each).
    pub(super) fn with_room(entries: usize, words: usize) -> Table {
        // At most three quarters of the slots are filled (see `has_room`).
        let slots = match entries {
            0 => 0,
            n => (n * 4).div_ceil(3).next_power_of_two().max(8),
        };
        let cells: Box<[AtomicU32]> = (0..2 + slots + words).map(|_| AtomicU32::new(0)).collect();
        cells[0].store(slots as u32, Ordering::Relaxed);
        cells[1].store(words as u32, Ordering::Relaxed);
        Table { cells }
    }

    /// The table's address, for [`TableRef::at`].
    pub(super) fn address(&self) -> *mut AtomicU32 {
        self.cells.as_ptr().cast_mut()
    }

    #[inline]
    pub(super) fn view(&self) -> TableRef<'_> {
        // SAFETY: the address of a live table, borrowed for as long as the view.
        unsafe { TableRef::at(self.address()) }
    }
}

impl<'a> TableRef<'a> {
    /// The table at `address` ([`Table::address`]).
    ///
    /// # Safety
    ///
    /// The table must stay allocated for `'a`.
    #[inline(always)]
    pub(super) unsafe fn at(address: *const AtomicU32) -> TableRef<'a> {
        // SAFETY: (the caller's) the table is allocated; its first two cells, written before
        // its address was shared and never again, give the lengths of the parts after them.
        unsafe {
            let slots = (*address).load(Ordering::Relaxed) as usize;
            let words = (*address.add(1)).load(Ordering::Relaxed) as usize;
            TableRef {
                slots: std::slice::from_raw_parts(address.add(2), slots),
                words: std::slice::from_raw_parts(address.add(2 + slots), words),
            }
        }
    }

    /// The words an entry for `key` takes.
    pub(super) fn entry_words(key: &[u8]) -> usize {
        let (_, prefix) = length_prefix(key.len());
        1 + (prefix + key.len()).div_ceil(4)
    }

    /// Whether an entry of `words` words fits after `used` words, with `filled` slots in use
    /// (the index is kept at most three quarters full, so that every probe meets an empty slot).
    pub(super) fn has_room(self, used: usize, filled: usize, words: usize) -> bool {
        used + words <= self.words.len() && (filled + 1) * 4 <= self.slots.len() * 3
    }

    /// The run id of the live entry for `key`, if there is one: lock-free.
    #[inline(always)]
    pub(super) fn find(self, hash: u64, key: &[u8]) -> Option<u32> {
        let (at, _) = self.probe(hash, key)?;
        // Relaxed: the slot's Acquire load ordered the entry; REMOVED is the only later write.
        let id = self.words[at].load(Ordering::Relaxed);
        (id != REMOVED).then_some(id)
    }

    /// The word offset and slot of the entry for `key`.
    #[inline(always)]
    fn probe(self, hash: u64, key: &[u8]) -> Option<(usize, usize)> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            // Acquire: pairs with the Release that published the slot, after its entry.
            let slot = self.slots[i].load(Ordering::Acquire);
            if slot == EMPTY {
                return None;
            }
            if slot != REMOVED_SLOT && slot >> OFFSET_BITS == tag(hash) {
                let at = ((slot & ((1 << OFFSET_BITS) - 1)) - 1) as usize;
                if same_key(self.key(at), key) {
                    return Some((at, i));
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// The key of the entry at word `at`.
    #[inline(always)]
    pub(super) fn key(self, at: usize) -> &'a [u8] {
        let first = self.words[at + 1].load(Ordering::Relaxed);
        let (len, skip) = match first.to_ne_bytes()[0] {
            LONG => (self.words[at + 2].load(Ordering::Relaxed) as usize, 8),
            short => (usize::from(short), 1),
        };
        assert!((at + 1) * 4 + skip + len <= self.words.len() * 4);
        // SAFETY: the bounds are checked above. The key's bytes were written (by `append`)
        // before the slot that leads here was published, and are never written again, so they
        // are read while nothing writes them; atomics have the layout of their integers.
        unsafe {
            let start = self.words.as_ptr().add(at + 1).cast::<u8>().add(skip);
            std::slice::from_raw_parts(start, len)
        }
    }

    /// Appends an entry at word `used` (below [`MAX_WORDS`]) and publishes it (the caller checked [`has_room`] and that
    /// `key` has no live entry). Returns the words used after it, and whether it filled a slot
    /// never used before.
    pub(super) fn append(self, used: usize, hash: u64, key: &[u8], id: u32) -> (usize, bool) {
        let at = used;
        self.words[at].store(id, Ordering::Relaxed);
        let (prefix, prefix_len) = length_prefix(key.len());
        let mut bytes = prefix[..prefix_len].iter().chain(key).copied();
        for word in &self.words[at + 1..at + Self::entry_words(key)] {
            let mut four = [0; 4];
            for (b, byte) in four.iter_mut().zip(&mut bytes) {
                *b = byte;
            }
            word.store(u32::from_ne_bytes(four), Ordering::Relaxed);
        }
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let slot = self.slots[i].load(Ordering::Relaxed);
            if slot == EMPTY || slot == REMOVED_SLOT {
                let packed = tag(hash) << OFFSET_BITS | (at as u32 + 1);
                // Release: the entry's words before the slot that leads to them.
                self.slots[i].store(packed, Ordering::Release);
                return (at + Self::entry_words(key), slot == EMPTY);
            }
            i = (i + 1) & mask;
        }
    }

    /// Marks the entry for `key` removed and returns its run id and the words it took.
    pub(super) fn remove(self, hash: u64, key: &[u8]) -> Option<(u32, usize)> {
        let (at, slot) = self.probe(hash, key)?;
        let id = self.words[at].load(Ordering::Relaxed);
        if id == REMOVED {
            return None;
        }
        self.slots[slot].store(REMOVED_SLOT, Ordering::Release);
        self.words[at].store(REMOVED, Ordering::Release);
        Some((id, Self::entry_words(key)))
    }

    /// Live entries among the first `used` words, in insertion order: (run id, key).
    pub(super) fn entries(self, used: usize) -> impl Iterator<Item = (u32, &'a [u8])> + 'a {
        let mut at = 0;
        std::iter::from_fn(move || {
            while at < used {
                let (id, key) = (self.words[at].load(Ordering::Relaxed), self.key(at));
                at += Self::entry_words(key);
                if id != REMOVED {
                    return Some((id, key));
                }
            }
            None
        })
    }
}

/// Whether two keys are equal: keys of up to 32 bytes (most label values) with overlapping
/// 8-byte comparisons instead of a call to `memcmp`.
#[inline(always)]
fn same_key(a: &[u8], b: &[u8]) -> bool {
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

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
    fn keys_of_every_length_round_trip_and_collide_safely() {
        let owner = Table::with_room(64, 64 * 12 + 500);
        let table = owner.view();
        assert!(!Table::with_room(0, 0).view().has_room(0, 0, 2));
        let mut keys: Vec<Vec<u8>> = (0..40u8).map(|n| (0..n).collect()).collect();
        keys.extend([254, 255, 256, 1000].map(|n| (0..n).map(|i| i as u8).collect()));
        let (mut used, mut filled) = (0, 0);
        // Every key with the same hash: the probe must compare keys, not hashes.
        for (id, key) in keys.iter().enumerate() {
            assert!(table.has_room(used, filled, TableRef::entry_words(key)));
            let (next, fresh) = table.append(used, 7, key, id as u32);
            (used, filled) = (next, filled + usize::from(fresh));
        }
        for (id, key) in keys.iter().enumerate() {
            assert_eq!(table.find(7, key), Some(id as u32), "{key:?}");
        }
        assert_eq!(table.find(7, &[9, 9]), None);
        assert_eq!(table.remove(7, &keys[3]), Some((3, 2)));
        assert_eq!(table.remove(7, &keys[3]), None);
        assert_eq!(table.find(7, &keys[3]), None);
        assert_eq!(table.find(7, &keys[39]), Some(39));
        let entries: Vec<(u32, &[u8])> = table.entries(used).collect();
        let expected: Vec<(u32, &[u8])> = (0..keys.len() as u32)
            .filter(|&i| i != 3)
            .map(|i| (i, &keys[i as usize][..]))
            .collect();
        assert_eq!(entries, expected);
    }
}
