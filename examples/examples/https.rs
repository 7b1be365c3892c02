//! https: the metrics endpoint over TLS with HTTP Basic authentication.
//!
//! Shows: `TlsConfig::from_pem_files` (rustls), `Auth::basic`, `HttpServer` with both; a request
//! without the credentials gets 401 and no metrics. Client certificates (mTLS) are one more
//! call: `TlsConfig::client_ca_file`.
//!
//! Run: `bash examples/make-cert.sh` (a throwaway CA and certificate for 127.0.0.1 in
//! `target/example-certs`), then `cargo run --example https`, then
//! `curl --cacert target/example-certs/ca.pem -u prometheus:s3cret https://127.0.0.1:9443/metrics`.
//! `--certs DIR`, `--addr HOST:PORT` and `--seconds N` change the defaults.

use std::path::PathBuf;
use std::time::Duration;

use coremeter::{Counter, Metrics, default_registry};
use coremeter_examples::Options;
use coremeter_exporter::{Auth, HttpServer, TlsConfig};

#[derive(Metrics)]
#[metrics(namespace = "https_example", static = SECURE)]
struct Secure {
    /// Heartbeats sent.
    heartbeats: Counter,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = Options::parse(
        "https",
        &[
            ("--certs", "DIR"),
            ("--addr", "HOST:PORT"),
            ("--seconds", "N"),
        ],
    )?;
    let certs = PathBuf::from(options.get("--certs").unwrap_or("target/example-certs"));
    let addr = options.get("--addr").unwrap_or("127.0.0.1:9443");
    let seconds = options.seconds()?;
    let tls = TlsConfig::from_pem_files(certs.join("server.pem"), certs.join("server.key"))
        .map_err(|e| format!("{e} (run `bash examples/make-cert.sh` first)"))?;
    let server = HttpServer::new(default_registry())
        .tls(tls)
        .auth(Auth::basic("prometheus", "s3cret"))
        .start(addr)?;
    println!(
        "serving https://{}/metrics (user prometheus, password s3cret; CA {})",
        server.local_addr(),
        certs.join("ca.pem").display()
    );
    let mut elapsed = 0;
    while seconds.is_none_or(|s| elapsed < s * 10) {
        SECURE.heartbeats.inc();
        std::thread::sleep(Duration::from_millis(100));
        elapsed += 1;
    }
    server.stop();
    Ok(())
}
