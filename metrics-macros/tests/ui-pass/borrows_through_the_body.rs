//! Bodies that return borrows of what the function was given, or move it: each compiles, without
//! a warning, as it does without the attributes.
#![deny(warnings, clippy::all)]

use std::borrow::Cow;

use coremeter::*;

#[derive(Metrics)]
#[metrics(static = M)]
struct Metrics {
    /// Seconds.
    #[metric(unit = "seconds")]
    latency: Histogram,
    /// Running.
    running: Gauge,
    /// Failures.
    failures: Counter,
}

struct Table {
    rows: Vec<u32>,
    name: String,
}

impl Table {
    // The item 3: rejected with "captured variable cannot escape `FnMut` closure body".
    #[count_exceptions(M.failures)]
    fn row_mut(&mut self, i: usize) -> Result<&mut u32, String> {
        self.rows.get_mut(i).ok_or_else(|| format!("no row {i}"))
    }

    #[timed(M.latency)]
    #[count_exceptions(M.failures)]
    fn name(&self) -> Result<&str, String> {
        Ok(&self.name)
    }

    #[timed(M.latency)]
    fn cow(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.name)
    }

    #[timed(M.latency)]
    #[in_progress(M.running)]
    fn into_rows(self) -> Vec<u32> {
        self.rows
    }

    #[timed(M.latency)]
    fn early(&mut self, stop: bool) -> Option<&mut u32> {
        if stop {
            return None;
        }
        self.rows.first_mut()
    }
}

#[timed(M.latency)]
#[count_exceptions(M.failures)]
fn parse(s: &str) -> Result<u32, std::num::ParseIntError> {
    let n = s.trim().parse::<u32>()?;
    Ok(n * 2)
}

#[timed(M.latency)]
fn longest<'a>(a: &'a str, b: &'a str) -> &'a str {
    if a.len() >= b.len() { a } else { b }
}

#[timed(M.latency)]
fn generic<T: Clone, I: IntoIterator<Item = T>>(items: I) -> Vec<T> {
    items.into_iter().collect()
}

#[timed(M.latency)]
fn evens(limit: u32) -> impl Iterator<Item = u32> {
    (0..limit).filter(|n| n % 2 == 0)
}

fn main() {
    let mut t = Table {
        rows: vec![1, 2],
        name: "t".into(),
    };
    *t.row_mut(0).unwrap() += 1;
    assert!(t.row_mut(9).is_err());
    assert_eq!(t.name().unwrap(), "t");
    assert_eq!(t.cow(), "t");
    assert!(t.early(true).is_none());
    assert_eq!(t.early(false).copied(), Some(2));
    assert_eq!(t.into_rows(), [2, 2]);
    assert_eq!(parse(" 21 ").unwrap(), 42);
    assert!(parse("x").is_err());
    assert_eq!(longest("ab", "c"), "ab");
    assert_eq!(generic([1, 2]), [1, 2]);
    assert_eq!(evens(5).count(), 3);
    assert_eq!(M.failures.get(), 2);
    assert_eq!(M.running.get(), 0);
}
