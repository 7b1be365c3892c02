//! Thread slots (the portable shard strategy) with real threads: a live thread keeps its slot,
//! a second live thread gets the other one, and a slot is given back when its thread exits.
//! One test in its own binary, so no other thread takes slots meanwhile.

use std::sync::mpsc;
use std::thread;

use coremeter::shard::{self, Strategy};

fn slot() -> usize {
    shard::index(Strategy::ThreadSlot).expect("thread slots are always available")
}

/// Spawns a thread that takes a slot and holds it until the returned sender is dropped.
fn holder() -> (usize, mpsc::Sender<()>, thread::JoinHandle<()>) {
    let (slot_tx, slot_rx) = mpsc::channel();
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let handle = thread::spawn(move || {
        slot_tx.send(slot()).unwrap();
        let _ = stop_rx.recv();
    });
    (slot_rx.recv().unwrap(), stop_tx, handle)
}

#[test]
fn slots_are_balanced_and_released_at_exit() {
    let shards = shard::shard_count();
    if shards < 2 {
        eprintln!("skipped: one shard on this machine");
        return;
    }
    let (a, stop_a, join_a) = holder();
    let (b, stop_b, join_b) = holder();
    assert_ne!(a, b, "two live threads share a slot while others are free");
    // `a` exits; std's join returns after its thread-local destructors ran.
    drop(stop_a);
    join_a.join().unwrap();
    let (c, stop_c, join_c) = holder();
    if shards == 2 {
        assert_eq!(c, a, "the slot of the exited thread was not given back");
    } else {
        assert_ne!(c, b);
    }
    drop((stop_b, stop_c));
    join_b.join().unwrap();
    join_c.join().unwrap();
}
