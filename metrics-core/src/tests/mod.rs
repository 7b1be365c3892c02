//! Loom models of the lock-free protocols (`RUSTFLAGS="--cfg loom"`, see `.ci/run`).

mod loom_cells;
mod loom_family;
mod loom_shard;
