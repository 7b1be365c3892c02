//! Heap bytes per dynamic-label counter series: 1,000 families of 10 label values each, counted
//! with a counting global allocator (per thread, so the harness does not interfere). The bound
//! is `8 * S + 48` bytes: 64 on a 2-CPU machine (`prometheus-client` takes about 75 there).
//! One test in its own binary, so no other test frees slab cells that this one would reuse. The
//! registry's read plan of those families is measured after them.

use coremeter::{Counter, Family, LabelSet, LabelVisitor, shard};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocated;

#[path = "support/bulk_sum.rs"]
mod bulk_sum;

use bulk_sum::BulkSum;

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

    let plan = plan_bytes_per_series(&families);
    eprintln!("{plan:.1} heap bytes per series for the registry's read plan");
    assert!(
        (4.0..=24.0).contains(&plan),
        "{plan} bytes per series of read plan"
    );
}

/// The registry's read plan, made by the second of two collections of the same registry (see
/// `docs/semantics.md`): 4 bytes per series (a run id) and one entry per family with a copy of its
/// descriptor. Measured in the same test as the series, whose families it registers.
fn plan_bytes_per_series(families: &[Family<Value, Counter>]) -> f64 {
    let registry = coremeter::Registry::new();
    for (i, f) in families.iter().enumerate() {
        let opts = coremeter::Opts::new(format!("requests_{i}"), "Requests served.");
        registry.register(opts, f.clone()).expect("register");
    }
    let mut first = BulkSum(0);
    registry.collect(&mut first).expect("collects");
    let before = allocated();
    let mut second = BulkSum(0);
    registry.collect(&mut second).expect("collects");
    let bytes = (allocated() - before) as f64 / 10_000.0;
    let mut third = BulkSum(0);
    registry.collect(&mut third).expect("collects");
    assert_eq!((first.0, second.0), (10_000, 10_000));
    assert_eq!(third.0, 10_000, "the plan's read differs");
    bytes
}
