//! A custom collector that fails during a collection: caught, reported as a value, and kept off
//! stderr.
//!
//! A [`Collector`](crate::Collector) implementation is the user's code, run at every scrape; if it
//! panics, the collection goes on with the other entries and then returns a [`CollectError`]
//! (so an exporter answers `500` and a reset commits nothing), and the registry's
//! [error hook](crate::Registry::on_collect_error) is told. The process' panic hook is not run for
//! such a panic: a broken collector would otherwise print a backtrace at every scrape. (The
//! registry installs, once, a panic hook that forwards every other panic to the hook that was
//! there before.)

use std::any::Any;
use std::cell::Cell;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

/// A custom collector panicked while a registry was collected.
///
/// # Examples
///
/// ```
/// use coremeter::{Collector, MetricFamily, Registry, SampleList};
///
/// use std::sync::atomic::{AtomicBool, Ordering};
///
/// // Fine at registration (which collects once to learn the names), broken afterwards.
/// struct Broken(AtomicBool);
/// impl Collector for Broken {
///     fn collect(&self) -> Vec<MetricFamily> {
///         if self.0.swap(true, Ordering::Relaxed) {
///             panic!("the queue is gone");
///         }
///         Vec::new()
///     }
/// }
/// let registry = Registry::new();
/// registry.register_collector(Broken(AtomicBool::new(false)))?;
/// let error = registry.collect(&mut SampleList::new()).unwrap_err();
/// assert_eq!(error.message(), "the queue is gone");
/// assert!(error.to_string().contains("Broken"));
/// # Ok::<(), coremeter::RegistryError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectError {
    collector: &'static str,
    message: String,
}

impl CollectError {
    /// The collector's type name.
    ///
    /// # Examples
    ///
    /// ```
    /// # use coremeter::{Collector, MetricFamily, Registry, SampleList};
    /// # struct Broken(std::sync::atomic::AtomicBool);
    /// # impl Collector for Broken {
    /// #     fn collect(&self) -> Vec<MetricFamily> {
    /// #         if self.0.swap(true, std::sync::atomic::Ordering::Relaxed) { panic!("gone") }
    /// #         Vec::new()
    /// #     }
    /// # }
    /// # let registry = Registry::new();
    /// # registry.register_collector(Broken(Default::default()))?;
    /// let error = registry.collect(&mut SampleList::new()).unwrap_err();
    /// assert!(error.collector().ends_with("Broken"));
    /// # Ok::<(), coremeter::RegistryError>(())
    /// ```
    pub fn collector(&self) -> &str {
        self.collector
    }

    /// The panic's message (`"panicked"` if it was not a string).
    ///
    /// # Examples
    ///
    /// ```
    /// # use coremeter::{Collector, MetricFamily, Registry, SampleList};
    /// # struct Broken(std::sync::atomic::AtomicBool);
    /// # impl Collector for Broken {
    /// #     fn collect(&self) -> Vec<MetricFamily> {
    /// #         if self.0.swap(true, std::sync::atomic::Ordering::Relaxed) { panic!("gone") }
    /// #         Vec::new()
    /// #     }
    /// # }
    /// # let registry = Registry::new();
    /// # registry.register_collector(Broken(Default::default()))?;
    /// let error = registry.collect(&mut SampleList::new()).unwrap_err();
    /// assert_eq!(error.message(), "gone");
    /// # Ok::<(), coremeter::RegistryError>(())
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for CollectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "collector {} panicked: {}", self.collector, self.message)
    }
}

impl std::error::Error for CollectError {}

std::thread_local! {
    /// Set while a collector runs on this thread: its panics are caught and reported.
    static CATCHING: Cell<bool> = const { Cell::new(false) };
}

/// Runs the collector `collector` (its type name) as `run`, turning a panic into an error.
pub(crate) fn catch<R>(
    collector: &'static str,
    run: impl FnOnce() -> R,
) -> Result<R, CollectError> {
    static QUIET_HOOK: Once = Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !CATCHING.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let outer = CATCHING.with(|c| c.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(run));
    CATCHING.with(|c| c.set(outer));
    result.map_err(|payload| CollectError {
        collector,
        message: message(&*payload),
    })
}

fn message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panicked".to_owned()
    }
}
