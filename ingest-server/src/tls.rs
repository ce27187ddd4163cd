//! TLS for every outbound connection — ClickHouse, channels, health probes,
//! SMTP — from one rustls configuration: Mozilla's roots (the `webpki-roots`
//! bundle, so a bare container verifies public services) plus the
//! certificates of `tls.ca_file` for private CAs.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {problem}")]
    Certificates { path: PathBuf, problem: String },
    #[error("{0}")]
    Rustls(#[from] rustls::Error),
    #[error("cannot build an HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// The roots every outbound connection trusts.
#[derive(Clone)]
pub struct Tls {
    config: Arc<ClientConfig>,
    /// `tls.ca_file`'s certificates, PEM, for lettre (which builds its own config).
    extra_pem: Option<Arc<[u8]>>,
}

impl Tls {
    /// Mozilla's roots plus every certificate in `ca_file`, if given.
    pub fn load(ca_file: Option<&Path>) -> Result<Self, TlsError> {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let extra_pem = match ca_file {
            Some(path) => {
                let pem = std::fs::read(path).map_err(|source| TlsError::Read {
                    path: path.into(),
                    source,
                })?;
                let problem = |problem: String| TlsError::Certificates {
                    path: path.into(),
                    problem,
                };
                let certificates = CertificateDer::pem_slice_iter(&pem)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| problem(format!("not PEM certificates: {e}")))?;
                if certificates.is_empty() {
                    return Err(problem("holds no PEM certificate".into()));
                }
                for certificate in certificates {
                    roots
                        .add(certificate)
                        .map_err(|e| problem(format!("a certificate is unusable: {e}")))?;
                }
                Some(Arc::from(pem))
            }
            None => None,
        };
        // ring, as lettre's rustls feature uses: one crypto library in the
        // build. (rustls now nudges towards aws-lc-rs for post-quantum key
        // exchange; moving every client over is one change here and in Cargo.toml.)
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self {
            config: Arc::new(config),
            extra_pem,
        })
    }

    /// A reqwest client builder that verifies servers against these roots.
    pub fn http(&self) -> reqwest::ClientBuilder {
        reqwest::Client::builder().use_preconfigured_tls((*self.config).clone())
    }

    /// A ClickHouse client (URL not yet set) that speaks http:// and https://.
    /// The crate's own rustls feature takes no extra roots, so the connector
    /// is built here from the same configuration.
    pub fn clickhouse(&self) -> clickhouse::Client {
        // As the crate's default client: keepalive, and idle connections
        // dropped before ClickHouse's 3 s keep-alive timeout closes them.
        let mut tcp = HttpConnector::new();
        tcp.set_keepalive(Some(Duration::from_secs(60)));
        tcp.enforce_http(false);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config((*self.config).clone())
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(2))
            .build(https);
        clickhouse::Client::with_http_client(http)
    }

    /// TLS parameters for an SMTP connection to `host`.
    pub fn smtp(
        &self,
        host: &str,
    ) -> Result<lettre::transport::smtp::client::TlsParameters, lettre::transport::smtp::Error>
    {
        use lettre::transport::smtp::client::{Certificate, CertificateStore, TlsParameters};
        let mut builder = TlsParameters::builder(host.to_owned())
            .certificate_store(CertificateStore::WebpkiRoots);
        if let Some(pem) = &self.extra_pem {
            builder = builder.add_root_certificate(Certificate::from_pem(pem)?);
        }
        builder.build_rustls()
    }
}

/// An error and its causes on one line ("error sending request: client error
/// (Connect): invalid peer certificate: UnknownIssuer"): the top-level text
/// of HTTP and TLS errors alone hides what went wrong.
pub fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(error) = next {
        let text = error.to_string();
        // Wrappers often repeat their cause's text.
        if !parts.last().is_some_and(|last| last.contains(&text)) {
            parts.push(text);
        }
        next = error.source();
    }
    parts.join(": ")
}

/// A reqwest error described without its URL, which may carry a token.
pub fn describe_request_error(error: reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out".to_owned();
    }
    describe(&error.without_url())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_ca_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let error = Tls::load(Some(&missing)).err().unwrap().to_string();
        assert!(error.contains("missing.pem"), "{error}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate").unwrap();
        let error = Tls::load(Some(&empty)).err().unwrap().to_string();
        assert!(error.contains("holds no PEM certificate"), "{error}");
        assert!(Tls::load(None).is_ok());
    }
}
