//! A library instrumented with the `metrics` facade only (no coremeter anywhere), as a
//! third-party crate would be: `coremeter-recorder`'s tests install the recorder and call it.

#![forbid(unsafe_code)]

use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};

/// Describes the library's metrics (HELP and units), as a library does at start-up.
pub fn describe() {
    describe_counter!("jobs.done", Unit::Count, "Jobs done, by queue.");
    describe_histogram!("job-duration", Unit::Seconds, "Time to run a job.");
    describe_gauge!("queue_depth", "Jobs waiting.");
}

/// Runs a job of `queue` that took `seconds`: a counter and a histogram with a dynamic label.
pub fn run_job(queue: &str, seconds: f64) {
    counter!("jobs.done", "queue" => queue.to_owned()).increment(1);
    histogram!("job-duration", "queue" => queue.to_owned()).record(seconds);
}

/// Sets the queue depth: a gauge with a static label.
pub fn set_depth(depth: f64) {
    gauge!("queue_depth", "region" => "eu").set(depth);
}

/// Counts requests with a name that already ends with `_total`, from a kept handle.
pub fn count_requests(n: u64) {
    let requests = counter!("requests_total");
    for _ in 0..n {
        requests.increment(1);
    }
}
