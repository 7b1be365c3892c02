//! Info metrics: label pairs exposed with the value 1.

use std::fmt;

use crate::family::{ChildMetric, LabelError, Storage, check_label_names};
use crate::metric::{Metric, sealed};
use crate::read::{MetricType, SeriesWriter, Shape, ValueKind, WordSink};
use crate::slab::{CellRun, Kind};

/// A set of label pairs exposed with the value 1 (Python's `Info`): build version, commit,
/// configuration. The family `build` is exposed as `build_info{version="1.2.3",...} 1`.
///
/// Not a hot-path metric: [`set`](Self::set) replaces the pairs under a lock. Clones share the
/// pairs. An info can be a [`Family`](crate::Family)'s child (Python's `Info` with labels): its
/// pairs follow the family's labels.
///
/// A pair whose name is one of the registry's constant labels or of the family's labels is left
/// out of the exposition (the other label wins), so that no series has the same label twice.
///
/// # Examples
///
/// ```
/// use coremeter::{Info, Opts, Registry};
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
    /// One unsharded cell, which names the info: its pairs are kept by the slab block, by cell.
    cell: CellRun,
}

impl Info {
    /// An info metric with `pairs`.
    ///
    /// # Errors
    ///
    /// [`LabelError`] for an invalid or duplicate label name.
    ///
    /// # Examples
    ///
    /// ```
    /// let build = coremeter::Info::new(&[("version", "1.2.3")])?;
    /// assert_eq!(build.get(), [("version".to_owned(), "1.2.3".to_owned())]);
    /// # Ok::<(), coremeter::LabelError>(())
    /// ```
    pub fn new(pairs: &[(&str, &str)]) -> Result<Self, LabelError> {
        let info = Info::default();
        info.set(pairs)?;
        Ok(info)
    }

    /// Replaces the pairs.
    ///
    /// # Errors
    ///
    /// [`LabelError`] for an invalid or duplicate label name; the pairs are then unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// let build = coremeter::Info::new(&[("version", "1.2.3")])?;
    /// build.set(&[("version", "1.2.4")])?;
    /// assert_eq!(build.get()[0].1, "1.2.4");
    /// # Ok::<(), coremeter::LabelError>(())
    /// ```
    pub fn set(&self, pairs: &[(&str, &str)]) -> Result<(), LabelError> {
        let names: Vec<&str> = pairs.iter().map(|(n, _)| *n).collect();
        check_label_names(&names, MetricType::Info)?;
        let pairs = pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        self.cell.set_info(pairs);
        Ok(())
    }

    /// The current pairs.
    ///
    /// # Examples
    ///
    /// ```
    /// let build = coremeter::Info::new(&[("commit", "4f2a9c1")])?;
    /// assert_eq!(build.get().len(), 1);
    /// # Ok::<(), coremeter::LabelError>(())
    /// ```
    pub fn get(&self) -> Vec<(String, String)> {
        pairs(&self.cell)
    }
}

impl Default for Info {
    /// An info with no pairs yet (exposed as `name_info 1`), for [`set`](Self::set) to fill: how
    /// a field of a `#[derive(Metrics)]` struct starts.
    ///
    /// # Examples
    ///
    /// ```
    /// let build = coremeter::Info::default();
    /// assert!(build.get().is_empty());
    /// build.set(&[("version", "1.2.3")])?;
    /// assert_eq!(build.get().len(), 1);
    /// # Ok::<(), coremeter::LabelError>(())
    /// ```
    fn default() -> Self {
        // No pairs stored reads as no pairs (`get`, and a scrape).
        Info {
            cell: CellRun::new_in(Kind::Unsharded, 1),
        }
    }
}

fn pairs(run: &CellRun) -> Vec<(String, String)> {
    run.infos()
        .and_then(|(table, at)| table.get(&at).cloned())
        .unwrap_or_default()
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

    fn collect(&self, out: &mut SeriesWriter<'_>) {
        Self::collect_one(&self.cell, &(), out);
    }

    fn label_names(&self) -> Vec<String> {
        self.get().into_iter().map(|(n, _)| n).collect()
    }
}

impl Storage for Info {
    type Config = ();
    const KIND: Kind = Kind::Unsharded;
    const TYPE: MetricType = MetricType::Info;

    fn cells(_: &()) -> usize {
        1
    }

    fn from_run(cell: CellRun, _: &()) -> Self {
        Info { cell }
    }

    fn run(&self) -> &CellRun {
        &self.cell
    }

    fn shape(_: &()) -> Shape {
        Shape::word(ValueKind::Info)
    }

    fn read(run: &CellRun, _: &(), sink: &mut WordSink<'_>) {
        sink.words.push(0);
        sink.end_series_with_table(run);
    }
}

impl ChildMetric for Info {}
