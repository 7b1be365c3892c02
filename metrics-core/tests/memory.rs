//! Heap bytes per counter, counted with a counting global allocator: at most `8 * S + 24` on
//! any machine (S = shard count), and `8 * S + 8` plus the slab's fixed overhead in practice.
//! One test in its own binary; allocations are counted per thread, so the harness's own threads
//! do not interfere.

use coremeter::{Counter, Histogram, shard};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocated;

#[test]
fn heap_bytes_per_counter() {
    const N: usize = 100_000;
    let s = shard::shard_count();
    let mut counters = Vec::with_capacity(N);
    let before = allocated();
    for _ in 0..N {
        counters.push(Counter::new());
    }
    let per_counter = (allocated() - before) as f64 / N as f64;
    let bound = (8 * s + 24) as f64;
    eprintln!(
        "S = {s}: {per_counter:.2} heap bytes per counter (bound {bound}), handle {} bytes",
        size_of::<Counter>()
    );
    assert!(per_counter <= bound, "{per_counter} > 8 * {s} + 24");
    // The cells themselves are there: one 8-byte cell per shard and an 8-byte header.
    assert!(per_counter >= (8 * s + 8) as f64);
    assert_eq!(size_of::<Counter>(), 16);

    // Dropped counters' cells are reused: making as many again allocates (almost) nothing.
    drop(counters);
    let mut again = Vec::with_capacity(N);
    let before = allocated();
    for _ in 0..N {
        again.push(Counter::new());
    }
    let reused = (allocated() - before) as f64 / N as f64;
    assert!(
        reused < 1.0,
        "freed cells were not reused: {reused} bytes per counter"
    );

    // A histogram with 11 bounds: 13 cells (buckets, +Inf, sum), each costing 8 bytes per shard
    // plus an 8-byte header slot, packed 39 to a 512-cell block; and its bounds (an
    // `Arc<[f64]>` of 16 + 88 bytes).
    let bounds: Vec<f64> = (1..=11).map(f64::from).collect();
    let mut histograms = Vec::with_capacity(1000);
    let before = allocated();
    for _ in 0..1000 {
        histograms.push(Histogram::with_buckets(&bounds).unwrap());
    }
    let per_histogram = (allocated() - before) as f64 / 1000.0;
    let cells = (8 * 13 * (s + 1)) as f64 * 512.0 / (39.0 * 13.0);
    eprintln!(
        "{per_histogram:.1} heap bytes per 11-bound histogram (cells {cells:.1} + bounds 104)"
    );
    assert!(per_histogram <= cells + 104.0 + 1.0, "{per_histogram}");
}
