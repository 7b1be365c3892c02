//! Reading a registry: [`Registry::collect`], [`Registry::collect_and_reset`], the read plan's
//! use, custom collectors and their failures, and the overflow self-metric.

use std::borrow::Cow;

use super::{Entry, OVERFLOW_FAMILY, Registry, lock, read, unique, write};
use crate::collect_error::{self, CollectError};
use crate::custom::MetricFamily;
use crate::metric::Metric;
use crate::name;
use crate::plan;
use crate::read::{
    Buffers, Descriptor, FamilyLabels, Labels, MetricType, Number, SeriesListVersion, SeriesWriter,
    Shape, Value, ValueKind, Visitor, WordSink,
};
use crate::reset::{ReadMode, Reset};
use crate::sync::unmodelled::Arc;

/// What one collection carries from entry to entry.
struct Collection<'a> {
    visitor: &'a mut dyn Visitor,
    mode: ReadMode<'a>,
    buffers: Box<Buffers>,
    /// The label families that overflowed, with their estimates.
    overflowed: Vec<(String, f64)>,
    /// The first custom collector that failed.
    failed: Option<CollectError>,
}

impl Collection<'_> {
    /// Reads `metric`, whose family the visitor was just given, and notes its overflow
    /// estimate if it has one.
    fn read(
        &mut self,
        descriptor: &Descriptor,
        metric: &dyn Metric,
        constant: &[(String, String)],
    ) {
        let labels = Labels::new(constant);
        let mut out = SeriesWriter::new(
            &mut *self.visitor,
            labels,
            self.mode.reborrow(),
            &mut self.buffers,
        );
        metric.collect(&mut out);
        if let Some(n) = metric.overflowed() {
            self.overflowed.push((descriptor.name.to_string(), n));
        }
    }

    /// Reads a label family of a read plan: its values in bulk from the plan's `runs` if the
    /// visitor takes them, else the long way.
    fn read_planned(&mut self, bulk: &plan::PlannedFamily<Entry>, runs: &plan::HeldRuns) {
        let plan::PlannedFamily {
            descriptor,
            read,
            entry,
            ..
        } = bulk;
        if !self.visitor.wants(descriptor) {
            return;
        }
        self.visitor.family(descriptor);
        let version = SeriesListVersion(read.version);
        let mut out = SeriesWriter::new(
            &mut *self.visitor,
            Labels::new(&[]),
            self.mode.reborrow(),
            &mut self.buffers,
        );
        let ids = runs.ids(bulk.runs.clone());
        if out.planned(read.shape, version, |sink| {
            read_planned(&read.shape, ids, sink)
        }) {
            return;
        }
        if let Entry::Metric {
            metric, constant, ..
        } = &**entry
        {
            // The long way, with the labels (the entry is touched only now: the plan spares a
            // bulk read that walk). The family does not offer the declined version again.
            let mut out = SeriesWriter::new(
                &mut *self.visitor,
                Labels::new(constant),
                self.mode.reborrow(),
                &mut self.buffers,
            );
            out.declined(version);
            metric.collect(&mut out);
        }
    }
}

/// Reads the runs named by `ids`, series of `shape`: what the label family's collection reads
/// (the same `Storage::read`), from a read plan (see [`crate::plan`]), whose references keep
/// the runs.
fn read_planned(shape: &Shape, ids: &[u32], sink: &mut WordSink<'_>) {
    use crate::family::read_runs;
    let ids = ids.iter().copied();
    match shape.kind {
        ValueKind::Counter => read_runs::<crate::Counter>(ids, &(), sink),
        ValueKind::FloatCounter => read_runs::<crate::FloatCounter>(ids, &(), sink),
        ValueKind::Gauge => read_runs::<crate::Gauge>(ids, &(), sink),
        ValueKind::FloatGauge => read_runs::<crate::FloatGauge>(ids, &(), sink),
        ValueKind::Histogram => {
            read_runs::<crate::Histogram>(ids, &crate::Buckets::interned(shape.bounds), sink)
        }
        ValueKind::Summary => read_runs::<crate::Summary>(ids, &(), sink),
        ValueKind::Statistics => read_runs::<crate::Statistics>(ids, &(), sink),
        ValueKind::StateSet => {
            read_runs::<crate::StateSet>(ids, &crate::States::from_shape(shape), sink)
        }
        ValueKind::Info => read_runs::<crate::Info>(ids, &(), sink),
        // A family is planned only if its shape is offered in bulk (`Family::plan`), which a
        // native histogram's is not.
        ValueKind::NativeHistogram => unreachable!("native histogram families are never planned"),
    }
}

