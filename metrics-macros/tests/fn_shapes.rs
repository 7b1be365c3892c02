//! `#[timed]`, `#[in_progress]` and `#[count_exceptions]` measure the execution of a function's
//! work in every shape it takes: real futures on tokio that sleep, with the seconds observed and
//! the gauge read while they are pending; `async fn`, `fn -> impl Future`,
//! `fn -> Pin<Box<dyn Future>>`, `#[async_trait]` methods, methods with `&self` / `&mut self`,
//! generics, `impl Trait` arguments, elided and explicit lifetimes in the return type; and sync
//! bodies that return borrows of what they capture.

use std::future::Future;
use std::pin::Pin;
use std::sync::LazyLock;
use std::time::Duration;

use coremeter::{
    CallOutcome, Counter, Family, Gauge, Histogram, Metrics, count_exceptions, in_progress, timed,
};

/// The metrics of one shape (each test has its own, so that tests can run in parallel).
#[derive(Metrics)]
struct Shape {
    /// Seconds.
    #[metric(unit = "seconds")]
    latency: Histogram,
    /// Calls running.
    running: Gauge,
    /// Calls that failed.
    errors: Counter,
    /// Seconds by outcome.
    #[metric(unit = "seconds")]
    by_outcome: Family<CallOutcome, Histogram>,
    /// Opened by the test once it saw the call running: the call cannot complete before.
    #[metric(skip)]
    gate: tokio::sync::Notify,
}

const MS: u64 = 60;

/// The work of a call: wait for the test to open the gate, then sleep `MS`.
async fn sleep(shape: &Shape) {
    shape.gate.notified().await;
    tokio::time::sleep(Duration::from_millis(MS)).await;
}

