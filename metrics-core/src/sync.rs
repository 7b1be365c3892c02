//! The only place that names atomics, locks and thread-locals.
//!
//! Under `--cfg loom` the primitives that take part in the lock-free protocols (cells, refcounts,
//! the slab's free list, shard slots) come from [loom] so that its models explore every
//! interleaving; otherwise they are `std`'s. The registry's own locks are never modelled and always
//! come from `std`.

#[cfg(loom)]
pub(crate) use loom::sync::{
    Arc, Mutex, RwLock, RwLockWriteGuard,
    atomic::{AtomicU64, AtomicUsize, Ordering, fence},
};

#[cfg(not(loom))]
pub(crate) use std::sync::{
    Arc, Mutex, RwLock, RwLockWriteGuard,
    atomic::{AtomicU64, AtomicUsize, Ordering, fence},
};

/// `thread_local!` with `const` initialisers (no lazy-init check on access) under `std`; loom's
/// macro takes the same declarations without `const`.
macro_rules! thread_local_const {
    ($($(#[$attr:meta])* static $name:ident: $t:ty = $init:expr;)*) => {
        #[cfg(not(loom))]
        std::thread_local! { $($(#[$attr])* static $name: $t = const { $init };)* }
        #[cfg(loom)]
        loom::thread_local! { $($(#[$attr])* static $name: $t = $init;)* }
    };
}
pub(crate) use thread_local_const;

/// What loom never models: the registry's bookkeeping, immutable shared data, and process-wide
/// values fixed once (the rseq offset).
pub(crate) mod unmodelled {
    #[cfg(not(loom))]
    pub(crate) use std::sync::atomic::AtomicIsize;
    pub(crate) use std::sync::atomic::{
        AtomicPtr, AtomicU8, AtomicU32, AtomicU64, compiler_fence, fence,
    };
    pub(crate) use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock};
    pub(crate) use std::thread_local;
}

/// Locks a mutex, ignoring poisoning: every critical section in this crate leaves its data
/// consistent before anything in it can panic, so a poisoned lock holds valid data.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> impl std::ops::DerefMut<Target = T> + '_ {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Read-locks, ignoring poisoning (see [`lock`]).
pub(crate) fn read<T>(lock: &RwLock<T>) -> impl std::ops::Deref<Target = T> + '_ {
    match lock.read() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Write-locks, ignoring poisoning (see [`lock`]).
pub(crate) fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    match lock.write() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}
