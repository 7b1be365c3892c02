//! A failing custom collector is reported to the registry's error hook, not to the process' panic
//! hook (so nothing is printed per scrape), and the scrape answers `500` with a one-line reason.
//! One test in its own binary: it sets the process' panic hook before anything collects.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::get;
use coremeter::{Collector, Counter, MetricFamily, Opts, Registry};
use coremeter_exporter::HttpServer;

struct Broken(Arc<AtomicBool>);

impl Collector for Broken {
    fn collect(&self) -> Vec<MetricFamily> {
        if self.0.load(Ordering::Relaxed) {
            panic!("disk gone");
        }
        Vec::new()
    }
}

#[test]
fn a_failing_collector_goes_to_the_error_hook_not_to_stderr() {
    static PANIC_HOOK_CALLS: AtomicUsize = AtomicUsize::new(0);
    // Stands for the default hook, which prints: the count says whether it would have printed.
    std::panic::set_hook(Box::new(|_| {
        PANIC_HOOK_CALLS.fetch_add(1, Ordering::Relaxed);
    }));
    let registry = Arc::new(Registry::new());
    let jobs = Counter::new();
    registry
        .register(Opts::new("jobs", "Jobs."), jobs.clone())
        .unwrap();
    let armed = Arc::new(AtomicBool::new(false));
    registry
        .register_collector(Broken(Arc::clone(&armed)))
        .unwrap();
    let reported = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&reported);
    registry.on_collect_error(move |e| sink.lock().unwrap().push(e.to_string()));
    let server = HttpServer::new(&registry).start("127.0.0.1:0").unwrap();
    let addr = server.local_addr();

    armed.store(true, Ordering::Relaxed);
    for _ in 0..3 {
        let response = get(addr, "/metrics", "");
        assert_eq!(response.status, 500);
        assert_eq!(
            response.text(),
            "the metrics could not be read: collector collector_failure::Broken panicked: disk gone\n"
        );
    }
    assert_eq!(PANIC_HOOK_CALLS.load(Ordering::Relaxed), 0);
    let reported = reported.lock().unwrap().clone();
    assert_eq!(reported.len(), 3);
    assert_eq!(
        reported[0],
        "collector collector_failure::Broken panicked: disk gone"
    );

    // The server goes on; a panic elsewhere still reaches the process' hook.
    armed.store(false, Ordering::Relaxed);
    assert_eq!(get(addr, "/metrics", "").status, 200);
    let elsewhere = std::thread::spawn(|| panic!("not a collector")).join();
    assert!(elsewhere.is_err());
    assert_eq!(PANIC_HOOK_CALLS.load(Ordering::Relaxed), 1);
}
