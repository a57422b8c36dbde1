//! The TLS client configuration: rustls with ring, TLS 1.2 and 1.3, the
//! platform's trust store plus the config's extra CAs.
//!
//! Loading the trust store is most of what a new session costs (reading
//! and parsing a few hundred certificates), so a configuration is built once
//! per process for each distinct CA set and shared, through cheap clones,
//! by every session that uses it. The set is the extra CAs' PEM together
//! with `SSL_CERT_FILE` and `SSL_CERT_DIR`, which say where the trust store
//! is read from: a session that asks for other CAs gets its own.

use crate::error::{Error, Result, Status};
use rustls::ClientConfig;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

/// What makes two TLS configurations differ.
#[derive(Clone, PartialEq, Eq, Hash)]
struct CaSet {
    extra_ca_pem: Vec<u8>,
    ssl_cert_file: Option<std::ffi::OsString>,
    ssl_cert_dir: Option<std::ffi::OsString>,
}

/// The configurations built so far, one per CA set. A process uses a handful
/// of CA sets at most, so they are kept for its lifetime.
static BUILT: LazyLock<Mutex<HashMap<CaSet, Arc<ClientConfig>>>> = LazyLock::new(Mutex::default);

/// The TLS configuration for sessions trusting the platform's store plus
/// `extra_ca_pem` (empty: none), built on first use for that set. A clone
/// shares the trust store and everything else but the session's own state.
pub(super) fn client_config(extra_ca_pem: &[u8]) -> Result<ClientConfig> {
    Ok(ClientConfig::clone(&*shared(extra_ca_pem)?))
}

/// The shared configuration for a CA set.
fn shared(extra_ca_pem: &[u8]) -> Result<Arc<ClientConfig>> {
    let set = CaSet {
        extra_ca_pem: extra_ca_pem.to_vec(),
        ssl_cert_file: std::env::var_os("SSL_CERT_FILE"),
        ssl_cert_dir: std::env::var_os("SSL_CERT_DIR"),
    };
    if let Some(config) = built().get(&set) {
        return Ok(config.clone());
    }
    // Built outside the lock: two first sessions may both build it, which
    // is cheaper than making every other CA set wait.
    let config = Arc::new(build(extra_ca_pem)?);
    Ok(built().entry(set).or_insert(config).clone())
}

fn built() -> std::sync::MutexGuard<'static, HashMap<CaSet, Arc<ClientConfig>>> {
    BUILT.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Builds a configuration: loads the trust store and adds the extra CAs.
fn build(extra_ca_pem: &[u8]) -> Result<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let extra = extra_roots(extra_ca_pem)?;
    let verifier = if extra.is_empty() {
        rustls_platform_verifier::Verifier::new(provider.clone())
    } else {
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider.clone())
    }
    .map_err(|e| Error::new(Status::Tls, format!("could not set up HTTPS: {e}")))?;
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::new(Status::Tls, format!("could not set up HTTPS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    // The brokers are spoken to in HTTP/1.1 only.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The certificates in the config's `ca_file`/`ca_pem` text.
fn extra_roots(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>> {
    if pem.is_empty() {
        return Ok(Vec::new());
    }
    CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .ok()
        .filter(|certs| !certs.is_empty())
        .ok_or_else(|| {
            Error::invalid_argument(
                "config keys \"ca_file\"/\"ca_pem\" hold no valid PEM certificate",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use brokersim::{Sim, SimOptions, SimTls};

    fn simulator_ca() -> Vec<u8> {
        let sim = Sim::start_with(SimOptions {
            tls: Some(SimTls::Valid),
            ..SimOptions::default()
        })
        .unwrap();
        sim.ca_pem().unwrap().into_bytes()
    }

    // Wine's crypt32 refuses the chain engine rustls-platform-verifier makes
    // for extra roots ("Invalid parameter", the KNOWN (Wine) line of
    // tests/windows/wintest.c), so the tests with extra CAs run on Linux;
    // the sharing is the same code on every platform.

    #[test]
    fn sessions_with_the_platform_store_alone_share_one_configuration() {
        assert!(Arc::ptr_eq(&shared(b"").unwrap(), &shared(b"").unwrap()));
    }

    #[test]
    #[cfg_attr(windows, ignore = "Wine refuses extra roots")]
    fn sessions_with_the_same_extra_cas_share_one_configuration() {
        let ca = simulator_ca();
        assert!(Arc::ptr_eq(&shared(&ca).unwrap(), &shared(&ca).unwrap()));
    }

    #[test]
    #[cfg_attr(windows, ignore = "Wine refuses extra roots")]
    fn another_ca_set_gets_its_own_configuration() {
        let (one, other) = (simulator_ca(), simulator_ca());
        assert!(!Arc::ptr_eq(&shared(b"").unwrap(), &shared(&one).unwrap()));
        assert!(!Arc::ptr_eq(
            &shared(&one).unwrap(),
            &shared(&other).unwrap()
        ));
    }

    #[test]
    fn text_without_a_certificate_is_refused() {
        let error = client_config(b"not a certificate").unwrap_err();
        assert_eq!(error.status, Status::InvalidArgument);
        assert!(error.message.contains("ca_file"), "{}", error.message);
    }

    #[test]
    fn the_configuration_speaks_http_1_1_only() {
        assert_eq!(
            client_config(b"").unwrap().alpn_protocols,
            [b"http/1.1".to_vec()]
        );
    }
}
