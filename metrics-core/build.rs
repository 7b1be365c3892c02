//! One name, `cfg(rseq)`, for the platforms where the rseq shard index and the restartable write
//! path exist (Linux, glibc, x86_64; not a loom build, whose models replace the atomics): the
//! code that uses them says `#[cfg(rseq)]` instead of repeating the four conditions.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(rseq)");
    println!("cargo::rerun-if-changed=build.rs");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let rseq = var("CARGO_CFG_TARGET_OS") == "linux"
        && var("CARGO_CFG_TARGET_ENV") == "gnu"
        && var("CARGO_CFG_TARGET_ARCH") == "x86_64"
        && std::env::var_os("CARGO_CFG_LOOM").is_none();
    if rseq {
        println!("cargo::rustc-cfg=rseq");
    }
}
