//! The facade handles a thread made last, kept so that the same `counter!(..)` call with the
//! same labels clones a handle instead of looking the name and the labels up again and
//! allocating a new one.
//!
//! The facade's API wants a fresh `Arc<dyn CounterFn>` at every `counter!(..)` call; without a
//! handle kept per series (memory this crate does not spend), each call looks the series up,
//! allocates that `Arc`, takes a reference to the series' cells, and gives both back when the
//! facade drops the handle. A hit here costs one comparison of the name and labels with each of
//! a few entries and one reference count (see `benches/README.md`, "The metrics facade"). The
//! cache holds [`ENTRIES`] handles per thread, each keeping its series' cells (never a series'
//! values: updates land in the family's cells, which a scrape reads).

use std::cell::RefCell;
use std::sync::Arc;

use metrics::Key;

use crate::handles::{CounterHandle, GaugeHandle, HistogramHandle};

/// Handles kept per thread.
const ENTRIES: usize = 8;
/// The longest name and labels (encoded, see [`Encoded`]) a cached handle may have; longer
/// keys are looked up at every call.
const KEY_BYTES: usize = 128;

/// A facade handle of one of the three types.
#[derive(Clone)]
pub(crate) enum Handle {
    Counter(Arc<CounterHandle>),
    Gauge(Arc<GaugeHandle>),
    Histogram(Arc<HistogramHandle>),
}

/// A cached handle and what it is for.
struct Entry {
    /// The recorder that made it (each recorder has its own id).
    recorder: u64,
    /// The facade's hash of the key (made with the key), compared first.
    hash: u64,
    key: Encoded,
    handle: Handle,
}

/// A key's name and labels in one buffer: the name, then each label's key and value, each
/// preceded by its length in one byte.
struct Encoded {
    len: usize,
    bytes: [u8; KEY_BYTES],
}

impl Encoded {
    /// `key` encoded, if it fits.
    fn of(key: &Key) -> Option<Encoded> {
        let mut encoded = Encoded {
            len: 0,
            bytes: [0; KEY_BYTES],
        };
        encoded.push(key.name())?;
        for label in key.labels() {
            encoded.push(label.key())?;
            encoded.push(label.value())?;
        }
        Some(encoded)
    }

    fn push(&mut self, part: &str) -> Option<()> {
        let len = u8::try_from(part.len()).ok()?;
        let end = self.len + 1 + part.len();
        self.bytes.get_mut(self.len..end)?;
        self.bytes[self.len] = len;
        self.bytes[self.len + 1..end].copy_from_slice(part.as_bytes());
        self.len = end;
        Some(())
    }

    /// Whether `key` encodes to these bytes (compared in place, without encoding it).
    fn is(&self, key: &Key) -> bool {
        let mut rest = &self.bytes[..self.len];
        let mut next = |part: &str| match rest.split_first() {
            Some((&len, tail))
                if usize::from(len) == part.len() && tail.starts_with(part.as_bytes()) =>
            {
                rest = &tail[part.len()..];
                true
            }
            _ => false,
        };
        next(key.name())
            && key
                .labels()
                .all(|label| next(label.key()) && next(label.value()))
            && rest.is_empty()
    }
}

#[derive(Default)]
struct Cache {
    entries: Vec<Entry>,
    /// The entry the next miss replaces, once the cache is full.
    next: usize,
}

std::thread_local! {
    static CACHE: RefCell<Cache> = RefCell::default();
}

/// The handle this thread made last for `key` by `recorder`, if kept.
#[inline]
pub(crate) fn get(recorder: u64, key: &Key) -> Option<Handle> {
    CACHE
        .try_with(|cache| {
            let cache = cache.try_borrow().ok()?;
            cache
                .entries
                .iter()
                .find(|e| e.hash == key.get_hash() && e.recorder == recorder && e.key.is(key))
                .map(|e| e.handle.clone())
        })
        .ok()
        .flatten()
}

/// Keeps `handle`, made for `key` by `recorder` (unless the key is too long, or the thread is
/// ending).
pub(crate) fn put(recorder: u64, key: &Key, handle: &Handle) {
    let Some(encoded) = Encoded::of(key) else {
        return;
    };
    let entry = Entry {
        recorder,
        hash: key.get_hash(),
        key: encoded,
        handle: handle.clone(),
    };
    let _ = CACHE.try_with(|cache| {
        let Ok(mut cache) = cache.try_borrow_mut() else {
            return;
        };
        if cache.entries.len() < ENTRIES {
            cache.entries.push(entry);
        } else {
            let next = cache.next;
            cache.entries[next] = entry;
            cache.next = (next + 1) % ENTRIES;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrics::Label;

    fn key(name: &'static str, labels: &[(&'static str, &'static str)]) -> Key {
        Key::from_parts(
            name,
            labels
                .iter()
                .map(|&(k, v)| Label::new(k, v))
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn an_encoded_key_matches_only_itself() {
        let a = key("requests", &[("route", "/a")]);
        let encoded = Encoded::of(&a).expect("fits");
        assert!(encoded.is(&a));
        for other in [
            key("requests", &[("route", "/b")]),
            key("requests", &[("route", "/a"), ("x", "")]),
            key("requests", &[]),
            key("request", &[("sroute", "/a")]),
            key("requests", &[("rout", "e/a")]),
        ] {
            assert!(!encoded.is(&other), "{other:?}");
        }
        let long = "x".repeat(KEY_BYTES);
        assert!(Encoded::of(&Key::from_name(long)).is_none());
    }
}
