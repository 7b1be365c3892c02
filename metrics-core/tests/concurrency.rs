//! Concurrent updates against concurrent scrapes: exact totals, monotone reads, reset-on-read
//! that loses and duplicates nothing, histograms whose count always equals their +Inf bucket.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use coremeter::{
    Counter, Descriptor, FloatCounter, Histogram, Labels, Opts, Registry, SampleList, Value,
    Visitor,
};

#[path = "support/bulk_sum.rs"]
mod bulk_sum;

use bulk_sum::BulkSum;

const PER_THREAD: u64 = 1_000_000;

/// Runs `threads` writers (each `write(thread_index)`) while `scrape()` is called in a loop on
/// this thread until they finish; returns how many scrapes ran.
fn while_writing(threads: usize, write: impl Fn(usize) + Sync, mut scrape: impl FnMut()) -> usize {
    let done = AtomicBool::new(false);
    // The writers start once the scraper has scraped (on 2 cores, writers started first can
    // finish before it is scheduled at all).
    let scraping = AtomicBool::new(false);
    let mut scrapes = 0;
    thread::scope(|s| {
        let writers: Vec<_> = (0..threads)
            .map(|t| {
                let (write, scraping) = (&write, &scraping);
                s.spawn(move || {
                    while !scraping.load(Ordering::Acquire) {
                        thread::yield_now();
                    }
                    write(t)
                })
            })
            .collect();
        let done = &done;
        s.spawn(move || {
            for w in writers {
                w.join().expect("writer panicked");
            }
            done.store(true, Ordering::Release);
        });
        loop {
            scrape();
            scrapes += 1;
            scraping.store(true, Ordering::Release);
            if done.load(Ordering::Acquire) {
                break;
            }
        }
    });
    scrapes
}

fn counter_total_is_exact_and_scrapes_monotone(threads: usize) {
    let registry = Registry::new();
    let c = Counter::new();
    registry
        .register(Opts::new("events", "Events."), c.clone())
        .unwrap();
    let mut last = 0.0;
    let scrapes = while_writing(
        threads,
        |_| {
            for _ in 0..PER_THREAD {
                c.inc();
            }
        },
        || {
            let v = registry.sample_value("events_total", &[]).unwrap();
            assert!(v >= last, "scrape went backwards: {last} then {v}");
            last = v;
        },
    );
    assert!(scrapes > 0);
    assert_eq!(c.get(), threads as u64 * PER_THREAD);
    assert_eq!(
        registry.sample_value("events_total", &[]),
        Some((threads as u64 * PER_THREAD) as f64)
    );
}

#[test]
fn counter_2_threads() {
    counter_total_is_exact_and_scrapes_monotone(2);
}

#[test]
fn counter_4_threads() {
    counter_total_is_exact_and_scrapes_monotone(4);
}

/// Sums the counter samples of reset-on-read collections.
#[derive(Default)]
struct Taken(f64);

impl Visitor for Taken {
    fn family(&mut self, _: &Descriptor) {}

    fn series(&mut self, _: &Labels<'_>, value: &Value<'_>) {
        if let Value::Counter(c) = value {
            self.0 += c.value.as_f64();
        }
    }
}

fn reset_on_read_loses_nothing(threads: usize) {
    let registry = Registry::new();
    let c = Counter::new();
    let f = FloatCounter::new();
    registry
        .register(Opts::new("events", "Events."), c.clone())
        .unwrap();
    let mut taken_direct = 0u64;
    let mut taken_registry = Taken::default();
    let mut turn = 0u32;
    while_writing(
        threads,
        |_| {
            for _ in 0..PER_THREAD {
                c.inc();
                f.inc_by(0.5);
            }
        },
        || {
            // Rotate the reset paths: the handle's, the registry's, and a registry reset that is
            // read and dropped uncommitted (as when a reply cannot be produced): it resets nothing.
            match turn % 3 {
                0 => taken_direct += c.take(),
                1 => registry
                    .collect_and_reset(&mut taken_registry)
                    .expect("collects")
                    .commit(),
                _ => drop(
                    registry
                        .collect_and_reset(&mut Taken::default())
                        .expect("collects"),
                ),
            }
            turn += 1;
            let _ = f.take();
        },
    );
    let total = threads as u64 * PER_THREAD;
    let reported = taken_direct as f64 + taken_registry.0 + c.get() as f64;
    assert_eq!(reported, total as f64, "lost or double-counted increments");
}

