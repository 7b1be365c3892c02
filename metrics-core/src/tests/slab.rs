//! The slab's unit tests (`slab.rs` includes this file as its `tests` module).

use super::*;
use crate::reset::{ReadMode, Reset};

#[test]
fn page_is_one_aligned_page() {
    assert_eq!(size_of::<Page>(), 4096);
    assert_eq!(align_of::<Page>(), 4096);
    assert_eq!(size_of::<CellRun>(), 16);
}

#[test]
fn shards_of_one_cell_are_a_page_apart() {
    let run = CellRun::new(3);
    let addrs: Vec<usize> = run.shards(1).map(|c| c as *const _ as usize).collect();
    assert_eq!(addrs.len(), shard::shard_count());
    for pair in addrs.windows(2) {
        assert_eq!(pair[1] - pair[0], 4096);
    }
}

#[test]
fn unsharded_cells_are_a_line_apart_and_the_page_is_a_permutation() {
    let mut seen = [false; CELLS_PER_PAGE];
    for j in 0..CELLS_PER_PAGE {
        assert!(
            !std::mem::replace(&mut seen[spread(j)], true),
            "cell {j} shares a slot"
        );
    }
    // A run of 64 cells (the children of a gauge family), and two single cells made one after
    // the other (two gauges): no two of them on one 64-byte line.
    let family = CellRun::new_in(Kind::Unsharded, 64);
    let (x, y) = (
        CellRun::new_in(Kind::Unsharded, 1),
        CellRun::new_in(Kind::Unsharded, 1),
    );
    let line = |c: &AtomicU64| c as *const AtomicU64 as usize / 64;
    let mut lines: Vec<usize> = (0..64).map(|i| line(family.unsharded_cell(i))).collect();
    lines.sort_unstable();
    lines.dedup();
    assert_eq!(lines.len(), 64);
    assert_ne!(line(x.unsharded_cell(0)), line(y.unsharded_cell(0)));
    // The free zeroes the cell where the updates wrote it.
    family.unsharded_cell(63).store(5, Ordering::Relaxed);
    let (block, offset) = (family.block, family.offset as usize);
    drop(family);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while block.shards[0].cells[spread(offset + 63)].load(Ordering::Relaxed) != 0 {
        // A reset another test runs may defer the free to its end.
        assert!(
            std::time::Instant::now() < deadline,
            "the freed run was not zeroed"
        );
        std::thread::yield_now();
    }
}

#[test]
fn runs_do_not_overlap_and_freed_runs_come_back_zeroed() {
    let a = CellRun::new(5);
    let b = CellRun::new(7);
    let same_block = std::ptr::eq(a.block, b.block);
    if same_block {
        let (a0, a1) = (a.offset, a.offset + 5);
        assert!(b.offset >= a1 || b.offset + 7 <= a0);
    }
    a.add(4, 9);
    b.add(0, 1);
    assert_eq!((a.raw_sum(4), b.raw_sum(0)), (9, 1));
    drop(a);
    // Other tests allocate concurrently, so the freed run may be taken by them; whichever run
    // we get, it starts at zero.
    let c = CellRun::new(5);
    assert!((0..5).all(|i| c.raw_sum(i) == 0));
    assert_eq!(b.raw_sum(0), 1);
}

#[test]
fn ids_name_runs() {
    let a = CellRun::new(3);
    a.add(2, 4);
    let id = a.id();
    let b = CellRun::clone_from_id(id);
    assert_eq!(a.header().load(Ordering::Relaxed) & REFS_MASK, 2);
    assert_eq!(
        (b.block.id, b.offset, b.raw_sum(2)),
        (a.block.id, a.offset, 4)
    );
    let kept = b.into_id();
    assert_eq!(kept, id);
    assert_eq!(a.header().load(Ordering::Relaxed) & REFS_MASK, 2);
    drop(CellRun::from_id(kept));
    assert_eq!(a.header().load(Ordering::Relaxed) & REFS_MASK, 1);
    let g = CellRun::new_in(Kind::Unsharded, 1);
    assert_eq!(g.block.shards.len(), 1);
    assert_eq!(CellRun::clone_from_id(g.id()).block.kind, Kind::Unsharded);
}

