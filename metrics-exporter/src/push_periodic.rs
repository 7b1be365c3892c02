//! Pushing a registry to a Pushgateway on an interval, from a thread of its own (the flow of a
//! service that pushes its counters rather than being scraped): the caller never waits, a
//! failed push is retried with backoff, failures are counted and reported, and the last values
//! are pushed when the pusher stops.

use std::fmt;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use coremeter::{Counter, Opts};

use crate::{PushError, Pushgateway, SharedRegistry};

type ErrorHook = Arc<dyn Fn(&PushError) + Send + Sync>;

/// A periodic push of a registry, made by [`Pushgateway::every`]; [`start`](Self::start) runs it.
///
/// Each round replaces the group's metrics (`PUT`, as [`Pushgateway::push`]), or adds to them
/// with [`add`](Self::add) (`POST`). A round that fails is retried after 100 ms, then twice as
/// long each time, up to the interval; the next round comes on the interval's schedule. Failures
/// are counted by [`PushHandle::failures`] and by the counter `coremeter_push_failures_total`
/// (label `push_job`) in the pushed registry, when its name is free there, and each is given to
/// the [`on_error`](Self::on_error) hook.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use coremeter::{Counter, Opts, Registry};
/// use coremeter_exporter::Pushgateway;
///
/// let registry = Arc::new(Registry::new());
/// let handled = Counter::new();
/// registry.register(Opts::new("handled", "Requests handled."), handled.clone())?;
/// let pusher = Pushgateway::new("http://127.0.0.1:1")?
///     .every(Duration::from_secs(15), "orders", &[("instance", "orders-1")])
///     .on_error(|e| eprintln!("push failed: {e}"))
///     .start(&registry);
/// handled.inc();
/// pusher.stop(); // pushes a last time (here it fails: nothing listens on port 1)
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "nothing is pushed until `start`"]
pub struct PeriodicPush {
    gateway: Pushgateway,
    interval: Duration,
    job: String,
    grouping: Vec<(String, String)>,
    add: bool,
    on_error: Option<ErrorHook>,
}

impl Pushgateway {
    /// A push of `job` + `grouping` every `interval` (at least 10 ms), to [start](PeriodicPush::start).
    ///
    /// # Examples
    ///
    /// ```
    /// let gateway = coremeter_exporter::Pushgateway::new("http://127.0.0.1:9091")?;
    /// let periodic = gateway.every(std::time::Duration::from_secs(10), "worker", &[]);
    /// # let _ = periodic;
    /// # Ok::<(), coremeter_exporter::PushError>(())
    /// ```
    pub fn every(self, interval: Duration, job: &str, grouping: &[(&str, &str)]) -> PeriodicPush {
        PeriodicPush {
            gateway: self,
            interval: interval.max(Duration::from_millis(10)),
            job: job.to_owned(),
            grouping: grouping
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            add: false,
            on_error: None,
        }
    }
}

impl PeriodicPush {
    /// Adds to the group's metrics (`POST`, as [`Pushgateway::push_add`]) instead of replacing
    /// them.
    ///
    /// # Examples
    ///
    /// ```
    /// let gateway = coremeter_exporter::Pushgateway::new("http://127.0.0.1:9091")?;
    /// let periodic = gateway.every(std::time::Duration::from_secs(10), "worker", &[]).add();
    /// # let _ = periodic;
    /// # Ok::<(), coremeter_exporter::PushError>(())
    /// ```
    pub fn add(mut self) -> Self {
        self.add = true;
        self
    }

    /// Calls `hook` with each failed attempt's error (on the pusher's thread).
    ///
    /// # Examples
    ///
    /// ```
    /// let gateway = coremeter_exporter::Pushgateway::new("http://127.0.0.1:9091")?;
    /// let periodic = gateway
    ///     .every(std::time::Duration::from_secs(10), "worker", &[])
    ///     .on_error(|e| eprintln!("push failed: {e}"));
    /// # let _ = periodic;
    /// # Ok::<(), coremeter_exporter::PushError>(())
    /// ```
    pub fn on_error(mut self, hook: impl Fn(&PushError) + Send + Sync + 'static) -> Self {
        self.on_error = Some(Arc::new(hook));
        self
    }

