//! State sets (Python's `Enum`): exactly one of a fixed set of states is true.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use crate::family::{ChildMetric, Storage};
use crate::label::LabelValue;
use crate::metric::{Metric, sealed};
use crate::read::{MetricType, SeriesWriter, Shape, ValueKind, WordSink};
use crate::slab::{CellRun, Kind};
use crate::sync::Ordering;
use crate::sync::unmodelled::{Mutex, OnceLock};

/// The states of a [`StateSet`]: non-empty and distinct, in order; shared by the children of a
/// state-set family. Interned like [`Buckets`](crate::Buckets): each distinct list is stored once
/// for the life of the process, and copying it costs nothing.
///
/// # Examples
///
/// ```
/// use coremeter::States;
///
/// let s = States::new(["starting", "running", "stopped"])?;
/// assert_eq!(s.names().len(), 3);
/// assert!(States::new(["a", "a"]).is_err());
/// # Ok::<(), coremeter::StateSetError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct States(&'static [&'static str]);

impl States {
    /// Checks the states: at least one, no two equal.
    ///
    /// # Errors
    ///
    /// [`StateSetError::Empty`] or [`StateSetError::Duplicate`].
    ///
    /// # Examples
    ///
    /// ```
    /// let states = coremeter::States::new(["starting", "running"])?;
    /// assert_eq!(states.names(), ["starting", "running"]);
    /// # Ok::<(), coremeter::StateSetError>(())
    /// ```
    pub fn new<S: Into<Cow<'static, str>>>(
        states: impl IntoIterator<Item = S>,
    ) -> Result<Self, StateSetError> {
        let states: Vec<Cow<'static, str>> = states.into_iter().map(Into::into).collect();
        if states.is_empty() {
            return Err(StateSetError::Empty);
        }
        for (i, s) in states.iter().enumerate() {
            if states[..i].contains(s) {
                return Err(StateSetError::Duplicate(s.to_string()));
            }
        }
        Ok(States(intern(states)))
    }

    /// The states a [`Shape`] keeps, checked when they were first made.
    pub(crate) fn from_shape(shape: &Shape) -> Self {
        States(shape.states)
    }

    /// The values of a fixed-set label value type (a unit-only enum with `LabelValue`), in index
    /// order, so that [`StateSet::set_value`] takes the enum.
    ///
    /// # Errors
    ///
    /// [`StateSetError::Empty`] if the type has no fixed set of values (or an empty one), or
    /// [`StateSetError::Duplicate`].
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{LabelValue, States};
    ///
    /// #[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash)]
    /// #[label(rename_all = "lowercase")]
    /// enum Phase { Starting, Running }
    ///
    /// let states = States::of::<Phase>()?;
    /// assert_eq!(states.names(), ["starting", "running"]);
    /// # Ok::<(), coremeter::StateSetError>(())
    /// ```
    pub fn of<E: LabelValue>() -> Result<Self, StateSetError> {
        Self::new(E::VALUES.unwrap_or(&[]).iter().copied())
    }

    /// The state names, in order.
    ///
    /// # Examples
    ///
    /// ```
    /// let states = coremeter::States::new(["a", "b"])?;
    /// assert_eq!(states.names().len(), 2);
    /// # Ok::<(), coremeter::StateSetError>(())
    /// ```
    pub fn names(&self) -> &'static [&'static str] {
        self.0
    }
}

