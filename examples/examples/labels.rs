//! labels: typed enum labels, dynamic string labels, and a cardinality limit.
//!
//! Shows: `#[derive(LabelValue)]` enums and a `#[derive(LabelSet)]` struct (a dense family: every
//! series exists at 0, `get` is index arithmetic); a `Family<DynLabels, _>` with run-time label
//! values (`labels(&[..])`, like Python's client) and a limit of 3 series, beyond which updates
//! go to one overflow series; `remove` of a child. Prints the exposition (text format).
//!
//! Run: `cargo run --example labels`.

use coremeter::{Counter, DynLabels, Family, Gauge, LabelSet, LabelValue, Metrics, Registry};

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash)]
#[label(rename_all = "UPPERCASE")]
enum Method {
    Get,
    Post,
}

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash)]
#[label(rename_all = "snake_case")]
enum Class {
    Success,
    ClientError,
    ServerError,
}

#[derive(LabelSet, Clone, Copy, PartialEq, Eq, Hash)]
struct Route {
    method: Method,
    #[label(rename = "status_class")]
    class: Class,
}

#[derive(Metrics)]
#[metrics(namespace = "labels_example")]
struct ExampleMetrics {
    /// Requests by method and status class (2 x 3 series, all at 0 from the start).
    requests: Family<Route, Counter>,
    /// Sessions by user name: open values, at most 3 series, then the overflow series.
    #[metric(labels = ["user"], limit = 3)]
    sessions: Family<DynLabels, Gauge>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let registry = Registry::new();
    let m = ExampleMetrics::new();
    m.register(&registry)?;

    m.requests
        .get(&Route {
            method: Method::Get,
            class: Class::Success,
        })
        .inc_by(10);
    m.requests
        .get(&Route {
            method: Method::Post,
            class: Class::ServerError,
        })
        .inc();
    m.requests
        .get(&Route {
            method: Method::Post,
            class: Class::ClientError,
        })
        .inc_by(2);

    for user in ["ada", "grace", "edsger", "barbara", "donald"] {
        m.sessions.labels(&[user])?.inc();
    }
    // A count mismatch is an error value, not a panic.
    assert!(m.sessions.labels(&["ada", "extra"]).is_err());
    // Removing a child frees its series (and a slot under the limit).
    m.sessions.remove_labels(&["grace"])?;

    print!(
        "{}",
        coremeter_encode::render(&registry, coremeter_encode::Format::Text)?
    );
    Ok(())
}
