//! A run's *attachment*: a value kept beside a handle's first cell (a run's, or the part of a run
//! that a view addresses: a dense family's child), made at its first use and dropped when the run
//! is freed (a native histogram's state, whose handle a label family makes from the run).

use std::any::Any;
use std::collections::HashMap;

use super::{Block, CellRun};
use crate::sync::unmodelled::{Arc, Mutex as StdMutex};

/// A value attached to a run.
type Attachment = Arc<dyn Any + Send + Sync>;

/// A block's attachments, by the first cell of the handles they were made for.
pub(super) type Attachments = HashMap<u32, Attachment>;

impl CellRun {
    /// The value attached to this handle's first cell, made by `make` if it has none. Takes the
    /// block's lock (not a hot-path operation: a caller keeps the `Arc`).
    ///
    /// # Panics
    ///
    /// If the run has an attachment of another type (an internal invariant: a run belongs to one
    /// metric type).
    pub(crate) fn attachment<T: Any + Send + Sync>(&self, make: impl FnOnce() -> T) -> Arc<T> {
        let table = self.block.attachments.get_or_init(StdMutex::default);
        let mut table = table.lock().unwrap_or_else(|p| p.into_inner());
        let attached = table
            .entry(self.offset)
            .or_insert_with(|| Arc::new(make()) as Attachment);
        Arc::clone(attached)
            .downcast::<T>()
            .unwrap_or_else(|_| panic!("a run has one type of attachment"))
    }
}

/// Takes the attachments of the cells `start..end` out of `block` (a freed run's),
/// for the caller to drop once it holds no lock: dropping one may free other runs.
pub(super) fn detach(block: &Block, start: u32, end: u32) -> Vec<Attachment> {
    let Some(table) = block.attachments.get() else {
        return Vec::new();
    };
    let mut table = table.lock().unwrap_or_else(|p| p.into_inner());
    if table.is_empty() {
        return Vec::new();
    }
    let freed: Vec<u32> = table
        .keys()
        .copied()
        .filter(|cell| (start..end).contains(cell))
        .collect();
    freed.iter().filter_map(|cell| table.remove(cell)).collect()
}
