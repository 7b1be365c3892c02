//! Cells: concurrent updates against a scrape, reset-on-read, and freeing a run while a scrape
//! still holds it.

use loom::thread;

use crate::{Counter, Histogram};

/// Two writers and a scraper: every read is monotone and the final total exact.
#[test]
fn increments_and_scrape() {
    loom::model(|| {
        let c = Counter::new();
        let writers: Vec<_> = (0..2)
            .map(|_| {
                let c = c.clone();
                thread::spawn(move || {
                    c.inc();
                    c.inc_by(2);
                })
            })
            .collect();
        let first = c.get();
        let second = c.get();
        assert!(
            first <= second,
            "scrape went backwards: {first} then {second}"
        );
        assert!(second <= 6);
        for w in writers {
            w.join().unwrap();
        }
        assert_eq!(c.get(), 6);
    });
}

/// Reset-on-read against a writer: what the takes report plus what remains is the total.
#[test]
fn take_loses_and_duplicates_nothing() {
    loom::model(|| {
        let c = Counter::new();
        let writer = {
            let c = c.clone();
            thread::spawn(move || {
                c.inc();
                c.inc();
            })
        };
        let taken = c.take();
        writer.join().unwrap();
        assert_eq!(taken + c.take(), 2);
        assert_eq!(c.get(), 0);
    });
}

/// A histogram's count is the sum of its buckets in every read, whatever the interleaving.
#[test]
fn histogram_count_matches_buckets() {
    loom::model(|| {
        let h = Histogram::with_buckets(&[1.0]).unwrap();
        let writer = {
            let h = h.clone();
            thread::spawn(move || {
                h.observe(0.5);
                h.observe(2.0);
            })
        };
        let s = h.get();
        let v = s.value();
        let cumulative: Vec<u64> = v.cumulative().map(|(_, c)| c).collect();
        assert!(cumulative[0] <= cumulative[1]);
        assert_eq!(cumulative[1], v.count());
        writer.join().unwrap();
        assert_eq!(h.get().value().counts(), [1, 1]);
    });
}

/// The owner drops its counter (freeing the run once no handle is left) and allocates a new one
/// while a scraper still reads through its own handle: the scraper never sees the new counter's
/// value, and the new counter never starts with the old one's.
#[test]
fn free_while_scraping() {
    loom::model(|| {
        let owner = Counter::new();
        let scraper_handle = owner.clone();
        let scraper = thread::spawn(move || {
            let v = scraper_handle.get();
            assert!(v <= 1, "scrape read a recycled cell: {v}");
            drop(scraper_handle);
        });
        owner.inc();
        drop(owner);
        let next = Counter::new();
        next.inc_by(100);
        assert_eq!(next.get(), 100);
        scraper.join().unwrap();
        assert_eq!(next.get(), 100);
    });
}

/// Two handles dropped at once: exactly one frees the run, and a run taken afterwards is zero.
#[test]
fn concurrent_drops_free_once() {
    loom::model(|| {
        let a = Counter::new();
        a.inc_by(7);
        let b = a.clone();
        let t = thread::spawn(move || drop(b));
        drop(a);
        t.join().unwrap();
        // Both drops are done: the run is free exactly once, so two new runs are distinct and
        // both start at zero.
        let x = Counter::new();
        let y = Counter::new();
        x.inc();
        assert_eq!((x.get(), y.get()), (1, 0));
    });
}

/// A writer increments and drops its handle while the owner drops the last other one: whichever
/// drop is last, the increment happens before the zeroing, so a run reused afterwards reads 0.
/// (This is what the release decrement and acquire fence in `CellRun::drop` are for.)
#[test]
fn writes_happen_before_the_zeroing() {
    loom::model(|| {
        let a = Counter::new();
        let b = a.clone();
        let writer = thread::spawn(move || {
            b.inc();
            drop(b);
        });
        drop(a);
        writer.join().unwrap();
        let reused = Counter::new();
        assert_eq!(
            reused.get(),
            0,
            "a new counter started with a dead counter's value"
        );
    });
}
