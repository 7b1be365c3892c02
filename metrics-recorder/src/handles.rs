//! What the facade's handles call: a coremeter metric behind each of `metrics`' `CounterFn`,
//! `GaugeFn` and `HistogramFn`.

use std::sync::Mutex;

use metrics::{CounterFn, GaugeFn, HistogramFn};

/// A facade counter: a coremeter [`Counter`](coremeter::Counter) (a family's child).
#[derive(Debug)]
pub(crate) struct CounterHandle(pub(crate) coremeter::Counter);

/// `absolute` calls take turns: read, then add what is missing. Other increments may land in
/// between (they add up either way).
static ABSOLUTE: Mutex<()> = Mutex::new(());

impl CounterFn for CounterHandle {
    #[inline]
    fn increment(&self, value: u64) {
        self.0.inc_by(value);
    }

    /// Raises the counter to at least `value` (a counter synchronised with an external one).
    fn absolute(&self, value: u64) {
        let _turn = ABSOLUTE.lock().unwrap_or_else(|p| p.into_inner());
        let current = self.0.get();
        if value > current {
            self.0.inc_by(value - current);
        }
    }
}

/// A facade gauge: a [`FloatGauge`](coremeter::FloatGauge).
#[derive(Debug)]
pub(crate) struct GaugeHandle(pub(crate) coremeter::FloatGauge);

impl GaugeFn for GaugeHandle {
    #[inline]
    fn increment(&self, value: f64) {
        self.0.add(value);
    }

    #[inline]
    fn decrement(&self, value: f64) {
        self.0.add(-value);
    }

    #[inline]
    fn set(&self, value: f64) {
        self.0.set(value);
    }
}

/// A facade histogram: a [`Histogram`](coremeter::Histogram) with fixed buckets (observations are
/// counted at once, never kept until a scrape).
#[derive(Debug)]
pub(crate) struct HistogramHandle(pub(crate) coremeter::Histogram);

impl HistogramFn for HistogramHandle {
    #[inline]
    fn record(&self, value: f64) {
        self.0.observe(value);
    }
}
