//! The hot-path overhead of the function attributes: each of `#[timed]`, `#[in_progress]` and
//! `#[count_exceptions]` against the same measurement written by hand (a `Timer`, an
//! `InProgress` guard, a match on the result) and against the peers that offer function
//! attributes, `autometrics` (its prometheus-client backend, the one its `prometheus-exporter`
//! setup uses; one attribute records calls, results and durations) and `metered`
//! (`#[measure(ResponseTime)]`, `InFlight`, `ErrorCount`), on functions that do nearly nothing,
//! sync and async. Each function is `#[inline(never)]`, so every row pays one call.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::LazyLock;
use std::task::{Context, Poll, Waker};

use autometrics::autometrics;
use coremeter::{
    Counter, FailureGuard, Gauge, Histogram, InProgress, Timer, count_exceptions, in_progress,
    timed,
};
use criterion::{Criterion, criterion_group, criterion_main};
use metered::{ErrorCount, InFlight, ResponseTime, metered};

static LATENCY: LazyLock<Histogram> = LazyLock::new(Histogram::new);
static RUNNING: LazyLock<Gauge> = LazyLock::new(Gauge::new);
static FAILURES: LazyLock<Counter> = LazyLock::new(Counter::new);

/// The work: next to nothing, so that what is measured is the instrumentation.
#[inline(always)]
fn work(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

#[inline(always)]
fn fallible(x: u64) -> Result<u64, String> {
    let x = work(x);
    if x == u64::MAX {
        Err("never".into())
    } else {
        Ok(x)
    }
}

// --- sync -----------------------------------------------------------------------------------

#[inline(never)]
fn bare(x: u64) -> u64 {
    work(x)
}

#[inline(never)]
fn bare_fallible(x: u64) -> Result<u64, String> {
    fallible(x)
}

/// What any timer of a call must do: read the clock before and after, and observe the seconds
/// (quanta's clock and this project's histogram, as `Timer` and `#[timed]` use them).
#[inline(never)]
fn floor_timed(x: u64, clock: &quanta::Clock) -> u64 {
    let start = clock.raw();
    let r = work(x);
    LATENCY.observe(clock.delta_as_nanos(start, clock.raw()) as f64 * 1e-9);
    r
}

#[inline(never)]
fn hand_timed(x: u64) -> u64 {
    let _timer = Timer::new(&*LATENCY);
    work(x)
}

#[timed(LATENCY)]
#[inline(never)]
fn attr_timed(x: u64) -> u64 {
    work(x)
}

#[inline(never)]
fn hand_in_progress(x: u64) -> u64 {
    let _guard = InProgress::new(&*RUNNING);
    work(x)
}

#[in_progress(RUNNING)]
#[inline(never)]
fn attr_in_progress(x: u64) -> u64 {
    work(x)
}

#[inline(never)]
fn hand_count_exceptions(x: u64) -> Result<u64, String> {
    let guard = FailureGuard::new(&*FAILURES, true, true);
    guard.check(fallible(x))
}

#[inline(never)]
fn hand_count_errors_match(x: u64) -> Result<u64, String> {
    let result = fallible(x);
    if result.is_err() {
        FAILURES.inc();
    }
    result
}

#[count_exceptions(FAILURES)]
#[inline(never)]
fn attr_count_exceptions(x: u64) -> Result<u64, String> {
    fallible(x)
}

#[autometrics]
#[inline(never)]
fn autometrics_plain(x: u64) -> u64 {
    work(x)
}

#[autometrics]
#[inline(never)]
fn autometrics_fallible(x: u64) -> Result<u64, String> {
    fallible(x)
}

#[autometrics(track_concurrency)]
#[inline(never)]
fn autometrics_concurrency(x: u64) -> u64 {
    work(x)
}

#[derive(Default, Debug)]
struct Metered {
    metrics: MeteredMetrics,
}

#[metered(registry = MeteredMetrics)]
impl Metered {
    #[measure(ResponseTime)]
    #[inline(never)]
    fn timed(&self, x: u64) -> u64 {
        work(x)
    }

    #[measure(InFlight)]
    #[inline(never)]
    fn in_flight(&self, x: u64) -> u64 {
        work(x)
    }

    #[measure(ErrorCount)]
    #[inline(never)]
    fn errors(&self, x: u64) -> Result<u64, String> {
        fallible(x)
    }

    #[measure(ResponseTime)]
    #[inline(never)]
    async fn timed_async(&self, x: u64) -> u64 {
        work(x)
    }
}

fn sync(c: &mut Criterion) {
    let metered = Metered::default();
    let mut g = c.benchmark_group("attributes/timed");
    g.bench_function("no measurement", |b| b.iter(|| bare(black_box(7))));
    let clock = quanta::Clock::new();
    g.bench_function("floor: two clock reads and an observe", |b| {
        b.iter(|| floor_timed(black_box(7), &clock))
    });
    g.bench_function("hand-written Timer", |b| {
        b.iter(|| hand_timed(black_box(7)))
    });
    g.bench_function("#[timed]", |b| b.iter(|| attr_timed(black_box(7))));
    g.bench_function("autometrics #[autometrics]", |b| {
        b.iter(|| autometrics_plain(black_box(7)))
    });
    g.bench_function("metered #[measure(ResponseTime)]", |b| {
        b.iter(|| metered.timed(black_box(7)))
    });
    g.finish();

    let mut g = c.benchmark_group("attributes/in_progress");
    g.bench_function("no measurement", |b| b.iter(|| bare(black_box(7))));
    g.bench_function("hand-written InProgress", |b| {
        b.iter(|| hand_in_progress(black_box(7)))
    });
    g.bench_function("#[in_progress]", |b| {
        b.iter(|| attr_in_progress(black_box(7)))
    });
    g.bench_function("autometrics #[autometrics(track_concurrency)]", |b| {
        b.iter(|| autometrics_concurrency(black_box(7)))
    });
    g.bench_function("metered #[measure(InFlight)]", |b| {
        b.iter(|| metered.in_flight(black_box(7)))
    });
    g.finish();

    let mut g = c.benchmark_group("attributes/count_exceptions_ok");
    g.bench_function("no measurement", |b| b.iter(|| bare_fallible(black_box(7))));
    g.bench_function("hand-written FailureGuard", |b| {
        b.iter(|| hand_count_exceptions(black_box(7)))
    });
    g.bench_function("hand-written match (errors only)", |b| {
        b.iter(|| hand_count_errors_match(black_box(7)))
    });
    g.bench_function("#[count_exceptions]", |b| {
        b.iter(|| attr_count_exceptions(black_box(7)))
    });
    g.bench_function("autometrics #[autometrics]", |b| {
        b.iter(|| autometrics_fallible(black_box(7)))
    });
    g.bench_function("metered #[measure(ErrorCount)]", |b| {
        b.iter(|| metered.errors(black_box(7)))
    });
    g.finish();
}

// --- async ----------------------------------------------------------------------------------

/// Polls a future that is ready at its first poll.
fn ready<F: Future>(f: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(f).poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => unreachable!("the benchmarked futures never wait"),
    }
}

