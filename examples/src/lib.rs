//! Runnable examples: `cargo run --example <name>` from the workspace root. Each example file
//! starts with a comment saying what it shows and how to run it.

#![forbid(unsafe_code)]
