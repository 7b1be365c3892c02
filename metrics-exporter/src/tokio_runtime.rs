//! The tokio runtime's own figures ([`tokio::runtime::RuntimeMetrics`]), read at scrape time.

use coremeter::{
    Collector, CounterMetricFamily, GaugeMetricFamily, MetricFamily, Registry, RegistryError,
};
use tokio::runtime::Handle;

/// A custom collector of a tokio runtime's metrics, read from its [`Handle`] at each scrape and
/// named `tokio_` plus the name of the [`RuntimeMetrics`](tokio::runtime::RuntimeMetrics)
/// method that gives them:
///
/// | name | type | from |
/// | --- | --- | --- |
/// | `tokio_num_workers` | gauge | `num_workers` |
/// | `tokio_num_alive_tasks` | gauge | `num_alive_tasks` |
/// | `tokio_global_queue_depth` | gauge | `global_queue_depth` |
/// | `tokio_worker_total_busy_duration_seconds_total{worker}` | counter | `worker_total_busy_duration` |
/// | `tokio_worker_park_count_total{worker}` | counter | `worker_park_count` |
/// | `tokio_worker_park_unpark_count_total{worker}` | counter | `worker_park_unpark_count` |
///
/// Built with `RUSTFLAGS="--cfg tokio_unstable"`, it also exposes tokio's unstable metrics:
/// `tokio_num_blocking_threads`, `tokio_num_idle_blocking_threads`, `tokio_blocking_queue_depth`
/// (gauges), `tokio_spawned_tasks_count_total`, `tokio_remote_schedule_count_total`,
/// `tokio_budget_forced_yield_count_total` (counters), and per worker
/// `tokio_worker_local_queue_depth` (gauge), `tokio_worker_poll_count_total`,
/// `tokio_worker_steal_count_total`, `tokio_worker_noop_count_total`,
/// `tokio_worker_overflow_count_total` (counters) and `tokio_worker_mean_poll_time_seconds`
/// (gauge).
///
/// # Examples
///
/// ```
/// use coremeter::Registry;
/// use coremeter_exporter::TokioCollector;
///
/// let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build()?;
/// let registry = Registry::new();
/// TokioCollector::register(&registry, runtime.handle().clone())?;
/// assert_eq!(registry.sample_value("tokio_num_workers", &[]), Some(2.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct TokioCollector {
    runtime: Handle,
}

impl TokioCollector {
    /// A collector of the runtime behind `runtime` (`Handle::current()` inside it).
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    /// let collector = coremeter_exporter::TokioCollector::new(runtime.handle().clone());
    /// coremeter::Registry::new().register_collector(collector)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(runtime: Handle) -> Self {
        TokioCollector { runtime }
    }

    /// Registers a collector of the runtime behind `runtime` in `registry`.
    ///
    /// # Errors
    ///
    /// [`RegistryError::Duplicate`] (or a name clash) when `tokio_*` names are taken (a second
    /// runtime needs a registry of its own, or a prefix).
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    /// let registry = coremeter::Registry::new();
    /// coremeter_exporter::TokioCollector::register(&registry, runtime.handle().clone())?;
    /// assert!(coremeter_exporter::TokioCollector::register(&registry, runtime.handle().clone()).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn register(registry: &Registry, runtime: Handle) -> Result<(), RegistryError> {
        registry.register_collector(TokioCollector::new(runtime))
    }
}

/// Pushes a family of type `$family` with one series per worker (label `worker`), unless a name
/// or value is refused (then the family is left out of the scrape).
macro_rules! per_worker {
    ($families:expr, $family:ident, $name:expr, $help:expr, $unit:expr, $workers:expr, $value:expr) => {{
        let Ok(family) = $family::new($name, $help, &["worker"]) else {
            return;
        };
        let Ok(mut family) = (match $unit {
            Some(unit) => family.with_unit(unit),
            None => Ok(family),
        }) else {
            return;
        };
        for worker in 0..$workers {
            if family
                .add_metric(&[&worker.to_string()], $value(worker))
                .is_err()
            {
                return;
            }
        }
        $families.0.push(family.into());
    }};
}

/// The families of one scrape.
struct Families(Vec<MetricFamily>);

impl Families {
    fn gauge(&mut self, name: &'static str, help: &'static str, value: f64) {
        if let Ok(mut f) = GaugeMetricFamily::new(name, help, &[])
            && f.add_metric(&[], value).is_ok()
        {
            self.0.push(f.into());
        }
    }

    #[cfg(tokio_unstable)]
    fn counter(&mut self, name: &'static str, help: &'static str, value: u64) {
        if let Ok(mut f) = CounterMetricFamily::new(name, help, &[])
            && f.add_metric(&[], value).is_ok()
        {
            self.0.push(f.into());
        }
    }