/// The one stored copy of a list of states.
fn intern(states: Vec<Cow<'static, str>>) -> &'static [&'static str] {
    type Lists = Mutex<HashMap<Vec<String>, &'static [&'static str]>>;
    static LISTS: OnceLock<Lists> = OnceLock::new();
    let key: Vec<String> = states.iter().map(|s| s.to_string()).collect();
    let mut lists = LISTS
        .get_or_init(Lists::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    lists.entry(key).or_insert_with(|| {
        let names: Vec<&'static str> = states
            .into_iter()
            .map(|s| match s {
                Cow::Borrowed(s) => s,
                Cow::Owned(s) => &*Box::leak(s.into_boxed_str()),
            })
            .collect();
        Box::leak(names.into_boxed_slice())
    })
}

/// Exactly one of a fixed set of states is true: a task's phase, a circuit breaker's position
/// (Python's `Enum`, OpenMetrics' `stateset`). It starts in the first state.
///
/// The current state is one unsharded cell holding its index: [`set_index`](Self::set_index) is
/// one atomic store.
///
/// # Examples
///
/// ```
/// use coremeter::StateSet;
///
/// let task = StateSet::new(["starting", "running", "stopped"])?;
/// assert_eq!(task.get(), "starting");
/// task.set("running")?;
/// assert_eq!(task.get(), "running");
/// assert!(task.set("paused").is_err());
/// # Ok::<(), coremeter::StateSetError>(())
/// ```
#[derive(Clone)]
#[must_use = "a state set that is neither kept nor registered records nothing"]
pub struct StateSet {
    cell: CellRun,
    states: States,
}

impl StateSet {
    /// A state set over `states`, in the first one.
    ///
    /// # Errors
    ///
    /// As [`States::new`].
    ///
    /// # Examples
    ///
    /// ```
    /// let s = coremeter::StateSet::new(["starting", "running"])?;
    /// assert_eq!(s.get(), "starting");
    /// # Ok::<(), coremeter::StateSetError>(())
    /// ```
    pub fn new<S: Into<Cow<'static, str>>>(
        states: impl IntoIterator<Item = S>,
    ) -> Result<Self, StateSetError> {
        States::new(states).map(Self::with_config)
    }

    /// A state set over checked states, in the first one.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{StateSet, States};
    ///
    /// let states = States::new(["on", "off"])?;
    /// let a = StateSet::with_config(states);
    /// let b = StateSet::with_config(states);
    /// b.set("off")?;
    /// assert_eq!((a.get(), b.get()), ("on", "off"));
    /// # Ok::<(), coremeter::StateSetError>(())
    /// ```
    pub fn with_config(states: States) -> Self {
        StateSet {
            cell: CellRun::new_in(Kind::Unsharded, 1),
            states,
        }
    }

    /// Makes `state` the current one.
    ///
    /// # Errors
    ///
    /// [`StateSetError::Unknown`] if it is not one of the states; the state is then unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = coremeter::StateSet::new(["starting", "running"])?;
    /// s.set("running")?;
    /// assert_eq!(s.get(), "running");
    /// # Ok::<(), coremeter::StateSetError>(())
    /// ```
    pub fn set(&self, state: &str) -> Result<(), StateSetError> {
        match self.states.0.iter().position(|s| *s == state) {
            Some(i) => self.set_index(i),
            None => Err(StateSetError::Unknown(state.to_owned())),
        }
    }

    /// Makes the state at `index` the current one.
    ///
    /// # Errors
    ///
    /// [`StateSetError::Unknown`] if there is no such state.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = coremeter::StateSet::new(["starting", "running"])?;
    /// s.set_index(1)?;
    /// assert_eq!(s.get(), "running");
    /// assert!(s.set_index(2).is_err());
    /// # Ok::<(), coremeter::StateSetError>(())
    /// ```
    #[inline]
    pub fn set_index(&self, index: usize) -> Result<(), StateSetError> {
        if index >= self.states.0.len() {
            return Err(StateSetError::Unknown(index.to_string()));
        }
        // Relaxed: one independent value.
        self.cell
            .unsharded_cell(0)
            .store(index as u64, Ordering::Relaxed);
        Ok(())
    }

    /// Makes `value`'s state current, for state sets made with [`States::of`] from the same type.
    ///
    /// # Errors
    ///
    /// [`StateSetError::Unknown`] if the index of `value` is not a state.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{LabelValue, StateSet, States};
    ///
    /// #[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash)]
    /// enum Mode { Read, Write }
    ///
    /// let s = StateSet::with_config(States::of::<Mode>()?);
    /// s.set_value(&Mode::Write)?;
    /// assert_eq!(s.get(), "Write");
    /// # Ok::<(), coremeter::StateSetError>(())
    /// ```
    pub fn set_value<E: LabelValue>(&self, value: &E) -> Result<(), StateSetError> {
        self.set_index(value.index())
    }

    /// The index of the current state.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = coremeter::StateSet::new(["a", "b"])?;
    /// s.set("b")?;
    /// assert_eq!(s.index(), 1);
    /// # Ok::<(), coremeter::StateSetError>(())
    /// ```
    pub fn index(&self) -> usize {
        current(&self.cell, &self.states)
    }

    /// The current state.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = coremeter::StateSet::new(["a", "b"])?;
    /// assert_eq!(s.get(), "a");
    /// # Ok::<(), coremeter::StateSetError>(())
    /// ```
    pub fn get(&self) -> &str {
        self.states.0[self.index()]
    }

    /// The states.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = coremeter::StateSet::new(["a", "b"])?;
    /// assert_eq!(s.states().names(), ["a", "b"]);
    /// # Ok::<(), coremeter::StateSetError>(())
    /// ```
    pub fn states(&self) -> &States {
        &self.states
    }
}

