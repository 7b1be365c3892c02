//! The standard `process_*` metrics, read from Linux's `/proc` at scrape time.

use coremeter::{
    Collector, CounterMetricFamily, GaugeMetricFamily, MetricFamily, Registry, RegistryError,
};

/// A custom collector with the process metrics every Prometheus client exposes, read from
/// `/proc/self` at each scrape (Python's `ProcessCollector`):
///
/// | name | type | from |
/// | --- | --- | --- |
/// | `process_cpu_seconds_total` | counter | user + system time, `/proc/self/stat` |
/// | `process_open_fds` | gauge | entries of `/proc/self/fd` |
/// | `process_max_fds` | gauge | the soft `RLIMIT_NOFILE` (absent when unlimited) |
/// | `process_virtual_memory_bytes` | gauge | `vsize`, `/proc/self/stat` |
/// | `process_resident_memory_bytes` | gauge | `rss` pages x page size |
/// | `process_start_time_seconds` | gauge | start ticks + boot time (`/proc/stat`), Unix seconds |
/// | `process_threads` | gauge | `num_threads`, `/proc/self/stat` |
///
/// On systems without `/proc` (anything but Linux) it exposes nothing; a file that cannot be
/// read at a scrape leaves out the metrics it feeds, never fails the scrape.
///
/// # Examples
///
/// ```
/// use coremeter::Registry;
/// use coremeter_exporter::ProcessCollector;
///
/// let registry = Registry::new();
/// ProcessCollector::register(&registry)?;
/// # #[cfg(target_os = "linux")]
/// assert!(registry.sample_value("process_resident_memory_bytes", &[]).unwrap() > 0.0);
/// # Ok::<(), coremeter::RegistryError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct ProcessCollector {
    _private: (),
}

impl ProcessCollector {
    /// A collector for the current process.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = coremeter::Registry::new();
    /// registry.register_collector(coremeter_exporter::ProcessCollector::new())?;
    /// # Ok::<(), coremeter::RegistryError>(())
    /// ```
    pub fn new() -> Self {
        ProcessCollector::default()
    }

    /// Registers a collector for the current process in `registry`.
    ///
    /// # Errors
    ///
    /// [`RegistryError::Duplicate`] (or a name clash) when `process_*` names are taken.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = coremeter::Registry::new();
    /// coremeter_exporter::ProcessCollector::register(&registry)?;
    /// assert!(coremeter_exporter::ProcessCollector::register(&registry).is_err());
    /// # Ok::<(), coremeter::RegistryError>(())
    /// ```
    pub fn register(registry: &Registry) -> Result<(), RegistryError> {
        registry.register_collector(ProcessCollector::new())
    }
}

impl Collector for ProcessCollector {
    fn collect(&self) -> Vec<MetricFamily> {
        let mut families = Vec::new();
        #[cfg(target_os = "linux")]
        linux::collect(&mut families);
        families
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use super::*;

    /// Fields of `/proc/self/stat` after the command name, counted from `state` (field 3).
    const UTIME: usize = 14 - 3;
    const STIME: usize = 15 - 3;
    const NUM_THREADS: usize = 20 - 3;
    const STARTTIME: usize = 22 - 3;
    const VSIZE: usize = 23 - 3;
    const RSS: usize = 24 - 3;

    pub(super) fn collect(families: &mut Vec<MetricFamily>) {
        let ticks = rustix::param::clock_ticks_per_second() as f64;
        if let Some(stat) = read_stat() {
            let field = |i: usize| stat.get(i).and_then(|f| f.parse::<u64>().ok());
            if let (Some(user), Some(system)) = (field(UTIME), field(STIME)) {
                let cpu = (user + system) as f64 / ticks;
                if let Ok(mut f) = CounterMetricFamily::new(
                    "process_cpu_seconds",
                    "Total user and system CPU time spent in seconds.",
                    &[],
                )
                .and_then(|f| f.with_unit("seconds"))
                    && f.add_metric(&[], cpu).is_ok()
                {
                    families.push(f.into());
                }
            }
            if let Some(vsize) = field(VSIZE) {
                gauge(
                    families,
                    "process_virtual_memory_bytes",
                    "Virtual memory size in bytes.",
                    "bytes",
                    vsize as f64,
                );
            }
            if let Some(rss) = field(RSS) {
                let bytes = rss as f64 * rustix::param::page_size() as f64;
                gauge(
                    families,
                    "process_resident_memory_bytes",
                    "Resident memory size in bytes.",
                    "bytes",
                    bytes,
                );
            }
            if let (Some(start), Some(boot)) = (field(STARTTIME), boot_time()) {
                let seconds = boot as f64 + start as f64 / ticks;
                gauge(
                    families,
                    "process_start_time_seconds",
                    "Start time of the process since unix epoch in seconds.",
                    "seconds",
                    seconds,
                );
            }
            if let Some(threads) = field(NUM_THREADS) {
                gauge(
                    families,
                    "process_threads",
                    "Number of OS threads in the process.",
                    "",
                    threads as f64,
                );
            }
        }
        if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
            // The directory handle itself is one of the entries: leave it out.
            let open = entries.count().saturating_sub(1);
            gauge(
                families,
                "process_open_fds",
                "Number of open file descriptors.",
                "",
                open as f64,
            );
        }
        if let Ok(limit) = rustix::process::getrlimit(rustix::process::Resource::Nofile)
            .current
            .ok_or(())
        {
            gauge(
                families,
                "process_max_fds",
                "Maximum number of open file descriptors.",
                "",
                limit as f64,
            );
        }
    }

    fn gauge(
        families: &mut Vec<MetricFamily>,
        name: &'static str,
        help: &'static str,
        unit: &'static str,
        value: f64,
    ) {
        let family = GaugeMetricFamily::new(name, help, &[]).and_then(|f| {
            if unit.is_empty() {
                Ok(f)
            } else {
                f.with_unit(unit)
            }
        });
        if let Ok(mut family) = family
            && family.add_metric(&[], value).is_ok()
        {
            families.push(family.into());
        }
    }

    /// The fields of `/proc/self/stat` after `(comm)`: the command name may hold spaces and
    /// parentheses, so split after the last `)`.
    fn read_stat() -> Option<Vec<String>> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let (_, rest) = stat.rsplit_once(')')?;
        Some(rest.split_whitespace().map(str::to_owned).collect())
    }

    /// Boot time, Unix seconds (`btime` of `/proc/stat`).
    fn boot_time() -> Option<u64> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        stat.lines()
            .find_map(|line| line.strip_prefix("btime "))
            .and_then(|v| v.trim().parse().ok())
    }
}
