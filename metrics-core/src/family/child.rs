//! [`Child`]: what [`Family::get`](super::Family::get) returns, a metric of the family.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use super::ChildMetric;
use crate::reclaim::Pin;

/// A family's child, as [`Family::get`](crate::Family::get) returns it. It dereferences to the metric.
///
/// It is a *view* of the family's cells: making and dropping it costs no atomic read-modify-write,
/// and it borrows the family. A dynamic family's child also holds its thread *pinned*, so that
/// the child's cells outlive a concurrent [`remove`](crate::Family::remove) for as long as the
/// child lives (cells removed meanwhile are freed once no such child is left; a child kept for
/// long keeps them); it is therefore not `Send`. [`into_owned`](Self::into_owned) (or `clone()`
/// on the metric) gives a handle that lives on its own, holds a reference to its cells, and can
/// go to other threads.
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
    /// A dynamic family's view keeps its cells through this pin (see [`crate::reclaim`]).
    _pin: Option<Pin>,
    _family: PhantomData<&'a ()>,
}

impl<M: ChildMetric> Child<'_, M> {
    /// A child; a dynamic family's view comes with the pin that keeps its cells.
    #[inline(always)]
    pub(super) fn new(metric: M, pin: Option<Pin>) -> Self {
        Child {
            metric,
            _pin: pin,
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