fn current(run: &CellRun, states: &States) -> usize {
    // `set_index` stores only valid indices.
    // Relaxed: one independent value.
    (run.unsharded_cell(0).load(Ordering::Relaxed) as usize).min(states.0.len() - 1)
}

impl fmt::Debug for StateSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateSet")
            .field("states", &self.states.0)
            .field("current", &self.get())
            .finish()
    }
}

impl sealed::Sealed for StateSet {}

impl Metric for StateSet {
    fn metric_type(&self) -> MetricType {
        MetricType::StateSet
    }

    fn collect(&self, out: &mut SeriesWriter<'_>) {
        Self::collect_one(&self.cell, &self.states, out);
    }
}

impl Storage for StateSet {
    type Config = States;
    const KIND: Kind = Kind::Unsharded;
    const TYPE: MetricType = MetricType::StateSet;

    fn cells(_: &States) -> usize {
        1
    }

    fn from_run(cell: CellRun, states: &States) -> Self {
        StateSet {
            cell,
            states: *states,
        }
    }

    fn run(&self) -> &CellRun {
        &self.cell
    }

    fn shape(states: &States) -> Shape {
        Shape {
            states: states.0,
            ..Shape::word(ValueKind::StateSet)
        }
    }

    fn read(run: &CellRun, states: &States, sink: &mut WordSink<'_>) {
        sink.words.push(current(run, states) as u64);
        sink.end_series(run);
    }
}

impl ChildMetric for StateSet {}

/// Why states or a state were refused.
///
/// # Examples
///
/// ```
/// use coremeter::{StateSet, StateSetError};
///
/// assert!(matches!(StateSet::new(Vec::<&str>::new()), Err(StateSetError::Empty)));
/// assert!(matches!(StateSet::new(["up", "up"]), Err(StateSetError::Duplicate(_))));
/// let s = StateSet::new(["starting", "running"])?;
/// assert!(matches!(s.set("stopped"), Err(StateSetError::Unknown(_))));
/// s.set("running")?;
/// # Ok::<(), StateSetError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StateSetError {
    /// No states were given.
    Empty,
    /// A state was given twice.
    Duplicate(String),
    /// The state is not one of the set's.
    Unknown(String),
}

impl fmt::Display for StateSetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateSetError::Empty => f.write_str("a state set needs at least one state"),
            StateSetError::Duplicate(s) => write!(f, "state {s:?} is given more than once"),
            StateSetError::Unknown(s) => write!(f, "{s:?} is not one of the states"),
        }
    }
}

impl std::error::Error for StateSetError {}
