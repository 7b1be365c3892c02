//! HTTPS for the embedded server: rustls (ring provider) from PEM files, optionally verifying
//! client certificates (mTLS); and for the Pushgateway client (`https://` gateways).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{self, RootCertStore, ServerConfig};

/// The server side of TLS: a certificate chain and its key, and optionally the certificate
/// authorities whose client certificates are accepted (then a client without one is refused
/// during the handshake). Checked when built, so a bad file fails before the server starts.
///
/// # Examples
///
/// ```no_run
/// use coremeter_exporter::{HttpServer, TlsConfig};
/// # let registry = std::sync::Arc::new(coremeter::Registry::new());
///
/// let tls = TlsConfig::from_pem_files("server.crt", "server.key")?
///     .client_ca_file("clients-ca.crt")?;
/// let server = HttpServer::new(&registry).tls(tls).start("127.0.0.1:9443")?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct TlsConfig {
    chain: Vec<CertificateDer<'static>>,
    key: Arc<PrivateKeyDer<'static>>,
    config: Arc<ServerConfig>,
}

impl TlsConfig {
    /// The certificate chain (PEM, leaf first) and private key (PEM: PKCS#8, PKCS#1 or SEC1).
    ///
    /// # Errors
    ///
    /// [`TlsError`] when a file cannot be read or parsed, holds no certificate, or the key does
    /// not suit the certificate.
    ///
    /// # Examples
    ///
    /// ```
    /// let missing = coremeter_exporter::TlsConfig::from_pem_files("/nonexistent/a.pem", "/nonexistent/a.key");
    /// assert!(missing.is_err());
    /// ```
    pub fn from_pem_files(
        certificate_chain: impl AsRef<Path>,
        private_key: impl AsRef<Path>,
    ) -> Result<TlsConfig, TlsError> {
        let chain = certificates(certificate_chain.as_ref())?;
        let path = private_key.as_ref();
        let key = PrivateKeyDer::from_pem_file(path).map_err(|e| TlsError::file(path, e))?;
        let config = build(&chain, &key, None)?;
        Ok(TlsConfig {
            chain,
            key: Arc::new(key),
            config,
        })
    }

    /// Requires a client certificate signed by one of the authorities in this PEM file.
    ///
    /// # Errors
    ///
    /// [`TlsError`] when the file cannot be read or holds no usable certificate.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn make() -> Result<(), coremeter_exporter::TlsError> {
    /// let tls = coremeter_exporter::TlsConfig::from_pem_files("server.pem", "server.key")?
    ///     .client_ca_file("clients-ca.pem")?; // clients must present a certificate it signed
    /// # let _ = tls;
    /// # Ok(())
    /// # }
    /// ```
    pub fn client_ca_file(self, authorities: impl AsRef<Path>) -> Result<TlsConfig, TlsError> {
        let path = authorities.as_ref();
        let mut roots = RootCertStore::empty();
        for certificate in certificates(path)? {
            roots
                .add(certificate)
                .map_err(|e| TlsError::file(path, e))?;
        }
        let config = build(&self.chain, &self.key, Some(roots))?;
        Ok(TlsConfig { config, ..self })
    }

    pub(crate) fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(Arc::clone(&self.config))
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let chain = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| TlsError::file(path, e))?;
    if chain.is_empty() {
        return Err(TlsError::file(path, "no CERTIFICATE block in the file"));
    }
    Ok(chain)
}

fn build(
    chain: &[CertificateDer<'static>],
    key: &PrivateKeyDer<'static>,
    client_roots: Option<RootCertStore>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::config)?;
    let builder = match client_roots {
        None => builder.with_no_client_auth(),
        Some(roots) => {
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                .build()
                .map_err(TlsError::config)?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(chain.to_vec(), key.clone_key())
        .map_err(TlsError::config)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The client side of TLS, for an `https://` Pushgateway: the authorities trusted, and a client
/// certificate if one was given.
#[cfg(feature = "push")]
#[derive(Clone, Default)]
pub(crate) struct ClientTls {
    authorities: Vec<CertificateDer<'static>>,
    client: Option<(Vec<CertificateDer<'static>>, Arc<PrivateKeyDer<'static>>)>,
    /// Built from the above once there is an authority.
    config: Option<Arc<rustls::ClientConfig>>,
}

#[cfg(feature = "push")]
impl ClientTls {
    /// Adds the authorities of a PEM file.
    pub(crate) fn add_authorities(mut self, path: &Path) -> Result<ClientTls, TlsError> {
        self.authorities.extend(certificates(path)?);
        self.build()
    }

    /// Sets the client certificate chain and key (PEM files).
    pub(crate) fn client_certificate(
        mut self,
        chain: &Path,
        key: &Path,
    ) -> Result<ClientTls, TlsError> {
        let certificates = certificates(chain)?;
        let key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::file(key, e))?;
        self.client = Some((certificates, Arc::new(key)));
        self.build()
    }

    /// Checks what was given by building the configuration (always, so that a key that does not
    /// suit its certificate fails here, not at the first push).
    fn build(mut self) -> Result<ClientTls, TlsError> {
        let mut roots = RootCertStore::empty();
        for authority in &self.authorities {
            roots.add(authority.clone()).map_err(TlsError::config)?;
        }
        let builder = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(TlsError::config)?
            .with_root_certificates(roots);
        let mut config = match &self.client {
            None => builder.with_no_client_auth(),
            Some((chain, key)) => builder
                .with_client_auth_cert(chain.clone(), key.clone_key())
                .map_err(TlsError::config)?,
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        self.config = Some(Arc::new(config)).filter(|_| !self.authorities.is_empty());
        Ok(self)
    }

    /// The TLS handshake with the server `name` over `stream`.
    pub(crate) async fn connect(
        &self,
        name: rustls_pki_types::ServerName<'static>,
        stream: tokio::net::TcpStream,
    ) -> std::io::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
        let config = self.config.as_ref().ok_or_else(|| {
            std::io::Error::other(
                "no certificate authority given for an https gateway (Pushgateway::tls_ca_file)",
            )
        })?;
        tokio_rustls::TlsConnector::from(Arc::clone(config))
            .connect(name, stream)
            .await
    }
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("certificates", &self.chain.len())
            .field("key", &"<redacted>")
            .finish()
    }
}

/// A certificate, key or authority file that cannot be used.
///
/// # Examples
///
/// ```
/// use coremeter_exporter::TlsConfig;
///
/// let err = TlsConfig::from_pem_files("/nonexistent/server.pem", "/nonexistent/server.key").unwrap_err();
/// assert_eq!(err.path(), Some(std::path::Path::new("/nonexistent/server.pem")));
/// assert!(err.to_string().starts_with("TLS: /nonexistent/server.pem: "));
/// ```
#[derive(Debug)]
pub struct TlsError {
    path: Option<PathBuf>,
    message: String,
}

impl TlsError {
    fn file(path: &Path, error: impl fmt::Display) -> TlsError {
        TlsError {
            path: Some(path.to_owned()),
            message: error.to_string(),
        }
    }

    fn config(error: impl fmt::Display) -> TlsError {
        TlsError {
            path: None,
            message: error.to_string(),
        }
    }

    /// The file at fault, if one is.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = coremeter_exporter::TlsConfig::from_pem_files("/nonexistent/a.pem", "k").unwrap_err();
    /// assert_eq!(err.path(), Some(std::path::Path::new("/nonexistent/a.pem")));
    /// ```
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(path) => write!(f, "TLS: {}: {}", path.display(), self.message),
            None => write!(f, "TLS: {}", self.message),
        }
    }
}

impl std::error::Error for TlsError {}