impl Registry {
    /// Reads every family into `visitor`, in registration order: [`Visitor::family`] for each,
    /// then [`Visitor::series`] for each of its series, with values summed over shards. If a label
    /// family overflowed, a gauge family [`OVERFLOW_FAMILY`] follows.
    ///
    /// The registry's lock is held only to take a reference to the list of families, so metrics
    /// can be registered while a collection runs (they show from the next one).
    ///
    /// A registry collected twice while the process' metrics keep their shape (no registration or
    /// unregistration, no label set inserted into or removed from a label family) keeps a read
    /// plan: the ids of its label families' cells, read directly by the next collections instead
    /// of through each family's structures, until the shape changes. It costs 4 bytes per series
    /// and about 160 bytes per family, and keeps the cells of a series removed meanwhile from
    /// reuse until the next collection.
    ///
    /// # Errors
    ///
    /// If a custom collector panicked: the collection went on with the other entries (the
    /// visitor saw everything else), the [error hook](Self::on_collect_error) was told, and the
    /// first failure is returned. A consumer that must be complete (an exporter) discards what
    /// it was given; [`samples`](Self::samples) keeps the rest.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Opts, Registry, SampleList};
    ///
    /// let registry = Registry::new();
    /// registry.register(Opts::new("jobs", "Jobs."), Counter::new())?;
    /// let mut list = SampleList::new();
    /// registry.collect(&mut list)?;
    /// assert_eq!(list.samples().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn collect(&self, visitor: &mut dyn Visitor) -> Result<(), CollectError> {
        self.collect_with(visitor, ReadMode::current())
    }

    /// Like [`collect`](Self::collect), but counters, histograms, summaries and statistics report
    /// what they counted since the previous committed reset (gauges, state sets, infos, callback
    /// metrics and custom collectors are read as usual), and the returned [`Reset`], once
    /// [committed](Reset::commit), makes that the new starting point. Every update is reported by
    /// exactly one committed reset-on-read collection or remains in the metric; a reset that is
    /// dropped (the reply could not be produced) or that failed resets nothing. This is what
    /// `/metricsandreset` serves.
    ///
    /// No cell is written by the read or the commit (a reset keeps, per cell, the sum it
    /// reported from, and later reads subtract it): writers never race with a reset. One reset
    /// runs at a time in the process: this waits for a [`Reset`] not yet committed or dropped.
    ///
    /// # Errors
    ///
    /// As [`collect`](Self::collect); then nothing is reset.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{Counter, Opts, Registry, SampleList};
    ///
    /// let registry = Registry::new();
    /// let c = Counter::new();
    /// registry.register(Opts::new("events", "Events."), c.clone())?;
    /// c.inc_by(3);
    /// let mut taken = SampleList::new();
    /// let reset = registry.collect_and_reset(&mut taken)?;
    /// assert_eq!(taken.samples()[0].name, "events_total");
    /// assert_eq!(taken.samples()[0].value, 3.0);
    /// assert_eq!(c.get(), 3); // not committed yet
    /// reset.commit();
    /// assert_eq!(c.get(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn collect_and_reset(&self, visitor: &mut dyn Visitor) -> Result<Reset, CollectError> {
        let mut reset = Reset::begin();
        self.collect_with(visitor, ReadMode::Reset(reset.log()))?;
        Ok(reset)
    }

    /// Calls `hook` with every failure of a custom collector during a collection (replacing the
    /// hook set before), as OpenCensus' `OnError`: to log it, count it, alert. Nothing else
    /// reports it: the panic does not reach the process' panic hook (see [`CollectError`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::{Arc, Mutex};
    /// use coremeter::{Collector, MetricFamily, Registry, SampleList};
    ///
    /// struct Broken(AtomicBool);
    /// impl Collector for Broken {
    ///     fn collect(&self) -> Vec<MetricFamily> {
    ///         if self.0.swap(true, Ordering::Relaxed) { panic!("disk gone") }
    ///         Vec::new()
    ///     }
    /// }
    /// let registry = Registry::new();
    /// registry.register_collector(Broken(AtomicBool::new(false)))?;
    /// let log = Arc::new(Mutex::new(Vec::new()));
    /// let sink = Arc::clone(&log);
    /// registry.on_collect_error(move |e| sink.lock().unwrap().push(e.message().to_owned()));
    /// assert!(registry.collect(&mut SampleList::new()).is_err());
    /// assert_eq!(*log.lock().unwrap(), ["disk gone"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_collect_error(&self, hook: impl Fn(&CollectError) + Send + Sync + 'static) {
        *write(&self.on_collect_error) = Some(Arc::new(hook));
    }

    fn collect_with(
        &self,
        visitor: &mut dyn Visitor,
        mode: ReadMode<'_>,
    ) -> Result<(), CollectError> {
        crate::sync::unmodelled::thread_local! {
            /// The buffers of the last collection on this thread (taken while one runs, so a
            /// collection from inside a visitor gets its own).
            static BUFFERS: std::cell::Cell<Option<Box<Buffers>>> = const { std::cell::Cell::new(None) };
        }
        // Frees what label families' removals retired, if their readers have moved on: once a
        // collection, not once a family (a family read through the plan is not visited).
        crate::reclaim::collect();
        // The shape first, then the entries: a plan made from entries read after a change was
        // made for that change's shape or an older one, never a newer one.
        let shape = plan::shape();
        let entries = Arc::clone(&read(&self.state).entries);
        let (current, stale, make) = {
            let mut slot = lock(&self.plan);
            let stable = slot.seen == Some(shape);
            slot.seen = Some(shape);
            match &slot.plan {
                Some(p) if p.shape == shape => (Some(Arc::clone(p)), None, false),
                _ => (None, slot.plan.take(), stable),
            }
        };
        // Its references go now, not while the lock is held.
        drop(stale);
        let mut collection = Collection {
            visitor,
            mode,
            buffers: BUFFERS.with(std::cell::Cell::take).unwrap_or_default(),
            overflowed: Vec::new(),
            failed: None,
        };
        if let Some(p) = &current {
            for item in &p.items {
                match item {
                    plan::PlanEntry::Entry(entry) => {
                        self.collect_entry(entry, &mut collection, None)
                    }
                    plan::PlanEntry::Bulk(bulk) => collection.read_planned(bulk, &p.runs),
                }
            }
        } else {
            let mut made = make.then(|| plan::Plan::new(shape));
            for entry in entries.iter() {
                self.collect_entry(entry, &mut collection, made.as_mut());
            }
            // Kept only if nothing changed while it was made (and no collection that started
            // later stored one already).
            if let Some(mut made) = made.filter(|p| !p.partial && plan::shape() == shape) {
                made.shrink_to_fit();
                let mut slot = lock(&self.plan);
                if slot.plan.as_ref().is_none_or(|p| p.shape < shape) {
                    let stale = slot.plan.replace(Arc::new(made));
                    drop(slot);
                    drop(stale);
                }
            }
        }
        self.collect_overflowed(collection.visitor, collection.overflowed);
        BUFFERS.with(|b| b.set(Some(collection.buffers)));
        match collection.failed {
            Some(error) => {
                let hook = read(&self.on_collect_error).clone();
                if let Some(hook) = hook {
                    hook(&error);
                }
                Err(error)
            }
            None => Ok(()),
        }
    }

    /// Whether the registry holds a read plan (see [`crate::plan`]).
    #[cfg(test)]
    pub(crate) fn has_plan(&self) -> bool {
        lock(&self.plan).plan.is_some()
    }

    /// Collects one entry the long way, recording it in `plan` if one is being made.
    fn collect_entry(
        &self,
        entry: &Arc<Entry>,
        collection: &mut Collection<'_>,
        plan: Option<&mut plan::Plan<Entry>>,
    ) {
        match &**entry {
            Entry::Metric {
                descriptor,
                metric,
                constant,
            } => {
                if !collection.visitor.wants(descriptor) {
                    if let Some(plan) = plan {
                        // Not read, so not recorded: a plan made now would read this family
                        // the long way until the shape changes.
                        plan.partial = true;
                    }
                    return;
                }
                collection.visitor.family(descriptor);
                collection.read(descriptor, &**metric, constant);
                if let Some(plan) = plan {
                    plan.push(entry, metric.plan().map(|p| (descriptor, p)));
                }
            }
            Entry::SeriesWriter {
                collector,
                type_name,
                names,
            } => {
                match collect_error::catch(type_name, || collector.collect()) {
                    Ok(families) => {
                        for family in families {
                            self.collect_custom(collection.visitor, &family, names);
                        }
                    }
                    Err(error) => {
                        collection.failed.get_or_insert(error);
                    }
                }
                if let Some(plan) = plan {
                    plan.push(entry, None);
                }
            }
        }
    }

    /// Emits the overflow self-metric for the label families that overflowed.
    fn collect_overflowed(&self, visitor: &mut dyn Visitor, overflowed: Vec<(String, f64)>) {
        let overflow = Descriptor {
            name: Cow::Borrowed(OVERFLOW_FAMILY),
            help: Cow::Borrowed(
                "Distinct label sets folded into a label family's overflow series (estimate).",
            ),
            metric_type: MetricType::Gauge,
            unit: None,
            registration: 0,
        };
        if !overflowed.is_empty() && visitor.wants(&overflow) {
            visitor.family(&overflow);
            for (family, n) in overflowed {
                let pair = [("family".to_owned(), family)];
                let labels = Labels::new(&self.const_labels).with(FamilyLabels::Pairs(&pair));
                visitor.series(&labels, &Value::Gauge(Number::Float(n.round())));
            }
        }
    }

    /// Emits one family of a custom collector, unless it is new and its names clash.
    fn collect_custom(
        &self,
        visitor: &mut dyn Visitor,
        family: &MetricFamily,
        registered: &[String],
    ) {
        let d = &family.descriptor;
        let name = self.prefixed(&d.name);
        if !registered.iter().any(|n| *n == name) {
            let clashes = read(&self.state).clash(&name, d.metric_type).is_some();
            let labels_ok = self
                .check_labels(unique(family.label_names()), d.metric_type)
                .is_ok();
            if clashes || !labels_ok || name::check_metric_name(&name).is_err() {
                return;
            }
        }
        let descriptor = Descriptor {
            name: Cow::Owned(name.into_owned()),
            registration: 0,
            ..d.clone()
        };
        if !visitor.wants(&descriptor) {
            return;
        }
        visitor.family(&descriptor);
        for sample in &family.samples {
            let labels = Labels::new(&self.const_labels).with(FamilyLabels::Pairs(&sample.labels));
            visitor.series(&labels, &sample.value.view());
        }
    }
}
