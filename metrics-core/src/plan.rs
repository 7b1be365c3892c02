//! A registry's read plan: a flat list of what a collection reads, kept between collections while
//! the shape of the metrics (which families are registered, which series each has) stays the same.
//!
//! A collection reads every family through a chain of pointers: the registry's entry, the boxed
//! family, its shared state and lock, its map of label sets, and then the cells. In a service whose
//! heap is fragmented each link is likely a cache and TLB miss, and together they cost several
//! times the rest of reading a family. The plan keeps, in one place, what a collection needs from
//! all of them for each label family that can be read in bulk: a copy of its descriptor, its
//! version, and the ids of its series' runs. While the shape is the one the plan was made for, a
//! collection reads those families' cells from the plan's ids and touches nothing else of them.
//!
//! The shape is one process-wide number, [`shape`], that every change to what a collection would
//! find moves on: a registration or unregistration in any registry, a label set inserted into or
//! removed from any label family. Changes are rare next to updates (which do not touch it), and
//! one number makes the check one load per collection. A plan is made during a collection that
//! reads the registry the long way, only if the shape did not change since the collection before
//! (so a registry whose label sets churn does not pay for plans it cannot use) nor during this one.
//!
//! The plan holds a reference to every run it names, so a run removed from its family after the
//! plan was made is not freed (and its cells not reused) until the plan is dropped, at the first
//! collection after the change: a collection that uses the plan may show a series removed during
//! it, which is what it would show had it run a moment earlier, and never another series' value.

use std::ops::Range;

use crate::read::{Descriptor, Shape};
use crate::slab::CellRun;
use crate::sync::unmodelled::{Arc, AtomicU64};

static SHAPE: AtomicU64 = AtomicU64::new(0);

/// The current shape of the process' metrics (see the module docs). Acquire: a collection that
/// sees a change also sees what it changed.
#[inline]
pub(crate) fn shape() -> u64 {
    SHAPE.load(std::sync::atomic::Ordering::Acquire)
}

/// Records a change of shape; called after the change, under the lock that made it.
#[inline]
pub(crate) fn reshaped() {
    SHAPE.fetch_add(1, std::sync::atomic::Ordering::Release);
}

/// Run ids each holding a reference to its run (taken with [`CellRun::into_id`]), given back
/// when dropped.
#[derive(Default)]
pub(crate) struct HeldRuns(Vec<u32>);

impl HeldRuns {
    /// Keeps a new reference to the run named by `id`, whose reference the caller's store holds.
    #[inline]
    pub(crate) fn hold(&mut self, id: u32) {
        self.0.push(CellRun::clone_from_id(id).into_id());
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn ids(&self, range: Range<usize>) -> &[u32] {
        &self.0[range]
    }

    /// Moves `other`'s runs to the end of these.
    pub(crate) fn append(&mut self, other: &mut HeldRuns) {
        self.0.append(&mut other.0);
    }
}

impl Drop for HeldRuns {
    fn drop(&mut self) {
        for &id in &self.0 {
            drop(CellRun::from_id(id));
        }
    }
}

/// How a label family's values are read in bulk: what its collection hands the visitor besides
/// the values.
#[derive(Clone, Copy)]
pub(crate) struct BulkRead {
    /// The family's version (see `Values::version`).
    pub(crate) version: u64,
    pub(crate) shape: Shape,
}

/// What a label family gives a registry making a plan (see `Sealed::plan`). Public only because
/// the sealed supertrait of `Metric` names it; nothing outside this crate can reach it.
pub struct FamilyPlan {
    pub(crate) read: BulkRead,
    /// Its series' runs, in the order the family reads them.
    pub(crate) runs: HeldRuns,
}

impl std::fmt::Debug for FamilyPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FamilyPlan")
            .field("series", &self.runs.len())
            .finish_non_exhaustive()
    }
}

/// How one registry entry is read while the plan holds.
pub(crate) enum PlanEntry<E> {
    /// The long way, through the entry.
    Entry(Arc<E>),
    /// A label family read in bulk from the plan's runs.
    Bulk(PlannedFamily<E>),
}

/// A label family of a plan.
pub(crate) struct PlannedFamily<E> {
    pub(crate) descriptor: Descriptor,
    pub(crate) read: BulkRead,
    /// Its runs in [`Plan::runs`].
    pub(crate) runs: Range<usize>,
    /// For a visitor that does not take the values in bulk.
    pub(crate) entry: Arc<E>,
}

