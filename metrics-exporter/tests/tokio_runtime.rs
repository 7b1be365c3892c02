//! The tokio runtime collector on a real multi-thread runtime: its gauges follow the runtime's
//! tasks and workers, its per-worker counters grow with work, and a scrape of them is valid
//! exposition.
#![cfg(feature = "tokio")]

use std::time::{Duration, Instant};

use coremeter::Registry;
use coremeter_exporter::TokioCollector;

#[test]
fn tokio_runtime_metrics_follow_the_runtime() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let registry = Registry::new();
    TokioCollector::register(&registry, runtime.handle().clone()).unwrap();
    let value = |name: &str, labels: &[(&str, &str)]| registry.sample_value(name, labels);
    assert_eq!(value("tokio_num_workers", &[]), Some(2.0));
    assert_eq!(value("tokio_global_queue_depth", &[]), Some(0.0));

    // Three tasks that wait: alive until released.
    let (release, released) = tokio::sync::watch::channel(false);
    let waiting: Vec<_> = (0..3)
        .map(|_| {
            let mut released = released.clone();
            runtime.spawn(async move {
                let _ = released.wait_for(|r| *r).await;
            })
        })
        .collect();
    let alive = || value("tokio_num_alive_tasks", &[]).unwrap();
    let start = Instant::now();
    while alive() < 3.0 && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(alive(), 3.0);

    // Work on the workers: their busy time grows.
    let busy = || {
        value(
            "tokio_worker_total_busy_duration_seconds_total",
            &[("worker", "0")],
        )
        .unwrap()
            + value(
                "tokio_worker_total_busy_duration_seconds_total",
                &[("worker", "1")],
            )
            .unwrap()
    };
    let before = busy();
    runtime.block_on(async {
        let spin = |_| {
            tokio::spawn(async {
                let end = Instant::now() + Duration::from_millis(50);
                while Instant::now() < end {
                    std::hint::spin_loop();
                }
            })
        };
        for task in (0..4).map(spin).collect::<Vec<_>>() {
            task.await.unwrap();
        }
    });
    assert!(busy() > before + 0.05, "busy {before} -> {}", busy());
    assert!(value("tokio_worker_park_count_total", &[("worker", "0")]).is_some());

    // With `--cfg tokio_unstable`, tokio's unstable metrics too.
    #[cfg(tokio_unstable)]
    {
        assert!(value("tokio_spawned_tasks_count_total", &[]).unwrap() >= 7.0);
        assert!(value("tokio_worker_poll_count_total", &[("worker", "1")]).is_some());
    }

    // What a scrape of them renders is valid exposition for promtool.
    let text =
        coremeter_encode::render(&registry, coremeter_encode::Format::Text).expect("renders");
    let mut promtool = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool (Debian package prometheus; .ci/test installs it)");
    std::io::Write::write_all(promtool.stdin.as_mut().unwrap(), text.as_bytes()).unwrap();
    let out = promtool.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    release.send(true).unwrap();
    runtime.block_on(async {
        for task in waiting {
            task.await.unwrap();
        }
    });
    // A finished task is released just after its join handle learns it finished.
    let start = Instant::now();
    while alive() > 0.0 && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(alive(), 0.0);
}