/// Runs `call` while checking that the gauge counts it as running (the call waits for that
/// check); then checks that one call was observed that took at least its sleep (and not
/// absurdly more), and that the gauge is back at 0.
async fn measure<F: Future>(shape: &Shape, call: F) -> F::Output {
    let (out, ()) = tokio::join!(call, async {
        for _ in 0..5_000 {
            if shape.running.get() == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(
            shape.running.get(),
            1,
            "the gauge while the call is pending"
        );
        shape.gate.notify_one();
    });
    let h = shape.latency.get();
    assert_eq!(h.value().count(), 1, "one call observed");
    let seconds = h.value().sum();
    assert!(
        (MS as f64 / 1000.0 * 0.95..10.0).contains(&seconds),
        "observed {seconds} s for a call that slept {MS} ms"
    );
    assert_eq!(shape.running.get(), 0, "the gauge after the call");
    out
}

macro_rules! shape {
    ($name:ident) => {
        static $name: LazyLock<Shape> = LazyLock::new(Shape::new);
    };
}

// --- async fn --------------------------------------------------------------------------------

shape!(ASYNC_FN);

#[timed(ASYNC_FN.latency)]
#[in_progress(ASYNC_FN.running)]
#[count_exceptions(ASYNC_FN.errors)]
async fn async_fn(fail: bool) -> Result<u64, String> {
    sleep(&ASYNC_FN).await;
    if fail { Err("failed".into()) } else { Ok(MS) }
}

#[tokio::test]
async fn an_async_fn_is_measured_from_first_poll_to_completion() {
    assert_eq!(measure(&ASYNC_FN, async_fn(false)).await, Ok(MS));
    assert_eq!(ASYNC_FN.errors.get(), 0);
}

// --- fn -> impl Future -----------------------------------------------------------------------

shape!(IMPL_FUTURE);

#[timed(IMPL_FUTURE.latency)]
#[in_progress(IMPL_FUTURE.running)]
fn impl_future(ms: u64) -> impl Future<Output = u64> + Send {
    async move {
        sleep(&IMPL_FUTURE).await;
        ms
    }
}

#[tokio::test]
async fn a_fn_returning_impl_future_is_measured_while_the_future_runs() {
    let future = impl_future(MS);
    // Made, not polled: nothing measured yet.
    assert_eq!(IMPL_FUTURE.running.get(), 0);
    assert_eq!(IMPL_FUTURE.latency.get().value().count(), 0);
    assert_eq!(measure(&IMPL_FUTURE, future).await, MS);
}

// --- fn -> Pin<Box<dyn Future>> ----------------------------------------------------------------

shape!(BOXED);

#[timed(BOXED.latency)]
#[in_progress(BOXED.running)]
#[count_exceptions(BOXED.errors)]
fn boxed(fail: bool) -> Pin<Box<dyn Future<Output = Result<u64, String>> + Send>> {
    let ms = MS;
    Box::pin(async move {
        sleep(&BOXED).await;
        if fail { Err("failed".into()) } else { Ok(ms) }
    })
}

#[tokio::test]
async fn a_fn_returning_a_boxed_future_is_measured_while_the_future_runs() {
    assert_eq!(measure(&BOXED, boxed(true)).await, Err("failed".into()));
    assert_eq!(BOXED.errors.get(), 1);
}

shape!(BOXED_EXPR);

/// A boxed future made by another function (not the `Box::pin(async move ..)` shape).
fn make_boxed() -> Pin<Box<dyn Future<Output = u64> + Send>> {
    Box::pin(async {
        sleep(&BOXED_EXPR).await;
        MS
    })
}

#[timed(BOXED_EXPR.latency)]
#[in_progress(BOXED_EXPR.running)]
fn boxed_expr() -> Pin<Box<dyn Future<Output = u64> + Send>> {
    make_boxed()
}

#[tokio::test]
async fn a_boxed_future_made_elsewhere_is_measured_while_it_runs() {
    assert_eq!(measure(&BOXED_EXPR, boxed_expr()).await, MS);
}

// --- #[async_trait] ----------------------------------------------------------------------------

#[async_trait::async_trait]
trait Service {
    async fn call(&self, fail: bool) -> Result<u64, String>;
    async fn call_mut(&mut self) -> u64;
}

struct Upstream {
    calls: u64,
}

shape!(ASYNC_TRAIT);
shape!(ASYNC_TRAIT_MUT);

#[async_trait::async_trait]
impl Service for Upstream {
    #[timed(ASYNC_TRAIT.latency)]
    #[in_progress(ASYNC_TRAIT.running)]
    #[count_exceptions(ASYNC_TRAIT.errors)]
    async fn call(&self, fail: bool) -> Result<u64, String> {
        sleep(&ASYNC_TRAIT).await;
        if fail {
            return Err("failed".into());
        }
        Ok(self.calls)
    }

    #[timed(ASYNC_TRAIT_MUT.latency)]
    #[in_progress(ASYNC_TRAIT_MUT.running)]
    async fn call_mut(&mut self) -> u64 {
        sleep(&ASYNC_TRAIT_MUT).await;
        self.calls += 1;
        self.calls
    }
}

#[tokio::test]
async fn an_async_trait_method_is_measured_while_it_runs() {
    let mut upstream = Upstream { calls: 7 };
    assert_eq!(
        measure(&ASYNC_TRAIT, upstream.call(true)).await,
        Err("failed".into())
    );
    assert_eq!(ASYNC_TRAIT.errors.get(), 1);
    assert_eq!(measure(&ASYNC_TRAIT_MUT, upstream.call_mut()).await, 8);
}

// --- methods, generics, impl Trait arguments, lifetimes ----------------------------------------

struct Store {
    rows: Vec<String>,
}

shape!(METHOD_REF);
shape!(METHOD_MUT);
shape!(GENERIC);
shape!(IMPL_ARG);
shape!(LIFETIMES);

impl Store {
    #[timed(METHOD_REF.latency)]
    #[in_progress(METHOD_REF.running)]
    async fn first(&self) -> Option<&str> {
        sleep(&METHOD_REF).await;
        self.rows.first().map(String::as_str)
    }

    #[timed(METHOD_MUT.latency)]
    #[in_progress(METHOD_MUT.running)]
    #[count_exceptions(METHOD_MUT.errors)]
    async fn push(&mut self, row: &str) -> Result<&mut String, String> {
        sleep(&METHOD_MUT).await;
        self.rows.push(row.to_owned());
        self.rows.last_mut().ok_or_else(|| "empty".to_owned())
    }

    /// Explicit lifetimes in an `impl Future` return type.
    #[timed(LIFETIMES.latency)]
    #[in_progress(LIFETIMES.running)]
    fn row<'a>(&'a self, i: usize) -> impl Future<Output = Option<&'a str>> + 'a {
        async move {
            sleep(&LIFETIMES).await;
            self.rows.get(i).map(String::as_str)
        }
    }
}