#[test]
fn reset_on_read_2_threads() {
    reset_on_read_loses_nothing(2);
}

#[test]
fn reset_on_read_4_threads() {
    reset_on_read_loses_nothing(4);
}

#[test]
fn float_counter_takes_add_up() {
    let f = FloatCounter::new();
    let mut taken = 0.0;
    while_writing(
        2,
        |_| {
            for _ in 0..PER_THREAD {
                f.inc_by(0.25);
            }
        },
        || taken += f.take(),
    );
    // Multiples of 0.25 below 2^51 add exactly in any order.
    assert_eq!(taken + f.get(), 2.0 * PER_THREAD as f64 * 0.25);
}

const BOUNDS: [f64; 4] = [0.25, 0.5, 1.0, 2.0];
/// Observed in turn: one per bucket and one above every bound, all exactly representable.
const VALUES: [f64; 5] = [0.125, 0.5, 0.75, 2.0, 4.0];
const OBSERVATIONS: u64 = 250_000;

/// Checks every scrape of a histogram: count == +Inf bucket, cumulative buckets non-decreasing,
/// and each bucket no lower than in the previous scrape.
struct HistogramChecker {
    last: Vec<u64>,
}

impl Visitor for HistogramChecker {
    fn family(&mut self, _: &Descriptor) {}

    fn series(&mut self, _: &Labels<'_>, value: &Value<'_>) {
        let Value::Histogram(h) = value else {
            panic!("not a histogram: {value:?}")
        };
        let cumulative: Vec<u64> = h.cumulative().map(|(_, c)| c).collect();
        assert_eq!(
            *cumulative.last().unwrap(),
            h.count(),
            "count differs from +Inf"
        );
        assert!(
            cumulative.windows(2).all(|w| w[0] <= w[1]),
            "buckets decrease: {cumulative:?}"
        );
        for (i, (&now, &before)) in cumulative.iter().zip(&self.last).enumerate() {
            assert!(
                now >= before,
                "bucket {i} went backwards: {before} then {now}"
            );
        }
        self.last = cumulative;
    }
}

#[test]
fn histogram_scrapes_are_consistent_and_final_counts_exact() {
    let threads = 4;
    let registry = Registry::new();
    let h = Histogram::with_buckets(&BOUNDS).unwrap();
    registry
        .register(Opts::new("size", "Sizes."), h.clone())
        .unwrap();
    let mut checker = HistogramChecker { last: vec![0; 5] };
    let scrapes = while_writing(
        threads,
        |t| {
            for i in 0..OBSERVATIONS {
                h.observe(VALUES[(i as usize + t) % VALUES.len()]);
            }
        },
        || registry.collect(&mut checker).expect("collects"),
    );
    assert!(scrapes > 0);
    let total = threads as u64 * OBSERVATIONS;
    let snapshot = h.get();
    let v = snapshot.value();
    assert_eq!(v.count(), total);
    // Each thread observes the 5 values in turn; OBSERVATIONS is a multiple of 5.
    assert_eq!(v.counts(), [total / 5; 5]);
    assert_eq!(v.sum(), total as f64 / 5.0 * VALUES.iter().sum::<f64>());
    // The flattened samples agree.
    let mut list = SampleList::new();
    registry.collect(&mut list).expect("collects");
    let count = list
        .samples()
        .iter()
        .find(|s| s.name == "size_count")
        .unwrap();
    assert_eq!(count.value, total as f64);
}

#[test]
fn histogram_reset_on_read_loses_nothing() {
    let h = Histogram::with_buckets(&BOUNDS).unwrap();
    let mut taken = [0u64; 5];
    let mut taken_sum = 0.0;
    while_writing(
        2,
        |t| {
            for i in 0..OBSERVATIONS {
                h.observe(VALUES[(i as usize + t) % VALUES.len()]);
            }
        },
        || {
            let s = h.take();
            let v = s.value();
            assert_eq!(v.cumulative().last().unwrap().1, v.count());
            for (acc, c) in taken.iter_mut().zip(v.counts()) {
                *acc += c;
            }
            taken_sum += v.sum();
        },
    );
    let rest = h.get();
    let total = 2 * OBSERVATIONS;
    for (i, (&t, &r)) in taken.iter().zip(rest.value().counts()).enumerate() {
        assert_eq!(t + r, total / 5, "bucket {i}");
    }
    assert_eq!(
        taken_sum + rest.value().sum(),
        total as f64 / 5.0 * VALUES.iter().sum::<f64>()
    );
}

