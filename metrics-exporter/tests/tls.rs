//! HTTPS and client certificates, with throwaway certificates made by `openssl` and requests made
//! by `curl` (both real clients of the system), on 127.0.0.1.
#![cfg(feature = "tls")]

mod common;

use std::sync::Arc;

use common::{TempDir, curl, make_certificates};
use coremeter::{Counter, Opts, Registry};
use coremeter_exporter::{Auth, HttpServer, TlsConfig};

fn registry() -> Arc<Registry> {
    let registry = Arc::new(Registry::new());
    let c = Counter::new();
    registry
        .register(Opts::new("tls_jobs", "Jobs."), c.clone())
        .unwrap();
    c.inc_by(9);
    registry
}

#[test]
fn https_with_basic_auth() {
    let dir = TempDir::new("tls");
    make_certificates(dir.path());
    let tls =
        TlsConfig::from_pem_files(dir.path().join("server.pem"), dir.path().join("server.key"))
            .unwrap();
    let server = HttpServer::new(registry())
        .tls(tls)
        .auth(Auth::basic("prom", "s3cret"))
        .start("127.0.0.1:0")
        .unwrap();
    let url = format!("https://127.0.0.1:{}/metrics", server.local_addr().port());
    let (rc, body) = curl(dir.path(), &url, &["-u", "prom:s3cret"]);
    assert_eq!(rc, 0, "{body}");
    assert!(
        body.contains("tls_jobs_total 9\n") && body.ends_with("\n200"),
        "{body}"
    );
    let (rc, body) = curl(dir.path(), &url, &[]);
    assert_eq!(rc, 0);
    assert!(
        body.ends_with("\n401") && !body.contains("tls_jobs"),
        "{body}"
    );
    let (_, body) = curl(dir.path(), &url, &["-u", "prom:wrong"]);
    assert!(body.ends_with("\n401"), "{body}");
    // Plain HTTP to the TLS port gets nothing.
    let (rc, _) = curl(dir.path(), &url.replace("https", "http"), &[]);
    assert_ne!(rc, 0);
}

#[test]
fn client_certificates_are_required_when_configured() {
    let dir = TempDir::new("mtls");
    make_certificates(dir.path());
    let tls =
        TlsConfig::from_pem_files(dir.path().join("server.pem"), dir.path().join("server.key"))
            .unwrap()
            .client_ca_file(dir.path().join("ca.pem"))
            .unwrap();
    let server = HttpServer::new(registry())
        .tls(tls)
        .start("127.0.0.1:0")
        .unwrap();
    let url = format!("https://127.0.0.1:{}/metrics", server.local_addr().port());
    let (rc, body) = curl(
        dir.path(),
        &url,
        &["--cert", "client.pem", "--key", "client.key"],
    );
    assert_eq!(rc, 0, "{body}");
    assert!(body.contains("tls_jobs_total 9\n"), "{body}");
    // No client certificate: the handshake fails, no metrics.
    let (rc, body) = curl(dir.path(), &url, &[]);
    assert_ne!(rc, 0, "{body}");
    assert!(!body.contains("tls_jobs"));
    // A certificate from another CA: refused too.
    let other = TempDir::new("mtls-other");
    make_certificates(other.path());
    std::fs::copy(dir.path().join("ca.pem"), other.path().join("ca.pem")).unwrap();
    let (rc, body) = curl(
        other.path(),
        &url,
        &["--cert", "client.pem", "--key", "client.key"],
    );
    assert_ne!(rc, 0, "{body}");
}

#[test]
fn unusable_files_are_errors_naming_the_file() {
    let dir = TempDir::new("tls-bad");
    make_certificates(dir.path());
    let missing =
        TlsConfig::from_pem_files(dir.path().join("nope.pem"), dir.path().join("server.key"))
            .unwrap_err();
    assert!(missing.to_string().contains("nope.pem"), "{missing}");
    let not_a_cert =
        TlsConfig::from_pem_files(dir.path().join("server.key"), dir.path().join("server.key"))
            .unwrap_err();
    assert!(
        not_a_cert.to_string().contains("no CERTIFICATE"),
        "{not_a_cert}"
    );
    // The client key does not match the server certificate.
    let mismatch =
        TlsConfig::from_pem_files(dir.path().join("server.pem"), dir.path().join("client.key"))
            .unwrap_err();
    assert!(mismatch.path().is_none(), "{mismatch}");
}
