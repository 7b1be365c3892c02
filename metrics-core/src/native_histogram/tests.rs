use super::*;
use crate::{Buckets, Opts, Registry};

fn native(h: &NativeHistogram) -> NativeBuckets {
    h.get().native
}

#[test]
fn buckets_signs_zero_and_nan() {
    let h = NativeHistogram::builder()
        .schema(0)
        .zero_threshold(0.001)
        .build()
        .unwrap();
    for v in [1.0, 1.5, 2.0, 3.0, -3.0, 0.0, 0.0005, -0.0005, f64::NAN] {
        h.observe(v);
    }
    let n = native(&h);
    assert_eq!(n.schema(), 0);
    assert_eq!(n.positive(), [(0, 1), (1, 2), (2, 1)]);
    assert_eq!(n.negative(), [(2, 1)]);
    assert_eq!(n.zero_count(), 3);
    assert_eq!(n.count(), 9);
    assert!(n.sum().is_nan());
}

#[test]
fn infinities_land_above_the_largest_finite_bucket() {
    let h = NativeHistogram::builder().schema(0).build().unwrap();
    h.observe(f64::INFINITY);
    h.observe(f64::NEG_INFINITY);
    h.observe(f64::MAX);
    let n = native(&h);
    assert_eq!(n.positive(), [(1024, 1), (1025, 1)]);
    assert_eq!(n.negative(), [(1025, 1)]);
}

#[test]
fn the_window_moves_and_keeps_what_it_held() {
    let h = NativeHistogram::new();
    // Schema 3, 11 chunks of 16: 2^-11 to 2^11 at first; 2^-20 and 2^20 move the window (each
    // alone fits), and nothing is lost on the way.
    let values = [1.0, 2f64.powi(-20), 3.0, 2f64.powi(-19), 1e-6, 2.5];
    for v in values {
        h.observe(v);
    }
    let n = native(&h);
    assert_eq!(n.schema(), 3);
    assert_eq!(n.count(), 6);
    assert_eq!(n.positive().iter().map(|&(_, c)| c).sum::<u64>(), 6);
    assert_eq!(n.sum(), values.iter().sum::<f64>());
}

#[test]
fn a_span_beyond_the_limit_lowers_the_schema_and_merges() {
    let h = NativeHistogram::builder().max_buckets(32).build().unwrap();
    // Schema 3 over 2^-20..2^20: 320 buckets, far more than 3 chunks (the least window is 10
    // chunks, 160 buckets): the schema drops until 40 powers of 2 fit.
    let values: Vec<f64> = (-20..=20).map(|e| 2f64.powi(e) * 1.3).collect();
    for &v in &values {
        h.observe(v);
    }
    let n = native(&h);
    assert!(n.schema() < 3, "schema {}", n.schema());
    assert!(n.positive().len() <= 32, "{} buckets", n.positive().len());
    assert_eq!(n.count(), values.len() as u64);
    // Each value in the bucket its schema puts it.
    let mut expected = BTreeMap::new();
    for &v in &values {
        *expected
            .entry(key::key(v, n.schema(), key::bounds(n.schema())))
            .or_insert(0u64) += 1;
    }
    assert_eq!(n.positive(), expected.into_iter().collect::<Vec<_>>());
}

#[test]
fn a_read_with_more_buckets_than_allowed_lowers_the_schema_for_good() {
    let h = NativeHistogram::builder().max_buckets(4).build().unwrap();
    // 8 buckets of one power of 2 at schema 3: within the window, beyond the limit.
    for i in 0..8 {
        h.observe(1.0 + f64::from(i) / 8.0 + 0.01);
    }
    let first = native(&h);
    assert!(first.positive().len() <= 4);
    assert_eq!(first.schema(), 2); // 8 buckets at schema 3, 4 at schema 2
    assert_eq!(first.count(), 8);
    // Later observations use the coarser schema, and are merged with the earlier ones.
    h.observe(1.3);
    let second = native(&h);
    assert_eq!(second.schema(), 2);
    assert_eq!(second.count(), 9);
    assert!(second.positive().len() <= 4);
}

#[test]
fn take_resets_every_chunk() {
    let h = NativeHistogram::new();
    h.observe(0.1);
    h.observe(-7.0);
    h.observe(0.0);
    let taken = h.take();
    assert_eq!(taken.native.count(), 3);
    assert_eq!(native(&h).count(), 0);
    assert_eq!(native(&h).positive(), []);
    h.observe(0.1);
    assert_eq!(native(&h).count(), 1);
}

#[test]
fn classic_buckets_beside() {
    let h = NativeHistogram::builder()
        .classic_buckets(Buckets::new(&[0.1, 1.0]).unwrap())
        .build()
        .unwrap();
    h.observe(0.05);
    h.observe(0.5);
    h.observe(5.0);
    let snapshot = h.get();
    let v = snapshot.value();
    assert_eq!(v.bounds(), [0.1, 1.0]);
    assert_eq!(v.counts(), [1, 1, 1]);
    assert_eq!(v.native().unwrap().count(), 3);
    assert_eq!(v.sum(), 5.55);
}

