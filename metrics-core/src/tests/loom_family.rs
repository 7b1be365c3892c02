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
