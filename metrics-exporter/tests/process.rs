//! The process collector's values follow what the process does.
#![cfg(target_os = "linux")]

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use coremeter::Registry;
use coremeter_exporter::ProcessCollector;

fn value(registry: &Registry, name: &str) -> f64 {
    registry
        .sample_value(name, &[])
        .unwrap_or_else(|| panic!("{name} missing"))
}

#[test]
fn values_follow_the_process() {
    let registry = Registry::new();
    ProcessCollector::register(&registry).unwrap();
    assert!(
        ProcessCollector::register(&registry).is_err(),
        "names registered twice"
    );

    let fds = value(&registry, "process_open_fds");
    let files: Vec<_> = (0..10)
        .map(|_| std::fs::File::open("/proc/self/stat").unwrap())
        .collect();
    assert_eq!(value(&registry, "process_open_fds"), fds + 10.0);
    drop(files);

    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let soft: f64 = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(value(&registry, "process_max_fds"), soft);

    let threads = value(&registry, "process_threads");
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
    let sleepers: Vec<_> = (0..3)
        .map(|_| {
            let rx = std::sync::Arc::clone(&rx);
            std::thread::spawn(move || {
                let _ = rx.lock().unwrap().recv_timeout(Duration::from_secs(10));
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(value(&registry, "process_threads"), threads + 3.0);
    drop(tx);
    for s in sleepers {
        s.join().unwrap();
    }

    // Burn CPU until the collector shows 0.3 s more (on a loaded machine a thread gets less
    // CPU than wall time): it must, within 10 s, and not by more than the wall time allows.
    let cpu = value(&registry, "process_cpu_seconds_total");
    let start = Instant::now();
    let mut x = 0u64;
    let mut spent = 0.0;
    while spent < 0.3 && start.elapsed() < Duration::from_secs(10) {
        for _ in 0..1_000_000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        spent = value(&registry, "process_cpu_seconds_total") - cpu;
    }
    let wall = start.elapsed().as_secs_f64();
    assert!(
        spent >= 0.3,
        "cpu seconds grew by {spent} in {wall} s of spinning"
    );
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    assert!(
        spent <= wall * cores + 0.1,
        "cpu seconds grew by {spent} in {wall} s"
    );

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let started = value(&registry, "process_start_time_seconds");
    assert!(
        started <= now + 1.0 && started > now - 3600.0,
        "start {started}, now {now}"
    );

    let rss = value(&registry, "process_resident_memory_bytes");
    let vm = value(&registry, "process_virtual_memory_bytes");
    assert!(rss > 1e6 && rss < vm, "rss {rss}, vm {vm}");
    let big = vec![1u8; 64 << 20];
    std::hint::black_box(&big);
    assert!(value(&registry, "process_resident_memory_bytes") > rss + 60e6);
    drop(big);
}
