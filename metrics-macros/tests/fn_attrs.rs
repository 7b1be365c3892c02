//! `#[timed]`, `#[count_exceptions]`, `#[in_progress]` on every kind of function, with early
//! returns, `?`, panics and cancelled futures.

#![allow(dead_code)]

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::sync::LazyLock;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use coremeter::{
    Counter, Family, Gauge, Histogram, LabelSet, LabelValue, Metrics, Statistics, Summary,
    count_exceptions, in_progress, timed,
};

#[derive(LabelValue, Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Op {
    Read,
    Write,
}

#[derive(LabelSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct ByOp {
    op: Op,
}

#[derive(Metrics)]
struct M {
    /// Latency.
    latency: Histogram,
    /// Latency summary.
    summary: Summary,
    /// Latency statistics.
    stats: Statistics,
    /// Failures.
    errors: Counter,
    /// In flight.
    in_flight: Gauge,
    /// Latency by operation.
    by_op: Family<ByOp, Histogram>,
}

fn count(h: &Histogram) -> u64 {
    h.get().value().count()
}

/// Polls a future to completion on this thread (the futures here never wait for I/O).
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// A future that is pending once, then ready.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            Poll::Pending
        }
    }
}

static T: LazyLock<M> = LazyLock::new(M::new);

#[timed(T.latency)]
fn early_return(x: u32) -> u32 {
    if x == 0 {
        return 7;
    }
    x
}

#[timed(T.summary)]
#[count_exceptions(T.errors)]
fn parse(s: &str) -> Result<u32, std::num::ParseIntError> {
    let v: u32 = s.parse()?;
    Ok(v * 2)
}

#[count_exceptions(T.errors)]
#[timed(T.stats)]
fn panics(really: bool) -> Result<(), String> {
    if really {
        panic!("boom");
    }
    Err("no".into())
}

#[in_progress(T.in_flight)]
fn in_flight_inside() -> i64 {
    T.in_flight.get()
}

#[test]
fn sync_functions() {
    let before = count(&T.latency);
    assert_eq!(early_return(0), 7);
    assert_eq!(early_return(3), 3);
    assert_eq!(count(&T.latency), before + 2);

    let errors = T.errors.get();
    assert_eq!(parse("21"), Ok(42));
    assert!(parse("x").is_err());
    assert_eq!(T.errors.get(), errors + 1);
    assert_eq!(T.summary.get().count, 2);

    let stats = T.stats.get().count;
    assert!(panics(false).is_err());
    assert!(catch_unwind(|| panics(true)).is_err());
    // One Err and one panic, each counted once; both timed.
    assert_eq!(T.errors.get(), errors + 3);
    assert_eq!(T.stats.get().count, stats + 2);

    assert_eq!(in_flight_inside(), 1);
    assert_eq!(T.in_flight.get(), 0);
}

static U: LazyLock<M> = LazyLock::new(M::new);

#[count_exceptions(U.errors, on = "err")]
fn only_err(fail: bool) -> Result<(), ()> {
    if fail {
        panic!("not counted");
    }
    Err(())
}

#[count_exceptions(U.errors, on = "panic")]
fn only_panic(fail: bool) -> u8 {
    if fail {
        panic!("counted");
    }
    1
}

#[in_progress(U.in_flight)]
fn in_flight_panics() {
    assert_eq!(U.in_flight.get(), 1);
    panic!("the gauge still goes down");
}

#[test]
fn the_on_argument_and_panics() {
    assert!(only_err(false).is_err());
    assert!(catch_unwind(|| only_err(true)).is_err());
    assert_eq!(U.errors.get(), 1);
    assert_eq!(only_panic(false), 1);
    assert!(catch_unwind(|| only_panic(true)).is_err());
    assert_eq!(U.errors.get(), 2);
    assert!(catch_unwind(in_flight_panics).is_err());
    assert_eq!(U.in_flight.get(), 0);
}

static A: LazyLock<M> = LazyLock::new(M::new);

#[timed(A.latency)]
#[in_progress(A.in_flight)]
#[count_exceptions(A.errors)]
async fn handle(fail: bool) -> Result<u32, String> {
    assert_eq!(A.in_flight.get(), 1);
    YieldOnce(false).await;
    if fail {
        return Err("failed".into());
    }
    Ok(1)
}