#[test]
fn freeing_a_run_forgets_its_exemplars() {
    let a = CellRun::new(3);
    let keep = CellRun::new(1);
    // A value no other test uses: a test running meanwhile may reuse the freed cells and record
    // an exemplar of its own there, but never this one.
    let exemplar = || Exemplar::new(&[("trace_id", "x")], 1234.5).unwrap();
    a.set_exemplar(2, exemplar());
    keep.set_exemplar(0, exemplar());
    let (block, offset) = (a.block, a.offset);
    drop(a);
    // A reset another test runs meanwhile defers the free (and so the forgetting) to its end.
    let forgotten = || {
        let table = block.exemplars.get().unwrap().lock().unwrap();
        table.get(offset + 2).is_none_or(|e| e.value() != 1234.5)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !forgotten() && std::time::Instant::now() < deadline {
        std::thread::yield_now();
    }
    assert!(forgotten());
    let table = block.exemplars.get().unwrap().lock().unwrap();
    if std::ptr::eq(block, keep.block) {
        assert!(table.get(keep.offset).is_some());
    }
}

#[test]
fn views_share_the_run_and_hold_no_reference() {
    let run = CellRun::new(6);
    let v = run.view(4);
    assert!(v.is_view());
    assert_eq!((v.offset, v.len()), (run.offset + 4, 2));
    v.add(1, 7);
    assert_eq!(run.raw_sum(5), 7);
    drop(v);
    assert_eq!(run.header().load(Ordering::Relaxed) & REFS_MASK, 1);
    // A clone of a view is a handle to the whole run.
    let owned = run.view(2).clone();
    assert!(!owned.is_view());
    assert_eq!(run.header().load(Ordering::Relaxed) & REFS_MASK, 2);
    assert_eq!(owned.raw_sum(3), 7);
    drop(run);
    assert_eq!(owned.header().load(Ordering::Relaxed) & REFS_MASK, 1);
    assert_eq!(owned.raw_sum(3), 7);
}

#[test]
fn clones_share_cells_and_the_last_drop_frees() {
    let a = CellRun::new(2);
    let b = a.clone();
    assert_eq!(a.header().load(Ordering::Relaxed) & REFS_MASK, 2);
    b.add(1, 5);
    assert_eq!(a.raw_sum(1), 5);
    drop(b);
    assert_eq!(a.header().load(Ordering::Relaxed) & REFS_MASK, 1);
    assert_eq!(a.len(), 2);
    assert_eq!(Reset::take(|mut read| read.read(&a, 1)), 5);
    assert_eq!(ReadMode::Current.read(&a, 1), 0);
    assert_eq!(a.raw_sum(1), 5, "a reset writes no cell");
}

#[test]
fn freeing_a_run_zeroes_its_baselines() {
    let a = CellRun::new(2);
    a.add(1, 5);
    assert_eq!(Reset::take(|mut read| read.read(&a, 1)), 5);
    let (block, offset) = (a.block, a.offset as usize);
    let resets = block.resets.get().expect("made by the reset");
    assert_eq!(
        resets.baselines.cells[offset + 1].load(Ordering::Relaxed),
        5
    );
    drop(a);
    // Zeroed before the run went back to the free list (another test taking and resetting it
    // within these few instructions is possible in theory; no unit test resets that fast).
    for page in [&resets.baselines, &resets.staged] {
        let cells = &page.cells[offset..offset + 2];
        assert!(cells.iter().all(|c| c.load(Ordering::Relaxed) == 0));
    }
}

#[test]
fn split_and_tail_reuse() {
    let mut state = SlabState::new();
    let k = Kind::Sharded;
    let (b0, o0) = state.take(k, 500);
    assert_eq!((o0, state.blocks), (0, 1));
    // 12 cells left in block 0; 20 do not fit, so a new block starts and the tail is kept.
    let (b1, o1) = state.take(k, 20);
    assert!(!std::ptr::eq(b0, b1));
    assert_eq!((o1, state.blocks), (0, 2));
    assert_eq!(state.free.get(&12).map(Vec::len), Some(1));
    // The newest block's unused tail comes before splitting a longer freed run.
    let (b2, o2) = state.take(k, 5);
    assert!(std::ptr::eq(b1, b2));
    assert_eq!(o2, 20);
    state.bump = CELLS_PER_PAGE as u32; // block 1 full
    let (b3, o3) = state.take(k, 5);
    assert!(std::ptr::eq(b0, b3));
    assert_eq!(o3, 500);
    assert_eq!(state.free.get(&7).map(Vec::len), Some(1));
    assert_eq!(state.blocks, 2);
}
