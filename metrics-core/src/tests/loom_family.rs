//! Label families: a child removed (its cells freed and reused) while a scrape reads the
//! family, and label sets inserted while a scrape reads it.

use loom::thread;

use crate::{Counter, DynLabels, Family, Opts, Registry};

fn scrape(family: &Family<DynLabels, Counter>) -> Vec<(String, f64)> {
    let registry = Registry::new();
    registry
        .register(Opts::new("x", "Loom family."), family.clone())
        .unwrap();
    registry
        .samples()
        .into_iter()
        .map(|s| (s.labels[0].1.clone(), s.value))
        .collect()
}

/// The scrape reads the child under the family's read lock; `remove` needs the write lock and
/// drops the map's reference, and the cells are freed only when no handle is left. So the scrape
/// never sees the value of a counter that reused the child's cells.
#[test]
fn remove_while_scraping() {
    loom::model(|| {
        let family = Family::<DynLabels, Counter>::with_label_names(&["k"]).unwrap();
        family.labels(&["a"]).unwrap().inc();
        let scraped = {
            let family = family.clone();
            thread::spawn(move || scrape(&family))
        };
        assert!(family.remove_labels(&["a"]).unwrap());
        let reused = Counter::new();
        reused.inc_by(100);
        let seen = scraped.join().unwrap();
        assert!(
            seen.is_empty() || seen == [("a".to_owned(), 1.0)],
            "scrape saw {seen:?}"
        );
        assert_eq!(
            reused.get(),
            100,
            "a new counter started with a removed child's value"
        );
    });
}

/// A label set inserted during a scrape is either in it, at its value, or not yet.
#[test]
fn insert_while_scraping() {
    loom::model(|| {
        let family = Family::<DynLabels, Counter>::with_label_names(&["k"]).unwrap();
        family.labels(&["a"]).unwrap().inc();
        let writer = {
            let family = family.clone();
            thread::spawn(move || family.labels(&["b"]).unwrap().inc_by(2))
        };
        let seen = scrape(&family);
        assert_eq!(seen[0], ("a".to_owned(), 1.0));
        assert!(seen.len() <= 2);
        if let Some((label, v)) = seen.get(1) {
            assert_eq!(label, "b");
            assert!(*v == 0.0 || *v == 2.0, "{v}");
        }
        writer.join().unwrap();
        assert_eq!(scrape(&family).len(), 2);
    });
}

/// Takes every family's values in bulk: each series' first word.
struct Words(Vec<u64>);

impl crate::Visitor for Words {
    fn family(&mut self, _: &crate::Descriptor) {}
    fn series(&mut self, _: &crate::Labels<'_>, _: &crate::Value<'_>) {}
    fn values(&mut self, values: &crate::Values<'_>) -> bool {
        self.0.extend_from_slice(values.words());
        true
    }
}

fn bulk_scrape(registry: &Registry) -> Vec<u64> {
    let mut words = Words(Vec::new());
    registry.collect(&mut words).expect("collects");
    words.0
}

/// A scrape that reads the family through the registry's read plan (made by the second of two
/// scrapes of the same shape) while a child is removed and its cells could be reused: the plan
/// holds a reference to the child's run, so the scrape sees the child's value or nothing, never
/// the new counter's.
#[test]
fn remove_while_scraping_through_a_plan() {
    loom::model(|| {
        let family = Family::<DynLabels, Counter>::with_label_names(&["k"]).unwrap();
        family.labels(&["a"]).unwrap().inc();
        let registry = crate::sync::Arc::new(Registry::new());
        registry
            .register(Opts::new("x", "Loom family."), family.clone())
            .unwrap();
        // Two scrapes of one shape make a plan; the shape is process-wide, and other tests
        // running in parallel may change it between two scrapes of this one.
        for _ in 0..100 {
            assert_eq!(bulk_scrape(&registry), [1]);
            if registry.has_plan() {
                break;
            }
        }
        assert!(registry.has_plan(), "scrapes of one shape made no plan");
        let scraped = {
            let registry = crate::sync::Arc::clone(&registry);
            thread::spawn(move || bulk_scrape(&registry))
        };
        assert!(family.remove_labels(&["a"]).unwrap());
        let reused = Counter::new();
        reused.inc_by(100);
        let seen = scraped.join().unwrap();
        assert!(seen.is_empty() || seen == [1], "scrape saw {seen:?}");
        assert_eq!(
            reused.get(),
            100,
            "a new counter started with a removed child's value"
        );
        assert!(bulk_scrape(&registry).is_empty());
    });
}
