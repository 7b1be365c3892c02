//! [`Visitor`]: what a consumer of a collection implements.

use crate::read::{Descriptor, Labels, Layout, Value, Values};

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

    /// Offered right after [`family`](Self::family) for a label family of counters, gauges or
    /// histograms: `layout` identifies its list of series (see [`Layout`]). A visitor that
    /// returns `true` receives the family's values in one [`values`](Self::values) call instead
    /// of a [`series`](Self::series) call per series; one that kept what it needs of each
    /// series' labels from an earlier collection with the same registration and layout saves
    /// reading them again. Nothing is offered by default.
    fn bulk(&mut self, layout: Layout) -> bool {
        let _ = layout;
        false
    }

    /// The values of a family whose [`bulk`](Self::bulk) offer was taken, in the order
    /// [`series`](Self::series) would have given them.
    fn values(&mut self, values: &Values<'_>) {
        let _ = values;
    }
}