    /// A counter with one series per worker.
    fn per_worker_counter(
        &mut self,
        name: &'static str,
        help: &'static str,
        unit: Option<&'static str>,
        workers: usize,
        value: impl Fn(usize) -> f64,
    ) {
        per_worker!(self, CounterMetricFamily, name, help, unit, workers, value);
    }

    /// A gauge with one series per worker.
    #[cfg(tokio_unstable)]
    fn per_worker_gauge(
        &mut self,
        name: &'static str,
        help: &'static str,
        unit: Option<&'static str>,
        workers: usize,
        value: impl Fn(usize) -> f64,
    ) {
        per_worker!(self, GaugeMetricFamily, name, help, unit, workers, value);
    }
}

impl Collector for TokioCollector {
    fn collect(&self) -> Vec<MetricFamily> {
        let m = self.runtime.metrics();
        let workers = m.num_workers();
        let mut f = Families(Vec::new());
        f.gauge(
            "tokio_num_workers",
            "Worker threads of the runtime.",
            workers as f64,
        );
        f.gauge(
            "tokio_num_alive_tasks",
            "Tasks of the runtime not yet finished.",
            m.num_alive_tasks() as f64,
        );
        f.gauge(
            "tokio_global_queue_depth",
            "Tasks in the runtime's global queue.",
            m.global_queue_depth() as f64,
        );
        f.per_worker_counter(
            "tokio_worker_total_busy_duration",
            "Time each worker spent busy, in seconds.",
            Some("seconds"),
            workers,
            |w| m.worker_total_busy_duration(w).as_secs_f64(),
        );
        f.per_worker_counter(
            "tokio_worker_park_count",
            "Times each worker parked.",
            None,
            workers,
            |w| m.worker_park_count(w) as f64,
        );
        f.per_worker_counter(
            "tokio_worker_park_unpark_count",
            "Times each worker parked and unparked.",
            None,
            workers,
            |w| m.worker_park_unpark_count(w) as f64,
        );
        #[cfg(tokio_unstable)]
        unstable(&m, workers, &mut f);
        f.0
    }
}

/// The metrics tokio exposes only with `--cfg tokio_unstable`.
#[cfg(tokio_unstable)]
fn unstable(m: &tokio::runtime::RuntimeMetrics, workers: usize, f: &mut Families) {
    f.gauge(
        "tokio_num_blocking_threads",
        "Threads of the runtime's blocking pool.",
        m.num_blocking_threads() as f64,
    );
    f.gauge(
        "tokio_num_idle_blocking_threads",
        "Idle threads of the runtime's blocking pool.",
        m.num_idle_blocking_threads() as f64,
    );
    f.gauge(
        "tokio_blocking_queue_depth",
        "Tasks waiting for a blocking thread.",
        m.blocking_queue_depth() as f64,
    );
    f.counter(
        "tokio_spawned_tasks_count",
        "Tasks spawned on the runtime.",
        m.spawned_tasks_count(),
    );
    f.counter(
        "tokio_remote_schedule_count",
        "Tasks scheduled from outside the runtime.",
        m.remote_schedule_count(),
    );
    f.counter(
        "tokio_budget_forced_yield_count",
        "Times a task was made to yield by its budget.",
        m.budget_forced_yield_count(),
    );
    f.per_worker_gauge(
        "tokio_worker_local_queue_depth",
        "Tasks in each worker's local queue.",
        None,
        workers,
        |w| m.worker_local_queue_depth(w) as f64,
    );
    f.per_worker_counter(
        "tokio_worker_poll_count",
        "Tasks each worker polled.",
        None,
        workers,
        |w| m.worker_poll_count(w) as f64,
    );
    f.per_worker_counter(
        "tokio_worker_steal_count",
        "Tasks each worker stole from another.",
        None,
        workers,
        |w| m.worker_steal_count(w) as f64,
    );
    f.per_worker_counter(
        "tokio_worker_noop_count",
        "Times each worker unparked with nothing to do.",
        None,
        workers,
        |w| m.worker_noop_count(w) as f64,
    );
    f.per_worker_counter(
        "tokio_worker_overflow_count",
        "Times each worker's local queue overflowed.",
        None,
        workers,
        |w| m.worker_overflow_count(w) as f64,
    );
    f.per_worker_gauge(
        "tokio_worker_mean_poll_time",
        "Each worker's mean poll time, in seconds.",
        Some("seconds"),
        workers,
        |w| m.worker_mean_poll_time(w).as_secs_f64(),
    );
}
