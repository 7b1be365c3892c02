//! A counting global allocator for the memory tests: heap bytes and allocation calls, counted
//! per thread so the test harness's own threads do not interfere. Include it with
//! `#[path = ".../support/counting_alloc.rs"] mod counting_alloc;` (it installs itself as the
//! test binary's global allocator).

#![allow(dead_code, unreachable_pub)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static BYTES: Cell<isize> = const { Cell::new(0) };
    static CALLS: Cell<usize> = const { Cell::new(0) };
}

fn record(bytes: isize, calls: usize) {
    BYTES.with(|b| b.set(b.get() + bytes));
    CALLS.with(|c| c.set(c.get() + calls));
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so `System`'s
// guarantees hold; the bookkeeping only touches `const`-initialised thread-local `Cell`s, which
// never allocate and have no destructor.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size() as isize, 1);
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        record(-(layout.size() as isize), 0);
        // SAFETY: forwarded unchanged; `ptr` came from `alloc` with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size as isize - layout.size() as isize, 1);
        // SAFETY: forwarded unchanged; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Heap bytes this thread holds, net of what it freed, since it started.
pub fn allocated() -> isize {
    BYTES.with(Cell::get)
}

/// Allocation and reallocation calls this thread made since it started.
pub fn allocations() -> usize {
    CALLS.with(Cell::get)
}