#[test]
fn async_functions_from_first_poll_to_completion_and_cancellation() {
    // Created but never polled: nothing happens.
    drop(handle(false));
    assert_eq!((A.in_flight.get(), count(&A.latency)), (0, 0));

    // The time before the first poll is not measured.
    let future = handle(false);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(block_on(future), Ok(1));
    let h = A.latency.get();
    assert_eq!(h.value().count(), 1);
    assert!(h.value().sum() < 0.05, "measured {} s", h.value().sum());

    assert!(block_on(handle(true)).is_err());
    assert_eq!(A.errors.get(), 1);

    // Cancelled after the first poll: in_progress goes back down, the time is observed, no
    // failure is counted.
    {
        let mut future = pin!(handle(false));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(future.as_mut().poll(&mut cx).is_pending());
        assert_eq!(A.in_flight.get(), 1);
    }
    assert_eq!(A.in_flight.get(), 0);
    assert_eq!(count(&A.latency), 3);
    assert_eq!(A.errors.get(), 1);
}

static G: LazyLock<M> = LazyLock::new(M::new);

struct Service {
    calls: u32,
}

impl Service {
    #[timed(G.latency)]
    fn by_ref(&self) -> u32 {
        self.calls
    }

    #[in_progress(G.in_flight)]
    fn by_mut(&mut self) -> u32 {
        self.calls += 1;
        self.calls
    }

    #[count_exceptions(G.errors)]
    fn by_value(self) -> Result<u32, u32> {
        Err(self.calls)
    }

    #[timed(G.by_op.get(&ByOp { op: Op::Write }))]
    async fn labelled(&self) -> u32 {
        self.calls
    }
}

#[timed(G.latency)]
#[count_exceptions(G.errors)]
fn generic<T, E>(value: Result<T, E>) -> Result<T, E>
where
    T: Clone,
{
    value
}

#[timed(G.latency)]
fn iterator(n: u32) -> impl Iterator<Item = u32> {
    0..n
}

#[count_exceptions(G.errors, on = "panic")]
fn boxed<'a>(s: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    s.split(',')
}

#[count_exceptions(G.errors)]
fn borrowed(s: &str) -> Result<&str, ()> {
    s.strip_prefix('x').ok_or(())
}

#[test]
fn methods_generics_and_impl_trait() {
    let mut s = Service { calls: 0 };
    assert_eq!(s.by_mut(), 1);
    assert_eq!(s.by_ref(), 1);
    assert_eq!(s.by_value(), Err(1));
    assert_eq!(G.errors.get(), 1);
    assert_eq!(generic::<u8, ()>(Ok(1)), Ok(1));
    assert_eq!(generic::<u8, ()>(Err(())), Err(()));
    assert_eq!(G.errors.get(), 2);
    assert_eq!(iterator(3).sum::<u32>(), 3);
    assert_eq!(boxed("a,b").count(), 2);
    assert_eq!(borrowed("xy"), Ok("y"));
    assert_eq!(borrowed("y"), Err(()));
    assert_eq!(G.errors.get(), 3);
    assert_eq!(count(&G.latency), 4);
    let s = Service { calls: 5 };
    assert_eq!(block_on(s.labelled()), 5);
    assert_eq!(
        G.by_op.get(&ByOp { op: Op::Write }).get().value().count(),
        1
    );
    assert_eq!(G.by_op.get(&ByOp { op: Op::Read }).get().value().count(), 0);
}

static P: LazyLock<M> = LazyLock::new(M::new);

#[in_progress(P.in_flight)]
fn question_mark(s: &str) -> Result<u8, std::num::ParseIntError> {
    let v: u8 = s.parse()?;
    Ok(v)
}

#[test]
fn question_mark_and_unwinding_never_leak_in_progress() {
    assert!(question_mark("x").is_err());
    assert_eq!(question_mark("4"), Ok(4));
    let r = catch_unwind(AssertUnwindSafe(|| {
        let _ = question_mark("300").map_err(|e| panic!("{e}"));
    }));
    assert!(r.is_err());
    assert_eq!(P.in_flight.get(), 0);
}
