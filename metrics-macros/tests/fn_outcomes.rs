//! What `#[timed]` records besides the seconds: the call's outcome (a `Family<CallOutcome, _>`
//! target: `ok`, `error` for an `Err` or a panic, `cancelled` for a dropped future) and an
//! exemplar (`exemplar = EXPR`, evaluated when the call starts).

use std::cell::RefCell;
use std::panic::catch_unwind;
use std::sync::LazyLock;
use std::time::Duration;

use coremeter::{
    CallOutcome, Descriptor, Family, Histogram, Labels, Metrics, Registry, Value, Visitor, timed,
};

#[derive(Metrics)]
#[metrics(namespace = "calls")]
struct Calls {
    /// Seconds per call, by outcome.
    #[metric(unit = "seconds")]
    by_outcome: Family<CallOutcome, Histogram>,
    /// Seconds per call, with the caller's trace as exemplar.
    #[metric(unit = "seconds")]
    traced: Histogram,
    /// Seconds per call, by outcome, with exemplars.
    #[metric(unit = "seconds")]
    traced_by_outcome: Family<CallOutcome, Histogram>,
}

static CALLS: LazyLock<Calls> = LazyLock::new(Calls::new);

fn count(outcome: CallOutcome) -> u64 {
    CALLS.by_outcome.get(&outcome).get().value().count()
}

#[timed(CALLS.by_outcome)]
fn parse(s: &str) -> Result<u32, std::num::ParseIntError> {
    let n = s.parse::<u32>()?;
    Ok(n + 1)
}

#[timed(CALLS.by_outcome)]
fn explode() -> Result<(), String> {
    panic!("boom")
}

#[timed(CALLS.by_outcome)]
async fn fetch(fail: bool) -> Result<(), String> {
    tokio::time::sleep(Duration::from_millis(5)).await;
    if fail { Err("down".into()) } else { Ok(()) }
}

#[timed(CALLS.by_outcome)]
async fn hang() -> Result<(), String> {
    tokio::time::sleep(Duration::from_secs(3600)).await;
    Ok(())
}

#[tokio::test]
async fn outcome_families_label_each_call_by_how_it_ended() {
    assert_eq!(parse("1"), Ok(2));
    assert!(parse("x").is_err());
    assert!(catch_unwind(explode).is_err());
    fetch(false).await.unwrap();
    fetch(true).await.unwrap_err();
    assert!(
        tokio::time::timeout(Duration::from_millis(1), hang())
            .await
            .is_err()
    );
    assert_eq!(count(CallOutcome::Ok), 2);
    assert_eq!(count(CallOutcome::Error), 3, "an Err twice, a panic once");
    assert_eq!(count(CallOutcome::Cancelled), 1);
}

thread_local! {
    /// The trace the current call belongs to, as a tracing layer would keep it.
    static TRACE: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn current_trace() -> Option<(&'static str, String)> {
    TRACE.with(|t| t.borrow().clone().map(|id| ("trace_id", id)))
}

#[timed(CALLS.traced, exemplar = current_trace())]
fn handle(work: u32) -> u32 {
    work * 2
}

#[timed(CALLS.traced_by_outcome, exemplar = [("trace_id", "4bf92f3577b34da6"), ("span", "00f0")])]
fn checked(fail: bool) -> Result<(), ()> {
    if fail { Err(()) } else { Ok(()) }
}

/// Every exemplar of the registry: (family, its series' labels, exemplar labels).
type Found = Vec<(String, Vec<(String, String)>, Vec<(String, String)>)>;

fn exemplars(registry: &Registry) -> Found {
    struct Exemplars(String, Found);
    impl Visitor for Exemplars {
        fn family(&mut self, d: &Descriptor) {
            self.0 = d.name().to_owned();
        }
        fn series(&mut self, labels: &Labels<'_>, value: &Value<'_>) {
            let Value::Histogram(h) = value else { return };
            for bucket in 0..=h.bounds().len() {
                if let Some(e) = h.exemplar(bucket) {
                    let own = labels
                        .iter()
                        .map(|(n, v)| (n.to_owned(), v.to_owned()))
                        .collect();
                    let pairs = e
                        .labels()
                        .map(|(n, v)| (n.to_owned(), v.to_owned()))
                        .collect();
                    self.1.push((self.0.clone(), own, pairs));
                }
            }
        }
    }
    let mut found = Exemplars(String::new(), Vec::new());
    registry.collect(&mut found).expect("collects");
    found.1
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn exemplars_come_from_the_expression_when_it_has_labels() {
    let registry = Registry::new();
    CALLS.register(&registry).unwrap();

    // No trace: observed, without an exemplar.
    assert_eq!(handle(1), 2);
    assert!(
        exemplars(&registry)
            .iter()
            .all(|e| e.0 != "calls_traced_seconds")
    );
    assert_eq!(CALLS.traced.get().value().count(), 1);

    TRACE.with(|t| *t.borrow_mut() = Some("abc123".into()));
    assert_eq!(handle(2), 4);
    TRACE.with(|t| *t.borrow_mut() = None);
    let found = exemplars(&registry);
    let traced: Vec<_> = found
        .iter()
        .filter(|e| e.0 == "calls_traced_seconds")
        .collect();
    assert_eq!(traced.len(), 1);
    assert_eq!(traced[0].2, pairs(&[("trace_id", "abc123")]));
    assert_eq!(CALLS.traced.get().value().count(), 2);

    checked(true).unwrap_err();
    let found = exemplars(&registry);
    let by_outcome: Vec<_> = found
        .iter()
        .filter(|e| e.0 == "calls_traced_by_outcome_seconds")
        .collect();
    assert_eq!(by_outcome.len(), 1);
    assert_eq!(by_outcome[0].1, pairs(&[("outcome", "error")]));
    assert_eq!(
        by_outcome[0].2,
        pairs(&[("trace_id", "4bf92f3577b34da6"), ("span", "00f0")])
    );
}