/// A registry's entries as a collection reads them, for one shape (see the module docs). `E` is
/// the registry's entry type.
pub(crate) struct Plan<E> {
    pub(crate) shape: u64,
    pub(crate) items: Vec<PlanEntry<E>>,
    pub(crate) runs: HeldRuns,
    /// Set while it is made if an entry was skipped (a collection filtered by name): such a plan
    /// is not kept.
    pub(crate) partial: bool,
}

impl<E> Plan<E> {
    pub(crate) fn new(shape: u64) -> Self {
        Plan {
            shape,
            items: Vec::new(),
            runs: HeldRuns::default(),
            partial: false,
        }
    }

    /// Gives back what the lists reserved beyond their length (a plan lives until the shape
    /// changes).
    pub(crate) fn shrink_to_fit(&mut self) {
        self.items.shrink_to_fit();
        self.runs.0.shrink_to_fit();
    }

    /// Adds an entry, read in bulk if its collection recorded how (`bulk`).
    pub(crate) fn push(&mut self, entry: &Arc<E>, bulk: Option<(&Descriptor, FamilyPlan)>) {
        let item = match bulk {
            Some((descriptor, mut planned)) => {
                let start = self.runs.len();
                self.runs.append(&mut planned.runs);
                PlanEntry::Bulk(PlannedFamily {
                    descriptor: descriptor.clone(),
                    read: planned.read,
                    runs: start..self.runs.len(),
                    entry: Arc::clone(entry),
                })
            }
            None => PlanEntry::Entry(Arc::clone(entry)),
        };
        self.items.push(item);
    }
}

/// The plan slot of a registry.
pub(crate) struct PlanCache<E> {
    /// The plan for the shape it names, if one was made.
    pub(crate) plan: Option<Arc<Plan<E>>>,
    /// The shape the last collection started with (none before the first).
    pub(crate) seen: Option<u64>,
}

impl<E> PlanCache<E> {
    pub(crate) fn new() -> Self {
        PlanCache {
            plan: None,
            seen: None,
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use crate::family::Storage as _;
    use crate::{Counter, DynLabels, Family, Opts, Registry};

    /// A registry with a label family of counters.
    fn registered() -> (Registry, Family<DynLabels, Counter>) {
        let registry = Registry::new();
        let family = Family::<DynLabels, Counter>::with_label_names(&["k"]).expect("valid");
        registry
            .register(Opts::new("x", "X."), family.clone())
            .expect("register");
        (registry, family)
    }

    /// Collects until the registry holds a plan: the shape is process-wide, and other tests
    /// running in parallel may change it between two collections of this one.
    fn collect_until_planned(registry: &Registry) {
        for _ in 0..1000 {
            let _ = registry.samples();
            if registry.has_plan() {
                return;
            }
        }
        panic!("collections of one shape made no plan");
    }

    /// A plan is made by the second collection of one shape, used while the shape holds, and let
    /// go by the first collection after a change (with the references it held).
    #[test]
    fn made_when_the_shape_holds_and_dropped_after_a_change() {
        let (registry, family) = registered();
        let a = family.labels(&["a"]).expect("one").into_owned();
        a.inc();
        let _ = registry.samples();
        assert!(!registry.has_plan(), "made by the first collection");
        collect_until_planned(&registry);
        assert!(family.remove_labels(&["a"]).expect("one"));
        // The handle and the plan hold the run; the map let go of it once no reader could
        // still find it (other tests' threads may be reading for a moment).
        crate::reclaim::tests::collect_until(|| a.run().handles() == 2);
        let _ = registry.samples();
        assert!(!registry.has_plan(), "kept after a change");
        assert_eq!(a.run().handles(), 1);
    }

    /// Wants nothing: a collection filtered by name that skips every family.
    struct Nothing;

    impl crate::Visitor for Nothing {
        fn wants(&mut self, _: &crate::Descriptor) -> bool {
            false
        }
        fn family(&mut self, _: &crate::Descriptor) {}
        fn series(&mut self, _: &crate::Labels<'_>, _: &crate::Value<'_>) {}
    }

    /// A collection that skips families records nothing of them, so it makes no plan (which
    /// would read them the long way until the shape changed); the next full one does.
    #[test]
    fn filtered_collections_make_no_plan() {
        let (registry, family) = registered();
        family.labels(&["a"]).expect("one").inc();
        for _ in 0..10 {
            registry.collect(&mut Nothing).expect("collects");
        }
        assert!(!registry.has_plan());
        collect_until_planned(&registry);
    }
}
