//! The children of a dynamic family: a [`Table`] that readers search without a lock, and the
//! bookkeeping its writer keeps under the family's lock.

use super::hyperloglog::HyperLogLog;
use super::lookup_table::{MAX_WORDS, Table, TableRef};
use crate::plan;
use crate::reclaim::{self, Pin};
use crate::slab::CellRun;
use crate::sync::unmodelled::{AtomicPtr, AtomicU32};
use crate::sync::{Ordering, RwLock, RwLockWriteGuard, read, write};

/// The children of a dynamic family.
pub(super) struct DynMap<M> {
    /// The address of the table in use, read by pinned readers; owned by `state`.
    published: AtomicPtr<AtomicU32>,
    state: RwLock<State<M>>,
}

/// What the family's writers change under the lock, and scrapes read under it.
pub(super) struct State<M> {
    table: Table,
    /// Words of the table's arena in use.
    used: usize,
    /// Index slots ever filled (a removed entry's slot stays filled until the next table).
    filled: usize,
    /// Changes with every change of the list of series (see `SeriesListVersion`).
    pub(super) version: u64,
    pub(super) live: u32,
    /// Arena words of removed entries, dropped by the next table.
    garbage: usize,
    pub(super) overflow: Option<Box<Overflow<M>>>,
}

/// A family's overflow series and how many distinct label sets went to it.
pub(super) struct Overflow<M> {
    pub(super) child: M,
    pub(super) folded: HyperLogLog,
}

impl<M> DynMap<M> {
    pub(super) fn new() -> Self {
        let table = Table::with_room(0, 0);
        DynMap {
            published: AtomicPtr::new(table.address()),
            state: RwLock::new(State {
                table,
                used: 0,
                filled: 0,
                version: 0,
                live: 0,
                garbage: 0,
                overflow: None,
            }),
        }
    }

    /// The run id of the child for `key`, found without a lock; the run stays allocated while
    /// `pin` lives.
    #[inline(always)]
    pub(super) fn find_pinned(&self, hash: u64, key: &[u8], _pin: &Pin) -> Option<u32> {
        // Acquire: the table's contents before its address.
        let table = self.published.load(Ordering::Acquire);
        // SAFETY: `published` always holds the address of a live table; a table it no longer
        // holds is retired and dropped only after every section pinned before then ended, and
        // `_pin` is such a section.
        unsafe { TableRef::at(table) }.find(hash, key)
    }

    pub(super) fn read(&self) -> impl std::ops::Deref<Target = State<M>> + '_ {
        read(&self.state)
    }

    pub(super) fn write(&self) -> Writer<'_, M> {
        Writer {
            published: &self.published,
            state: write(&self.state),
        }
    }
}

impl<M> State<M> {
    /// The run id of the child for `key` (under the lock).
    #[inline]
    pub(super) fn find(&self, hash: u64, key: &[u8]) -> Option<u32> {
        self.table.view().find(hash, key)
    }

    /// Live entries, in insertion order.
    pub(super) fn entries(&self) -> impl Iterator<Item = (u32, &[u8])> {
        self.table.view().entries(self.used)
    }

    /// Records a change of the list of series: a new version, a new shape (see [`crate::plan`]).
    pub(super) fn changed(&mut self) {
        self.version += 1;
        plan::reshaped();
    }
}

/// The family's lock, held for writing, and the table's published address.
pub(super) struct Writer<'a, M> {
    published: &'a AtomicPtr<AtomicU32>,
    state: RwLockWriteGuard<'a, State<M>>,
}

impl<M> std::ops::Deref for Writer<'_, M> {
    type Target = State<M>;
    fn deref(&self) -> &State<M> {
        &self.state
    }
}

impl<M> std::ops::DerefMut for Writer<'_, M> {
    fn deref_mut(&mut self) -> &mut State<M> {
        &mut self.state
    }
}

