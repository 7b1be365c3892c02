//! The Graphite bridge against a real carbon-cache (Debian `graphite-carbon`) on 127.0.0.1:
//! points read back from its whisper files, carbon restarted while the bridge runs.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{Daemon, TempDir, wait_for};
use coremeter::{Counter, DynLabels, Family, Gauge, Opts, Registry};
use coremeter_exporter::{GraphiteBridge, LabelStyle};

struct Carbon {
    daemon: Daemon,
    dir: PathBuf,
    port: u16,
}

impl Carbon {
    /// Starts carbon-cache with its files in `dir`, its line receiver on `port` (0: pick one).
    fn start(dir: &Path, port: u16) -> Carbon {
        let port = if port == 0 {
            // Port 0 would disable carbon's listener: pick a free port (a small race).
            TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        } else {
            port
        };
        for sub in ["conf", "whisper", "log", "run", "lists"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        let d = dir.display();
        std::fs::write(
            dir.join("conf/carbon.conf"),
            format!(
                "[cache]\nSTORAGE_DIR = {d}/\nLOCAL_DATA_DIR = {d}/whisper/\nWHITELISTS_DIR = {d}/lists/\n\
                 CONF_DIR = {d}/conf/\nLOG_DIR = {d}/log/\nPID_DIR = {d}/run/\nUSER =\nENABLE_TAGS = False\n\
                 MAX_CACHE_SIZE = inf\nMAX_UPDATES_PER_SECOND = inf\nMAX_CREATES_PER_MINUTE = inf\n\
                 LINE_RECEIVER_INTERFACE = 127.0.0.1\nLINE_RECEIVER_PORT = {port}\nENABLE_UDP_LISTENER = False\n\
                 PICKLE_RECEIVER_PORT = 0\nCACHE_QUERY_INTERFACE = 127.0.0.1\nCACHE_QUERY_PORT = 0\n\
                 CARBON_METRIC_INTERVAL = 0\nWHISPER_AUTOFLUSH = True\nWHISPER_FALLOCATE_CREATE = False\n\
                 LOG_LISTENER_CONN_SUCCESS = False\n"
            ),
        )
        .unwrap();
        std::fs::write(
            dir.join("conf/storage-schemas.conf"),
            "[default]\npattern = .*\nretentions = 1s:1h\n",
        )
        .unwrap();
        let _ = std::fs::remove_file(dir.join("run/carbon.pid"));
        let daemon = Daemon::spawn(
            Command::new("carbon-cache").args([
                format!("--config={d}/conf/carbon.conf"),
                format!("--pidfile={d}/run/carbon.pid"),
                format!("--logdir={d}/log"),
                "--nodaemon".to_owned(),
                "start".to_owned(),
            ]),
            dir.join(format!("carbon-{}.out", std::process::id())),
        );
        let ready = format!("CarbonReceiverFactory starting on {port}");
        wait_for(Duration::from_secs(20), "carbon listening", || {
            daemon.log().contains(&ready).then_some(())
        });
        Carbon {
            daemon,
            dir: dir.to_owned(),
            port,
        }
    }

    /// Non-empty `(timestamp, value)` points of `path` over the last 5 minutes.
    fn fetch(&self, path: &str) -> Vec<(u64, f64)> {
        let file = self
            .dir
            .join("whisper")
            .join(format!("{}.wsp", path.replace('.', "/")));
        if !file.exists() {
            return Vec::new();
        }
        let from = now() - 300;
        let out = Command::new("whisper-fetch")
            .arg(format!("--from={from}"))
            .arg(&file)
            .output()
            .unwrap();
        // Not --drop=nulls: whisper 1.1.4 then prints wrong timestamps.
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let (t, v) = l.split_once(char::is_whitespace)?;
                Some((t.trim().parse().ok()?, v.trim().parse().ok()?))
            })
            .collect()
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn points_reach_carbon_and_the_bridge_survives_a_restart() {
    let dir = TempDir::new("carbon");
    let mut carbon = Carbon::start(dir.path(), 0);
    let registry = Arc::new(Registry::new());
    let jobs = Family::<DynLabels, Counter>::with_label_names(&["kind"]).unwrap();
    registry
        .register(Opts::new("jobs", "Jobs."), jobs.clone())
        .unwrap();
    let depth = Gauge::new();
    registry
        .register(Opts::new("queue_depth", "Depth."), depth.clone())
        .unwrap();
    jobs.labels(&["email"]).unwrap().inc_by(5);
    depth.set(-3);

    let bridge = GraphiteBridge::new(format!("127.0.0.1:{}", carbon.port))
        .prefix("test.rust")
        .interval(Duration::from_millis(500))
        .start(&registry);
    let points = wait_for(Duration::from_secs(20), "points in carbon", || {
        Some(carbon.fetch("test.rust.jobs_total.kind.email")).filter(|p| !p.is_empty())
    });
    assert_eq!(points.last().unwrap().1, 5.0);
    assert!(points.last().unwrap().0.abs_diff(now()) < 30);
    wait_for(Duration::from_secs(10), "the gauge", || {
        carbon
            .fetch("test.rust.queue_depth")
            .last()
            .filter(|p| p.1 == -3.0)
            .map(|_| ())
    });

    // Carbon goes away: pushes fail, nothing panics.
    let port = carbon.port;
    carbon.daemon.stop();
    let failures = bridge.failures();
    wait_for(
        Duration::from_secs(20),
        "failed pushes while carbon is down",
        || (bridge.failures() > failures).then_some(()),
    );
    jobs.labels(&["email"]).unwrap().inc_by(10);

    // Back on the same port: the bridge reconnects and the new value arrives. The count is read
    // before carbon starts: the bridge may reconnect and push while `Carbon::start` still waits
    // for carbon to answer, and a push made then is one this test must see counted.
    let pushes = bridge.pushes();
    let restarted = Carbon::start(dir.path(), port);
    wait_for(
        Duration::from_secs(30),
        "the value pushed after the restart",
        || {
            restarted
                .fetch("test.rust.jobs_total.kind.email")
                .last()
                .filter(|p| p.1 == 15.0)
                .map(|_| ())
        },
    );
    assert!(bridge.pushes() > pushes);
    bridge.stop();
}

#[test]
fn tagged_series_are_stored_by_carbon() {
    let dir = TempDir::new("carbon-tags");
    let carbon = Carbon::start(dir.path(), 0);
    let registry = Registry::new();
    let jobs = Family::<DynLabels, Counter>::with_label_names(&["kind", "queue"]).unwrap();
    registry
        .register(Opts::new("jobs", "Jobs."), jobs.clone())
        .unwrap();
    jobs.labels(&["email", "high; low"]).unwrap().inc_by(2);
    let bridge = GraphiteBridge::new(format!("127.0.0.1:{}", carbon.port))
        .prefix("tagged")
        .label_style(LabelStyle::Tags);
    assert!(
        bridge
            .render(&registry)
            .starts_with("tagged.jobs_total;kind=email;queue=high__low 2 ")
    );
    bridge.push(&registry).unwrap();
    // Carbon files a tagged series under _tagged/ by the SHA-256 of its normalised name.
    let name = "tagged.jobs_total;kind=email;queue=high__low";
    let out = Command::new("python3")
        .args([
            "-c",
            "import hashlib,sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest())",
            name,
        ])
        .output()
        .unwrap();
    let hash = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let path = format!("_tagged.{}.{}.{hash}", &hash[..3], &hash[3..6]);
    let points = wait_for(Duration::from_secs(20), "the tagged series", || {
        Some(carbon.fetch(&path)).filter(|p| !p.is_empty())
    });
    assert_eq!(points.last().unwrap().1, 2.0);
    assert!(
        carbon
            .daemon
            .log()
            .contains(&format!("wrote 1 datapoints for {name}"))
    );
}