    /// Starts pushing `registry` from a thread named `coremeter-push`: the first push at once,
    /// then every interval. Stopping or dropping the handle pushes a last time.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let pusher = coremeter_exporter::Pushgateway::new("http://127.0.0.1:1")?
    ///     .every(std::time::Duration::from_secs(10), "worker", &[])
    ///     .start(&registry);
    /// drop(pusher);
    /// # Ok::<(), coremeter_exporter::PushError>(())
    /// ```
    pub fn start(self, registry: impl Into<SharedRegistry>) -> PushHandle {
        let registry = registry.into();
        let failures = Counter::new();
        let pushes = Counter::new();
        // The failures count travels with the metrics, where the name is free.
        let _ = registry.register(
            Opts::new(
                "coremeter_push_failures",
                "Pushes of this registry to the Pushgateway that failed.",
            )
            .const_label("push_job", self.job.clone()),
            failures.clone(),
        );
        let (stop, stopped) = mpsc::channel::<()>();
        let (thread_failures, thread_pushes) = (failures.clone(), pushes.clone());
        let thread = std::thread::Builder::new()
            .name("coremeter-push".into())
            .spawn(move || self.run(&registry, &stopped, &thread_pushes, &thread_failures));
        PushHandle {
            stop: Some(stop),
            thread: thread.ok(),
            pushes,
            failures,
        }
    }

    fn run(
        &self,
        registry: &SharedRegistry,
        stopped: &mpsc::Receiver<()>,
        pushes: &Counter,
        failures: &Counter,
    ) {
        let grouping: Vec<(&str, &str)> = self
            .grouping
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let push = || {
            let result = if self.add {
                self.gateway.push_add(&self.job, &grouping, registry)
            } else {
                self.gateway.push(&self.job, &grouping, registry)
            };
            match result {
                Ok(()) => {
                    pushes.inc();
                    true
                }
                Err(e) => {
                    failures.inc();
                    if let Some(hook) = &self.on_error {
                        hook(&e);
                    }
                    false
                }
            }
        };
        let first_retry = Duration::from_millis(100).min(self.interval);
        let mut next = Instant::now();
        let mut retry = first_retry;
        loop {
            let wait = next.saturating_duration_since(Instant::now());
            match stopped.recv_timeout(wait) {
                Err(RecvTimeoutError::Timeout) => {}
                // Stopped, or the handle is gone: the last values, once.
                Ok(()) | Err(RecvTimeoutError::Disconnected) => {
                    push();
                    return;
                }
            }
            if push() {
                retry = first_retry;
                next += self.interval;
                // A round that overran the interval does not make the next ones catch up.
                next = next.max(Instant::now());
            } else {
                next = Instant::now() + retry;
                retry = (retry * 2).min(self.interval);
            }
        }
    }
}

impl fmt::Debug for PeriodicPush {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeriodicPush")
            .field("gateway", &self.gateway)
            .field("interval", &self.interval)
            .field("job", &self.job)
            .field("grouping", &self.grouping)
            .field("add", &self.add)
            .finish_non_exhaustive()
    }
}

/// A running [`PeriodicPush`]. Stopping or dropping it pushes a last time and waits for that
/// push (at most the gateway's timeout).
#[must_use = "the pusher stops when its handle is dropped"]
#[derive(Debug)]
pub struct PushHandle {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    pushes: Counter,
    failures: Counter,
}

impl PushHandle {
    /// Pushes that succeeded so far.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let pusher = coremeter_exporter::Pushgateway::new("http://127.0.0.1:1")?
    ///     .every(std::time::Duration::from_secs(10), "worker", &[])
    ///     .start(&registry);
    /// assert_eq!(pusher.pushes(), 0);
    /// # Ok::<(), coremeter_exporter::PushError>(())
    /// ```
    pub fn pushes(&self) -> u64 {
        self.pushes.get()
    }

    /// Attempts that failed so far.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let pusher = coremeter_exporter::Pushgateway::new("http://127.0.0.1:1")?
    ///     .every(std::time::Duration::from_secs(10), "worker", &[])
    ///     .start(&registry);
    /// std::thread::sleep(std::time::Duration::from_millis(300));
    /// assert!(pusher.failures() >= 1);
    /// # Ok::<(), coremeter_exporter::PushError>(())
    /// ```
    pub fn failures(&self) -> u64 {
        self.failures.get()
    }

    /// Pushes a last time and stops.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let pusher = coremeter_exporter::Pushgateway::new("http://127.0.0.1:1")?
    ///     .every(std::time::Duration::from_secs(10), "worker", &[])
    ///     .start(&registry);
    /// pusher.stop();
    /// # Ok::<(), coremeter_exporter::PushError>(())
    /// ```
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for PushHandle {
    fn drop(&mut self) {
        self.shut_down();
    }
}