#[inline(never)]
async fn bare_async(x: u64) -> u64 {
    work(x)
}

#[inline(never)]
async fn hand_timed_async(x: u64) -> u64 {
    let _timer = Timer::new(&*LATENCY);
    work(x)
}

#[timed(LATENCY)]
#[inline(never)]
async fn attr_timed_async(x: u64) -> u64 {
    work(x)
}

#[autometrics]
#[inline(never)]
async fn autometrics_async(x: u64) -> u64 {
    work(x)
}

fn asynchronous(c: &mut Criterion) {
    let metered = Metered::default();
    let mut g = c.benchmark_group("attributes/timed_async");
    g.bench_function("no measurement", |b| {
        b.iter(|| ready(bare_async(black_box(7))))
    });
    g.bench_function("hand-written Timer", |b| {
        b.iter(|| ready(hand_timed_async(black_box(7))))
    });
    g.bench_function("#[timed]", |b| {
        b.iter(|| ready(attr_timed_async(black_box(7))))
    });
    g.bench_function("autometrics #[autometrics]", |b| {
        b.iter(|| ready(autometrics_async(black_box(7))))
    });
    g.bench_function("metered #[measure(ResponseTime)]", |b| {
        b.iter(|| ready(metered.timed_async(black_box(7))))
    });
    g.finish();
}

criterion_group!(benches, sync, asynchronous);
criterion_main!(benches);
