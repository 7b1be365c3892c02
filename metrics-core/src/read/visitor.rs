//! [`Visitor`]: what a consumer of a collection implements.

use crate::read::{Descriptor, Labels, Value, Values};

/// Receives what a registry holds: each family's descriptor, then each of its series.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, Descriptor, Labels, Opts, Registry, Value, Visitor};
///
/// struct Names(Vec<String>);
/// impl Visitor for Names {
///     fn family(&mut self, d: &Descriptor) {
///         self.0.push(d.name().to_owned());
///     }
///     fn series(&mut self, _: &Labels<'_>, _: &Value<'_>) {}
/// }
///
/// let registry = Registry::new();
/// registry.register(Opts::new("jobs", "Jobs run."), Counter::new())?;
/// let mut names = Names(Vec::new());
/// registry.collect(&mut names)?;
/// assert_eq!(names.0, ["jobs"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Visitor {
    /// Whether to read the family `descriptor` at all: a visitor that filters (by name, say)
    /// saves the collection of the families it would discard. Everything by default.
    fn wants(&mut self, descriptor: &Descriptor) -> bool {
        let _ = descriptor;
        true
    }

    /// Starts a family; its series follow.
    fn family(&mut self, descriptor: &Descriptor);

    /// One series of the current family.
    fn series(&mut self, labels: &Labels<'_>, value: &Value<'_>);

    /// Offered, right after [`family`](Self::family), the values of a label family of
    /// counters, gauges or histograms in one piece: a visitor that takes them returns `true`,
    /// and no [`series`](Self::series) call follows for the family. One that returns `false`
    /// (the default) gets the same values series by series, with their labels. A visitor that
    /// kept what it needs of each series' labels from an earlier collection of the same
    /// [`version`](Values::version) takes them and saves reading the labels again.
    fn values(&mut self, values: &Values<'_>) -> bool {
        let _ = values;
        false
    }
}
