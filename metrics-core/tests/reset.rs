//! Reset-on-read: a reset takes effect only when committed, never writes a counting cell, and
//! survives a series removed between its read and its commit.

use coremeter::{
    Counter, Descriptor, DynLabels, Family, Histogram, Labels, Opts, Registry, SampleList,
    Statistics, Value, Visitor,
};

fn registry() -> (Registry, Counter, Histogram, Statistics) {
    let registry = Registry::new();
    let (c, h, s) = (
        Counter::new(),
        Histogram::with_buckets(&[1.0]).unwrap(),
        Statistics::new(),
    );
    registry.register(Opts::new("c", "C."), c.clone()).unwrap();
    registry.register(Opts::new("h", "H."), h.clone()).unwrap();
    registry.register(Opts::new("s", "S."), s.clone()).unwrap();
    (registry, c, h, s)
}

fn value(list: &SampleList, name: &str) -> f64 {
    list.samples()
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no {name}"))
        .value
}

#[test]
fn a_dropped_reset_resets_nothing_and_a_committed_one_everything() {
    let (registry, c, h, s) = registry();
    c.inc_by(7);
    h.observe(0.5);
    h.observe(2.0);
    s.observe(3.0);
    s.observe(-1.0);
    for commit in [false, true] {
        let mut seen = SampleList::new();
        let reset = registry.collect_and_reset(&mut seen).unwrap();
        assert_eq!(value(&seen, "c_total"), 7.0);
        assert_eq!(value(&seen, "h_count"), 2.0);
        assert_eq!(value(&seen, "h_sum"), 2.5);
        assert_eq!(value(&seen, "s_max"), 3.0);
        assert_eq!(value(&seen, "s_min"), -1.0);
        if commit {
            reset.commit();
        } else {
            drop(reset);
            assert_eq!(c.get(), 7);
            assert_eq!(h.get().value().count(), 2);
            assert_eq!(s.get().max, Some(3.0));
        }
    }
    assert_eq!(c.get(), 0);
    assert_eq!((h.get().value().count(), h.get().value().sum()), (0, 0.0));
    let after = s.get();
    assert_eq!((after.count, after.min, after.max), (0, None, None));
    c.inc();
    h.observe(0.25);
    s.observe(4.0);
    let mut seen = SampleList::new();
    registry.collect_and_reset(&mut seen).unwrap().commit();
    assert_eq!(value(&seen, "c_total"), 1.0);
    assert_eq!(value(&seen, "h_sum"), 0.25);
    assert_eq!(value(&seen, "s_min"), 4.0);
}

/// An extreme larger than the one a reset read, observed before its commit, belongs to the next
/// window: the commit clears only what it read.
#[test]
fn an_extreme_observed_before_the_commit_stays() {
    let (registry, _, _, s) = registry();
    s.observe(5.0);
    let reset = registry.collect_and_reset(&mut SampleList::new()).unwrap();
    s.observe(9.0);
    reset.commit();
    let next = s.get();
    assert_eq!((next.count, next.max), (1, Some(9.0)));
}

/// A registry with a label family of counters named `name`, label `k`.
fn label_family(name: &'static str) -> (Registry, Family<DynLabels, Counter>) {
    let registry = Registry::new();
    let family = Family::<DynLabels, Counter>::with_label_names(&["k"]).unwrap();
    registry
        .register(Opts::new(name, "A family."), family.clone())
        .unwrap();
    (registry, family)
}

/// Reads only the counter values.
#[derive(Default)]
struct Counts(Vec<f64>);

impl Visitor for Counts {
    fn family(&mut self, _: &Descriptor) {}
    fn series(&mut self, _: &Labels<'_>, value: &Value<'_>) {
        if let Value::Counter(c) = value {
            self.0.push(c.value.as_f64());
        }
    }
}

/// A series removed between a reset's read and its commit: its cells are not reused until the
/// reset ends, so the commit cannot give a new series the removed one's baseline.
#[test]
fn a_series_removed_during_a_reset_leaves_no_baseline_behind() {
    let (registry, family) = label_family("f");
    for round in 0..50 {
        let a = format!("a{round}");
        family.labels(&[&a]).unwrap().inc_by(1_000);
        let mut seen = Counts::default();
        let reset = registry.collect_and_reset(&mut seen).unwrap();
        assert_eq!(seen.0, [1_000.0]);
        assert!(family.remove_labels(&[&a]).unwrap());
        // Would likely take the cells just freed, were they freed.
        let b = family.labels(&[&format!("b{round}")]).unwrap();
        b.inc_by(3);
        reset.commit();
        assert_eq!(
            b.get(),
            3,
            "round {round}: a stale baseline on a new series"
        );
        family.clear();
        assert_eq!(b.get(), 3);
    }
}

/// Reads write no cell: a reset scrape and a plain read of the same counter agree with every
/// increment, with writers running.
#[test]
fn resets_and_plain_reads_add_up_with_writers() {
    let (registry, c, _, _) = registry();
    let per_thread = 200_000u64;
    let mut delivered = 0.0;
    std::thread::scope(|scope| {
        for _ in 0..2 {
            let c = c.clone();
            scope.spawn(move || {
                for _ in 0..per_thread {
                    c.inc();
                }
            });
        }
        for _ in 0..200 {
            let mut seen = SampleList::new();
            registry.collect_and_reset(&mut seen).unwrap().commit();
            delivered += value(&seen, "c_total");
            let _ = registry.samples();
        }
    });
    assert_eq!(delivered + c.get() as f64, (2 * per_thread) as f64);
}

/// Series created, counted and removed while resets commit on another thread: a freed series'
/// cells are reused only after the reset that read them ended, so no new series ever reads a
/// baseline it did not make (it would read a huge wrapped value).
#[test]
fn series_churn_during_resets_never_reads_a_stale_baseline() {
    let (registry, family) = label_family("churn");
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                registry
                    .collect_and_reset(&mut Counts::default())
                    .unwrap()
                    .commit();
            }
        });
        for round in 0..20_000u32 {
            let key = (round % 8).to_string();
            let child = family.labels(&[&key]).unwrap();
            child.inc_by(1_000);
            let v = child.get();
            assert!(v <= 1_000, "round {round}: read {v}");
            drop(child);
            family.remove_labels(&[&key]).unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
    });
}
