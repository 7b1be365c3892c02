//! A group of metrics: the [`Metrics`] trait of a struct of metrics, as `#[derive(Metrics)]`
//! writes it.

use crate::{Registry, RegistryError};

/// A struct of metrics that registers its fields, as `#[derive(Metrics)]` writes it.
///
/// # Examples
///
/// A hand-written implementation (the derive writes the same, with names checked at compile
/// time):
///
/// ```
/// use coremeter::{Counter, Metrics, Opts, Registry, RegistryError};
///
/// struct Jobs { done: Counter }
///
/// impl Metrics for Jobs {
///     fn register_with_prefix(&self, registry: &Registry, prefix: &str) -> Result<(), RegistryError> {
///         let name = if prefix.is_empty() { "jobs_done".to_owned() } else { format!("{prefix}_jobs_done") };
///         registry.register(Opts::new(name, "Jobs done."), self.done.clone())
///     }
/// }
///
/// let registry = Registry::new();
/// let jobs = Jobs { done: Counter::new() };
/// jobs.register(&registry)?;
/// jobs.done.inc();
/// assert_eq!(registry.sample_value("jobs_done_total", &[]), Some(1.0));
/// # Ok::<(), RegistryError>(())
/// ```
pub trait Metrics {
    /// Registers every metric in `registry`, each name preceded by `prefix` and `_` unless the
    /// prefix is empty (how a struct flattened into another gets the outer one's namespace).
    ///
    /// # Errors
    ///
    /// The first [`RegistryError`]: a name another family of the registry already produces
    /// (names are checked at compile time otherwise). Metrics registered before it stay
    /// registered.
    fn register_with_prefix(&self, registry: &Registry, prefix: &str) -> Result<(), RegistryError>;

    /// Registers every metric in `registry`.
    ///
    /// # Errors
    ///
    /// As [`register_with_prefix`](Self::register_with_prefix).
    fn register(&self, registry: &Registry) -> Result<(), RegistryError> {
        self.register_with_prefix(registry, "")
    }
}