impl<M> Writer<'_, M> {
    /// Whether an entry for `key` fits the map (its keys take at most [`MAX_WORDS`] words).
    pub(super) fn fits(&self, key: &[u8]) -> bool {
        self.used - self.garbage + TableRef::entry_words(key) <= MAX_WORDS
    }

    /// Inserts an entry for `key` (which [`fits`](Self::fits)).
    pub(super) fn insert(&mut self, hash: u64, key: &[u8], id: u32) {
        self.changed();
        let words = TableRef::entry_words(key);
        if !self
            .state
            .table
            .view()
            .has_room(self.used, self.filled, words)
        {
            self.replace_table(1, words);
        }
        let state = &mut *self.state;
        let (used, fresh) = state.table.view().append(state.used, hash, key, id);
        state.used = used;
        state.filled += usize::from(fresh);
        state.live += 1;
    }

    pub(super) fn remove(&mut self, hash: u64, key: &[u8]) -> bool {
        let Some((id, words)) = self.state.table.view().remove(hash, key) else {
            return false;
        };
        self.changed();
        self.state.live -= 1;
        self.state.garbage += words;
        // The map's reference, dropped once no reader that may have found it is left: the
        // cells are freed once no handle is left either.
        reclaim::retire(move || drop(CellRun::from_id(id)));
        if self.state.garbage > self.state.used / 2 {
            self.replace_table(0, 0);
        }
        true
    }

    /// Publishes a new table holding the live entries (without the garbage) and room for
    /// `entries` more of `words` words, and retires the old one.
    fn replace_table(&mut self, entries: usize, words: usize) {
        let state = &mut *self.state;
        let live = state.live as usize;
        let live_words = state.used - state.garbage;
        // The index's power-of-two size gives it room to double; the arena gets a quarter more
        // than it needs (at least 16 words): a table is replaced O(log n) times as a family
        // grows, and its arena holds at most a quarter again what it needs.
        let needed = live_words + words;
        let table = Table::with_room(live + entries, (needed + needed / 4).clamp(16, MAX_WORDS));
        let (mut used, mut filled) = (0, 0);
        for (id, key) in state.table.view().entries(state.used) {
            let (next, _) = table.view().append(used, super::hash(key), key, id);
            (used, filled) = (next, filled + 1);
        }
        // Release: the new table's contents before its address.
        self.published.store(table.address(), Ordering::Release);
        let old = std::mem::replace(&mut state.table, table);
        (state.used, state.filled, state.garbage) = (used, filled, 0);
        reclaim::retire(move || drop(old));
    }

    pub(super) fn clear(&mut self) {
        let table = Table::with_room(0, 0);
        self.published.store(table.address(), Ordering::Release);
        let state = &mut *self.state;
        let old = std::mem::replace(&mut state.table, table);
        let ids: Vec<u32> = old.view().entries(state.used).map(|(id, _)| id).collect();
        (state.used, state.filled, state.garbage, state.live) = (0, 0, 0, 0);
        state.overflow = None;
        state.changed();
        reclaim::retire(move || {
            for id in ids {
                drop(CellRun::from_id(id));
            }
            drop(old);
        });
    }
}

impl<M> Drop for DynMap<M> {
    fn drop(&mut self) {
        // No reader is left: each borrows the family.
        let state = self.state.get_mut().unwrap_or_else(|p| p.into_inner());
        for (id, _) in state.entries() {
            drop(CellRun::from_id(id));
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::family::hash;
    use crate::label::with_key_of_strs;

    #[test]
    fn map_insert_remove_compact() {
        let map = DynMap::<crate::Counter>::new();
        let runs: Vec<CellRun> = (0..10).map(|_| CellRun::new(1)).collect();
        let keys: Vec<Vec<u8>> = (0..10)
            .map(|i| with_key_of_strs(&[&format!("v{i}")], <[u8]>::to_vec))
            .collect();
        for (run, key) in runs.iter().zip(&keys) {
            map.write().insert(hash(key), key, run.clone().into_id());
        }
        assert_eq!(map.read().live, 10);
        let pin = Pin::new().expect("thread-locals are alive");
        for (run, key) in runs.iter().zip(&keys) {
            assert_eq!(map.find_pinned(hash(key), key, &pin), Some(run.id()));
        }
        drop(pin);
        for key in &keys[..6] {
            assert!(map.write().remove(hash(key), key));
            assert!(!map.write().remove(hash(key), key));
        }
        // More than half garbage: a new table without it.
        assert_eq!(map.read().garbage, 0);
        assert_eq!(map.read().live, 4);
        let left: Vec<u32> = map.read().entries().map(|(id, _)| id).collect();
        assert_eq!(left, runs[6..].iter().map(CellRun::id).collect::<Vec<_>>());
        let pin = Pin::new().expect("thread-locals are alive");
        for (run, key) in runs[6..].iter().zip(&keys[6..]) {
            assert_eq!(map.find_pinned(hash(key), key, &pin), Some(run.id()));
            assert_eq!(map.read().find(hash(key), key), Some(run.id()));
        }
        assert_eq!(map.find_pinned(hash(&keys[0]), &keys[0], &pin), None);
    }
}
