//! Info metrics: label pairs exposed with the value 1.

use std::fmt;

use crate::collect::{Collector, FamilyLabels, Metric, MetricType, Value, sealed};
use crate::family::{LabelError, check_label_names};
use crate::sync::unmodelled::{Arc, RwLock};

/// A set of label pairs exposed with the value 1 (Python's `Info`): build version, commit,
/// configuration. The family `build` is exposed as `build_info{version="1.2.3",...} 1`.
///
/// Not a hot-path metric: [`set`](Self::set) replaces the pairs under a lock.
///
/// A pair whose name is one of the registry's constant labels is left out of the exposition (the
/// constant label wins), so that no series has the same label twice.
///
/// # Examples
///
/// ```
/// use metrics_core::{Info, Opts, Registry};
///
/// let registry = Registry::new();
/// let build = Info::new(&[("version", "1.2.3"), ("commit", "4f2a9c1")])?;
/// registry.register(Opts::new("build", "Build information."), build.clone())?;
/// assert_eq!(
///     registry.sample_value("build_info", &[("version", "1.2.3"), ("commit", "4f2a9c1")]),
///     Some(1.0),
/// );
/// build.set(&[("version", "1.2.4")])?;
/// assert_eq!(registry.sample_value("build_info", &[("version", "1.2.4")]), Some(1.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Info {
    pairs: Arc<RwLock<Vec<(String, String)>>>,
}

impl Info {
    /// An info metric with `pairs`.
    ///
    /// # Errors
    ///
    /// [`LabelError`] for an invalid or duplicate label name.
    pub fn new(pairs: &[(&str, &str)]) -> Result<Self, LabelError> {
        let info = Info {
            pairs: Arc::new(RwLock::new(Vec::new())),
        };
        info.set(pairs)?;
        Ok(info)
    }

    /// Replaces the pairs.
    ///
    /// # Errors
    ///
    /// [`LabelError`] for an invalid or duplicate label name; the pairs are then unchanged.
    pub fn set(&self, pairs: &[(&str, &str)]) -> Result<(), LabelError> {
        let names: Vec<&str> = pairs.iter().map(|(n, _)| *n).collect();
        check_label_names(&names, MetricType::Info)?;
        let pairs = pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        *self.pairs.write().unwrap_or_else(|p| p.into_inner()) = pairs;
        Ok(())
    }

    /// The current pairs.
    pub fn get(&self) -> Vec<(String, String)> {
        self.pairs.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl fmt::Debug for Info {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Info").field("pairs", &self.get()).finish()
    }
}

impl sealed::Sealed for Info {}

impl Metric for Info {
    fn metric_type(&self) -> MetricType {
        MetricType::Info
    }

    fn collect(&self, out: &mut Collector<'_>) {
        let pairs = self.pairs.read().unwrap_or_else(|p| p.into_inner());
        out.with_labels(FamilyLabels::Pairs(&pairs), |out| out.series(&Value::Info));
    }

    fn label_names(&self) -> Vec<String> {
        self.get().into_iter().map(|(n, _)| n).collect()
    }
}
