//! [`CoremeterRecorder`]: the `metrics::Recorder` that keeps facade metrics in label families of
//! a coremeter registry.
//!
//! Each facade metric name becomes one label family (`Family<DynLabels, Counter>`, `FloatGauge`
//! or `Histogram`), registered in the registry the first time the name is used, with the label
//! keys of that first use as its label names. Every later use looks the name up (one hash of the
//! name under a read lock), then the label values in the family (the family's own lookup), and
//! returns a handle on the series' per-CPU cells: updates through it cost what a coremeter
//! update costs. No map per series is kept beside the family's own.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use coremeter::{
    Buckets, Counter, DynLabels, Family, FloatGauge, Histogram, Opts, Registry, RegistryError,
};
use metrics::{Key, KeyName, Metadata, SharedString, Unit};

use crate::handles::{CounterHandle, GaugeHandle, HistogramHandle};
use crate::matcher::Matcher;
use crate::name;
use crate::series_cache::{self, Handle};

/// The name of the counter of facade metrics a recorder could not register.
pub const REJECTED_COUNTER: &str = "coremeter_recorder_rejected";

/// A recorder for the `metrics` facade over a coremeter [`Registry`]: see the
/// [crate documentation](crate). Made by [`RecorderBuilder`](crate::RecorderBuilder).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
///
/// let registry = Arc::new(coremeter::Registry::new());
/// let recorder = coremeter_recorder::RecorderBuilder::new().registry(&registry).build();
/// metrics::with_local_recorder(&recorder, || {
///     metrics::counter!("jobs.done", "queue" => "email").increment(2);
/// });
/// assert_eq!(registry.sample_value("jobs_done_total", &[("queue", "email")]), Some(2.0));
/// ```
#[derive(Debug)]
pub struct CoremeterRecorder {
    /// Tells this recorder's cached handles from another's (see [`series_cache`]).
    id: u64,
    pub(crate) target: Target,
    pub(crate) buckets: Vec<(Matcher, Buckets)>,
    pub(crate) default_buckets: Buckets,
    /// The facade's metrics, by the name the facade gave them.
    families: RwLock<HashMap<String, Registered, foldhash::fast::RandomState>>,
    /// Descriptions given before first use, by facade name.
    descriptions:
        RwLock<HashMap<String, (Option<Unit>, SharedString), foldhash::fast::RandomState>>,
    /// Counts the facade metrics that could not be registered (their updates are dropped).
    rejected: Counter,
}

/// The registry a recorder writes to.
#[derive(Debug)]
pub(crate) enum Target {
    /// [`coremeter::default_registry`].
    Default,
    /// A registry of the program's.
    Shared(Arc<Registry>),
}

impl Target {
    fn registry(&self) -> &Registry {
        match self {
            Target::Default => coremeter::default_registry(),
            Target::Shared(registry) => registry,
        }
    }
}

/// A facade metric name and what it became.
#[derive(Debug)]
struct Registered {
    /// The facade's label keys, in the order of the family's label names.
    keys: Box<[String]>,
    family: Kind,
}

#[derive(Debug)]
enum Kind {
    Counter(Family<DynLabels, Counter>),
    Gauge(Family<DynLabels, FloatGauge>),
    Histogram(Family<DynLabels, Histogram>),
    /// Could not be registered (a name or label name the data model or the registry refused).
    Rejected,
}

/// Which facade type a name is registered as.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Type {
    Counter,
    Gauge,
    Histogram,
}

/// The most labels looked up without an allocation.
const INLINE_LABELS: usize = 8;

impl CoremeterRecorder {
    pub(crate) fn new(target: Target, buckets: Vec<(Matcher, Buckets)>, default: Buckets) -> Self {
        let rejected = Counter::new();
        // A second recorder over the same registry counts into a counter of its own.
        let _ = target.registry().register(
            Opts::new(
                REJECTED_COUNTER,
                "Facade metrics coremeter-recorder could not register (a name or label the registry \
                 refused, or label keys that differ from the name's first use); their updates are dropped.",
            ),
            rejected.clone(),
        );
        static IDS: AtomicU64 = AtomicU64::new(0);
        CoremeterRecorder {
            id: IDS.fetch_add(1, Ordering::Relaxed),
            target,
            buckets,
            default_buckets: default,
            families: RwLock::default(),
            descriptions: RwLock::default(),
            rejected,
        }
    }

    /// The registry this recorder writes to.
    ///
    /// # Examples
    ///
    /// ```
    /// let recorder = coremeter_recorder::RecorderBuilder::new().build();
    /// assert!(std::ptr::eq(recorder.registry(), coremeter::default_registry()));
    /// ```
    pub fn registry(&self) -> &Registry {
        self.target.registry()
    }

    fn describe(&self, name: KeyName, unit: Option<Unit>, description: SharedString) {
        let mut descriptions = self.descriptions.write().unwrap_or_else(|p| p.into_inner());
        descriptions
            .entry(name.as_str().to_owned())
            .or_insert((unit, description));
    }

    /// Calls `f` with the family registered for `key`'s name (registering it first if this is
    /// its first use) and `key`'s label values in the family's order; `None` if the name or
    /// labels cannot be used.
    fn with_series<R>(
        &self,
        key: &Key,
        t: Type,
        f: impl FnOnce(&Kind, &[&str]) -> Option<R>,
    ) -> Option<R> {
        {
            let families = self.families.read().unwrap_or_else(|p| p.into_inner());
            if let Some(registered) = families.get(key.name()) {
                return with_values(registered, key, |values| f(&registered.family, values))?;
            }
        }
        let mut families = self.families.write().unwrap_or_else(|p| p.into_inner());
        let registered = families
            .entry(key.name().to_owned())
            .or_insert_with(|| self.register(key, t));
        with_values(registered, key, |values| f(&registered.family, values))?
    }