#[test]
fn reset_on_read_through_the_read_plan_loses_nothing() {
    let registry = Registry::new();
    let family =
        coremeter::Family::<coremeter::DynLabels, Counter>::with_label_names(&["thread"]).unwrap();
    registry
        .register(Opts::new("events", "Events."), family.clone())
        .unwrap();
    let children: Vec<_> = (0..2)
        .map(|t| family.labels(&[&t.to_string()]).unwrap())
        .collect();
    let mut taken = BulkSum::default();
    // The writers go on until the scraper has scraped a few times (the third scrape reads
    // through the plan): on 2 cores two writers can otherwise finish before it runs at all.
    let scraped = std::sync::atomic::AtomicUsize::new(0);
    let written = std::sync::atomic::AtomicU64::new(0);
    let scrapes = while_writing(
        2,
        |t| {
            let mut n = 0u64;
            while n < PER_THREAD || scraped.load(Ordering::Relaxed) < 5 {
                children[t].inc();
                n += 1;
            }
            written.fetch_add(n, Ordering::Relaxed);
        },
        || {
            registry
                .collect_and_reset(&mut taken)
                .expect("collects")
                .commit();
            scraped.fetch_add(1, Ordering::Relaxed);
        },
    );
    assert!(scrapes >= 5, "{scrapes} scrapes: the plan was never used");
    let left: u64 = children.iter().map(|c| c.get()).sum();
    assert_eq!(
        taken.0 + left,
        written.load(Ordering::Relaxed),
        "lost or double-counted increments"
    );
}

/// Lock-free lookups racing removals: a removed child's cells are freed only once no lookup
/// that may have found it is left. Two threads update children of a dynamic family by lookup
/// (both `labels(..).inc()` and the in-place `inc(&labels)`), holding each child for a moment,
/// while a third removes and re-adds them and a fourth makes new counters, which take the
/// freed cells, and checks that each holds exactly what it added: an update through a child
/// whose cells were freed would land in one of them.
#[test]
fn lookups_racing_removals_never_write_freed_cells() {
    struct Key<'a> {
        key: &'a str,
    }
    impl coremeter::LabelSet for Key<'_> {
        const NAMES: &'static [&'static str] = &["key"];
        const VALUES: &'static [Option<&'static [&'static str]>] = &[None];
        fn visit<V: coremeter::LabelVisitor>(&self, v: &mut V) {
            v.value(self.key);
        }
    }
    const KEYS: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];
    let family =
        coremeter::Family::<coremeter::DynLabels, Counter>::with_label_names(&["key"]).unwrap();
    let typed = coremeter::Family::<Key<'static>, Counter>::new();
    let stop = AtomicBool::new(false);
    let start = std::time::Instant::now();
    let (removed, checked) = thread::scope(|s| {
        for t in 0..2 {
            let (family, typed, stop) = (&family, &typed, &stop);
            s.spawn(move || {
                let mut i = t;
                while !stop.load(Ordering::Relaxed) {
                    let key = KEYS[i % KEYS.len()];
                    let child = family.labels(&[key]).unwrap();
                    child.inc();
                    std::hint::spin_loop();
                    child.inc();
                    drop(child);
                    typed.inc(&Key { key });
                    i += 1;
                }
            });
        }
        let remover = {
            let (family, typed, stop) = (&family, &typed, &stop);
            s.spawn(move || {
                let mut removed = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    for key in KEYS {
                        removed += u64::from(family.remove_labels(&[key]).unwrap());
                        removed += u64::from(typed.remove(&Key { key }));
                    }
                    thread::yield_now();
                }
                removed
            })
        };
        let victim = {
            let stop = &stop;
            s.spawn(move || {
                let mut checked = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let counters: Vec<Counter> = (0..64).map(|_| Counter::new()).collect();
                    for (n, c) in counters.iter().enumerate() {
                        c.inc_by(n as u64);
                    }
                    thread::yield_now();
                    for (n, c) in counters.iter().enumerate() {
                        assert_eq!(c.get(), n as u64, "a freed cell was written");
                    }
                    checked += 64;
                }
                checked
            })
        };
        while start.elapsed() < std::time::Duration::from_secs(1) {
            thread::sleep(std::time::Duration::from_millis(10));
        }
        stop.store(true, Ordering::Relaxed);
        (
            remover.join().expect("remover"),
            victim.join().expect("victim"),
        )
    });
    assert!(removed > 1000, "only {removed} removals");
    assert!(checked > 1000, "only {checked} counters checked");
}
