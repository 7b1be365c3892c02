//! Thread slots: assignment and stability. (Release at thread exit runs in a thread-local
//! destructor, which loom's `join` does not wait for; `tests/thread_slot.rs` checks it with real
//! threads.)

use loom::sync::mpsc::channel;
use loom::thread;

use crate::shard::{self, slot};

#[test]
fn slots_are_stable_and_in_range() {
    loom::model(|| {
        let threads: Vec<_> = (0..2)
            .map(|_| {
                thread::spawn(|| {
                    let first = slot::current();
                    assert!(first < shard::shard_count());
                    assert_eq!(slot::current(), first, "a thread's slot changed");
                    first
                })
            })
            .collect();
        for t in threads {
            assert!(t.join().unwrap() < shard::shard_count());
        }
    });
}

#[test]
fn a_second_live_thread_takes_the_free_slot() {
    loom::model(|| {
        let (tx, rx) = channel();
        let (done_tx, done_rx) = channel::<()>();
        let first = thread::spawn(move || {
            tx.send(slot::current()).unwrap();
            done_rx.recv().unwrap();
        });
        let first_slot = rx.recv().unwrap();
        // `first` is alive and holds its slot: this thread gets the other one.
        let second_slot = slot::current();
        assert_ne!(first_slot, second_slot);
        assert_eq!(slot::live_threads(first_slot), 1);
        assert_eq!(slot::live_threads(second_slot), 1);
        done_tx.send(()).unwrap();
        first.join().unwrap();
    });
}
