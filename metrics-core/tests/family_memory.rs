//! Heap bytes per dynamic-label counter series: 1,000 families of 10 label values each, counted
//! with a counting global allocator (per thread, so the harness does not interfere). The bound
//! is `8 * S + 48` bytes: 64 on a 2-CPU machine (`prometheus-client` takes about 75 there).
//! One test in its own binary, so no other test frees slab cells that this one would reuse.

use metrics_core::{Counter, Family, LabelSet, LabelVisitor, shard};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocated;

struct Value(&'static str);

impl LabelSet for Value {
    const NAMES: &'static [&'static str] = &["value"];
    const VALUES: &'static [Option<&'static [&'static str]>] = &[None];
    fn visit<V: LabelVisitor>(&self, v: &mut V) {
        v.value(self.0);
    }
}

#[test]
fn heap_bytes_per_dynamic_counter_series() {
    let values: Vec<&'static str> = (0..10)
        .map(|i| &*Box::leak(format!("value_{i}").into_boxed_str()))
        .collect();
    let mut families = Vec::with_capacity(1000);
    let before = allocated();
    for _ in 0..1000 {
        let f: Family<Value, Counter> = Family::new();
        for v in &values {
            f.get(&Value(v)).inc();
        }
        families.push(f);
    }
    let per_series = (allocated() - before) as f64 / 10_000.0;
    let s = shard::shard_count();
    let bound = (8 * s + 48) as f64;
    eprintln!(
        "S = {s}: {per_series:.1} heap bytes per dynamic-label counter series (bound {bound})"
    );
    assert!(per_series <= bound, "{per_series} > {bound}");
    assert!(families.iter().all(|f| f.len() == 10));
}