#[test]
fn builder_rejects_out_of_range_settings() {
    assert_eq!(
        NativeHistogram::builder().schema(9).build().unwrap_err(),
        NativeHistogramError::Schema(9)
    );
    assert_eq!(
        NativeHistogram::builder().schema(-5).build().unwrap_err(),
        NativeHistogramError::Schema(-5)
    );
    assert!(matches!(
        NativeHistogram::builder().zero_threshold(f64::NAN).build(),
        Err(NativeHistogramError::ZeroThreshold(_))
    ));
    assert_eq!(
        NativeHistogram::builder()
            .max_buckets(0)
            .build()
            .unwrap_err(),
        NativeHistogramError::MaxBuckets(0)
    );
}

#[test]
fn concurrent_observations_across_generations_are_all_counted() {
    // Threads observe values over a wide range while the window moves and the schema drops;
    // every observation must be in exactly one bucket.
    let h = NativeHistogram::builder().max_buckets(40).build().unwrap();
    let threads: i32 = 4;
    let per_thread: i32 = 20_000;
    std::thread::scope(|s| {
        for t in 0..threads {
            let h = &h;
            s.spawn(move || {
                for i in 0..per_thread {
                    let e = (i * 7 + t * 13) % 80 - 40;
                    h.observe(2f64.powi(e) * 1.1);
                    if i % 1000 == 0 {
                        let n = h.get().native;
                        assert_eq!(n.count(), n.positive().iter().map(|&(_, c)| c).sum::<u64>());
                    }
                }
            });
        }
    });
    let n = native(&h);
    assert_eq!(n.count(), (threads * per_thread) as u64);
    assert!(n.positive().len() <= 40);
}

#[test]
fn registered_and_read_as_a_histogram() {
    let registry = Registry::new();
    let h = NativeHistogram::new();
    registry
        .register(Opts::new("latency_seconds", "Latency."), h.clone())
        .unwrap();
    h.observe(0.25);
    let samples = registry.samples();
    assert!(
        samples
            .iter()
            .any(|s| s.name == "latency_seconds_count" && s.value == 1.0),
        "{samples:?}"
    );
}

#[test]
fn a_family_of_native_histograms_keeps_one_per_label_set() {
    use crate::{DynLabels, Family};
    let registry = Registry::new();
    let config = NativeHistogram::builder().schema(2).config().unwrap();
    let by_route =
        Family::<DynLabels, NativeHistogram>::with_label_names_and_config(&["route"], config)
            .unwrap();
    registry
        .register(Opts::new("latency_seconds", "Latency."), by_route.clone())
        .unwrap();
    by_route.labels(&["/a"]).unwrap().observe(0.5);
    by_route.labels(&["/a"]).unwrap().observe(3.0);
    let kept = by_route.labels(&["/b"]).unwrap().into_owned();
    kept.observe(-1.0);
    by_route.labels(&["/b"]).unwrap().observe(7.0);

    let a = by_route.labels(&["/a"]).unwrap().get();
    let a = a.value().native().cloned().unwrap();
    assert_eq!((a.schema(), a.count()), (2, 2));
    assert_eq!(a.positive(), [(-4, 1), (7, 1)]);
    let b = kept.get();
    assert_eq!(b.value().native().unwrap().count(), 2);
    assert_eq!(
        registry.sample_value("latency_seconds_count", &[("route", "/b")]),
        Some(2.0)
    );
    assert_eq!(
        registry.sample_value("latency_seconds_sum", &[("route", "/a")]),
        Some(3.5)
    );
    assert_eq!(
        registry.sample_value("latency_seconds_bucket", &[("route", "/a"), ("le", "+Inf")]),
        Some(2.0)
    );
}

#[test]
fn a_removed_series_takes_its_histogram_with_it() {
    use crate::{DynLabels, Family};
    let family = Family::<DynLabels, NativeHistogram>::with_label_names(&["k"]).unwrap();
    for round in 0..50 {
        let key = format!("v{}", round % 3);
        let child = family.labels(&[key.as_str()]).unwrap();
        // A series made again after its removal starts empty, whatever run it is given.
        assert_eq!(
            child.get().value().native().unwrap().count(),
            0,
            "round {round}"
        );
        child.observe(1.0);
        drop(child);
        assert!(family.remove_labels(&[key.as_str()]).unwrap());
        crate::reclaim::tests::collect_until(|| true);
    }
}

#[test]
fn a_reset_of_a_family_resets_each_histogram_once() {
    use crate::{DynLabels, Family};
    let registry = Registry::new();
    let family = Family::<DynLabels, NativeHistogram>::with_label_names(&["k"]).unwrap();
    registry
        .register(Opts::new("h", "H."), family.clone())
        .unwrap();
    family.labels(&["x"]).unwrap().observe(2.0);
    family.labels(&["y"]).unwrap().observe(-2.0);
    let mut reset_samples = crate::SampleList::new();
    registry
        .collect_and_reset(&mut reset_samples)
        .unwrap()
        .commit();
    let counts: Vec<f64> = reset_samples
        .samples()
        .iter()
        .filter(|s| s.name == "h_count")
        .map(|s| s.value)
        .collect();
    assert_eq!(counts, [1.0, 1.0]);
    assert_eq!(registry.sample_value("h_count", &[("k", "x")]), Some(0.0));
    family.labels(&["x"]).unwrap().observe(2.0);
    assert_eq!(registry.sample_value("h_count", &[("k", "x")]), Some(1.0));
}