    /// Registers the family of `key`'s name, with `key`'s label keys as its label names.
    fn register(&self, key: &Key, t: Type) -> Registered {
        let keys: Box<[String]> = key.labels().map(|l| l.key().to_owned()).collect();
        let names: Vec<String> = keys.iter().map(|k| name::label_name(k)).collect();
        // A refused name is remembered as such: its uses are counted by `reject`.
        let family = self.make(key.name(), t, &names).unwrap_or(Kind::Rejected);
        Registered { keys, family }
    }

    fn make(&self, facade_name: &str, t: Type, labels: &[String]) -> Result<Kind, RegistryError> {
        let (unit, help) = {
            let descriptions = self.descriptions.read().unwrap_or_else(|p| p.into_inner());
            match descriptions.get(facade_name) {
                Some((unit, help)) => (*unit, help.to_string()),
                // Prometheus' lint (promtool) wants a HELP: the facade's name says the most.
                None => (None, format!("{facade_name} (through the metrics facade)")),
            }
        };
        let mut opts = Opts::new(name::metric_name(facade_name, t == Type::Counter), help);
        if let Some(unit) = unit.filter(|u| *u != Unit::Count) {
            opts = opts.unit(unit.as_str());
        }
        let registry = self.registry();
        Ok(match t {
            Type::Counter => {
                let family = Family::<DynLabels, Counter>::with_label_names(labels)?;
                registry.register(opts, family.clone())?;
                Kind::Counter(family)
            }
            Type::Gauge => {
                let family = Family::<DynLabels, FloatGauge>::with_label_names(labels)?;
                registry.register(opts, family.clone())?;
                Kind::Gauge(family)
            }
            Type::Histogram => {
                let buckets = self
                    .buckets
                    .iter()
                    .find(|(m, _)| m.matches(facade_name))
                    .map_or(self.default_buckets, |(_, b)| *b);
                let family =
                    Family::<DynLabels, Histogram>::with_label_names_and_config(labels, buckets)?;
                registry.register(opts, family.clone())?;
                Kind::Histogram(family)
            }
        })
    }

    fn counter(&self, key: &Key) -> Option<Counter> {
        self.with_series(key, Type::Counter, |kind, values| match kind {
            Kind::Counter(f) => f.labels(values).ok().map(|c| c.into_owned()),
            _ => None,
        })
    }

    fn gauge(&self, key: &Key) -> Option<FloatGauge> {
        self.with_series(key, Type::Gauge, |kind, values| match kind {
            Kind::Gauge(f) => f.labels(values).ok().map(|c| c.into_owned()),
            _ => None,
        })
    }

    fn histogram(&self, key: &Key) -> Option<Histogram> {
        self.with_series(key, Type::Histogram, |kind, values| match kind {
            Kind::Histogram(f) => f.labels(values).ok().map(|c| c.into_owned()),
            _ => None,
        })
    }

    /// A facade update that cannot land: counted, and given a handle that does nothing.
    fn reject<T>(&self, noop: T) -> T {
        self.rejected.inc();
        noop
    }
}

/// Calls `f` with `key`'s label values in the order of `registered`'s label keys; `None` if the
/// keys are not the same set.
fn with_values<R>(registered: &Registered, key: &Key, f: impl FnOnce(&[&str]) -> R) -> Option<R> {
    let keys = &registered.keys;
    let n = key.labels().len();
    if n != keys.len() {
        return None;
    }
    let mut inline = [""; INLINE_LABELS];
    let mut spilled = Vec::new();
    let values: &mut [&str] = if n <= INLINE_LABELS {
        &mut inline[..n]
    } else {
        spilled.resize(n, "");
        &mut spilled
    };
    for (i, label) in key.labels().enumerate() {
        // Most call sites give the keys in the order of the name's first use.
        let at = if keys[i] == label.key() {
            i
        } else {
            keys.iter().position(|k| k == label.key())?
        };
        values[at] = label.value();
    }
    Some(f(values))
}

impl metrics::Recorder for CoremeterRecorder {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe(key, unit, description);
    }

    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe(key, unit, description);
    }

    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe(key, unit, description);
    }

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> metrics::Counter {
        if let Some(Handle::Counter(h)) = series_cache::get(self.id, key) {
            return metrics::Counter::from_arc(h);
        }
        match self.counter(key) {
            Some(c) => {
                let h = Arc::new(CounterHandle(c));
                series_cache::put(self.id, key, &Handle::Counter(Arc::clone(&h)));
                metrics::Counter::from_arc(h)
            }
            None => self.reject(metrics::Counter::noop()),
        }
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> metrics::Gauge {
        if let Some(Handle::Gauge(h)) = series_cache::get(self.id, key) {
            return metrics::Gauge::from_arc(h);
        }
        match self.gauge(key) {
            Some(g) => {
                let h = Arc::new(GaugeHandle(g));
                series_cache::put(self.id, key, &Handle::Gauge(Arc::clone(&h)));
                metrics::Gauge::from_arc(h)
            }
            None => self.reject(metrics::Gauge::noop()),
        }
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> metrics::Histogram {
        if let Some(Handle::Histogram(h)) = series_cache::get(self.id, key) {
            return metrics::Histogram::from_arc(h);
        }
        match self.histogram(key) {
            Some(h) => {
                let h = Arc::new(HistogramHandle(h));
                series_cache::put(self.id, key, &Handle::Histogram(Arc::clone(&h)));
                metrics::Histogram::from_arc(h)
            }
            None => self.reject(metrics::Histogram::noop()),
        }
    }
}