#[timed(GENERIC.latency)]
#[in_progress(GENERIC.running)]
async fn generic<T: Clone + Send>(value: T) -> Vec<T> {
    sleep(&GENERIC).await;
    vec![value.clone(), value]
}

#[timed(IMPL_ARG.latency)]
#[in_progress(IMPL_ARG.running)]
async fn impl_arg(parts: impl IntoIterator<Item = &str>) -> String {
    sleep(&IMPL_ARG).await;
    parts.into_iter().collect()
}

#[tokio::test]
async fn methods_generics_impl_arguments_and_lifetimes_are_measured() {
    let mut store = Store {
        rows: vec!["a".into()],
    };
    assert_eq!(measure(&METHOD_REF, store.first()).await, Some("a"));
    let pushed = measure(&METHOD_MUT, store.push("b")).await.unwrap();
    pushed.push('!');
    assert_eq!(store.rows, ["a", "b!"]);
    assert_eq!(measure(&LIFETIMES, store.row(1)).await, Some("b!"));
    assert_eq!(measure(&GENERIC, generic(3u8)).await, [3, 3]);
    assert_eq!(measure(&IMPL_ARG, impl_arg(["x", "y"])).await, "xy");
}

// --- cancellation --------------------------------------------------------------------------------

shape!(CANCELLED);

#[timed(CANCELLED.by_outcome)]
#[in_progress(CANCELLED.running)]
#[count_exceptions(CANCELLED.errors)]
fn slow() -> impl Future<Output = Result<(), String>> {
    async {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok(())
    }
}

#[tokio::test]
async fn a_cancelled_future_ends_its_measurement_as_cancelled() {
    let timed_out = tokio::time::timeout(Duration::from_millis(MS), slow()).await;
    assert!(timed_out.is_err());
    assert_eq!(CANCELLED.running.get(), 0);
    assert_eq!(CANCELLED.errors.get(), 0, "a cancelled call is no error");
    let cancelled = CANCELLED.by_outcome.get(&CallOutcome::Cancelled).get();
    assert_eq!(cancelled.value().count(), 1);
    // Measured until the drop (at the timeout), on quanta's TSC clock, whose calibration against
    // the OS clock can be a few percent off on a loaded machine: 80% of the timeout is far above
    // what a measurement that ended at the first poll would hold.
    assert!(cancelled.value().sum() >= MS as f64 / 1000.0 * 0.8);
    let ok = CANCELLED.by_outcome.get(&CallOutcome::Ok).get();
    assert_eq!(ok.value().count(), 0);
}

// --- sync bodies that the wrapping must not change ---------------------------------------------

shape!(SYNC);

struct Rows {
    rows: Vec<u32>,
}

impl Rows {
    /// Returns a borrow of `self` through a closure-free body: the item of the issue that was
    /// rejected with "captured variable cannot escape `FnMut` closure body".
    #[timed(SYNC.latency)]
    #[count_exceptions(SYNC.errors)]
    #[in_progress(SYNC.running)]
    fn row_mut(&mut self, i: usize) -> Result<&mut u32, String> {
        self.rows.get_mut(i).ok_or_else(|| format!("no row {i}"))
    }
}

#[test]
fn a_sync_method_returning_a_borrow_of_self_is_measured() {
    let mut rows = Rows { rows: vec![1, 2] };
    *rows.row_mut(1).unwrap() += 10;
    assert!(rows.row_mut(5).is_err());
    assert_eq!(rows.rows, [1, 12]);
    assert_eq!(SYNC.errors.get(), 1);
    assert_eq!(SYNC.latency.get().value().count(), 2);
    assert_eq!(SYNC.running.get(), 0);
}
