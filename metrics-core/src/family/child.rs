//! [`Child`]: what [`Family::get`](super::Family::get) returns, a metric of the family.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use super::ChildMetric;

/// A family's child, as [`Family::get`](crate::Family::get) returns it. It dereferences to the metric.
///
/// From a dense family it is a *view* of the family's cells: making and dropping it costs no
/// atomic operation, and it borrows the family. From a dynamic family it holds its own reference.
/// [`into_owned`](Self::into_owned) (or `clone()` on the metric) gives a handle that lives on its
/// own.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, DynLabels, Family};
///
/// let hits = Family::<DynLabels, Counter>::with_label_names(&["path"])?;
/// let child = hits.labels(&["/"])?;   // dereferences to the Counter
/// child.inc();
/// let owned: Counter = child.into_owned(); // keep it: later updates skip the lookup
/// owned.inc();
/// assert_eq!(hits.labels(&["/"])?.get(), 2);
/// # Ok::<(), coremeter::LabelError>(())
/// ```
pub struct Child<'a, M> {
    metric: M,
    _family: PhantomData<&'a ()>,
}

impl<M: ChildMetric> Child<'_, M> {
    pub(super) fn new(metric: M) -> Self {
        Child {
            metric,
            _family: PhantomData,
        }
    }

    /// A handle to the child that lives on its own (a clone if this is a view).
    ///
    /// # Examples
    ///
    /// ```
    /// #[derive(coremeter::LabelSet)]
    /// struct Path<'a> { path: &'a str }
    ///
    /// let f = coremeter::Family::<Path<'static>, coremeter::Counter>::new();
    /// let c: coremeter::Counter = f.get(&Path { path: "/" }).into_owned();
    /// c.inc();
    /// assert_eq!(f.get(&Path { path: "/" }).get(), 1);
    /// ```
    pub fn into_owned(self) -> M {
        if self.metric.run().is_view() {
            self.metric.clone()
        } else {
            self.metric
        }
    }
}

impl<M> Deref for Child<'_, M> {
    type Target = M;

    #[inline(always)]
    fn deref(&self) -> &M {
        &self.metric
    }
}

impl<M: fmt::Debug> fmt::Debug for Child<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.metric.fmt(f)
    }
}
