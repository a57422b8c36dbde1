//! HTTPS for the simulator: a throwaway CA and a server certificate it signs, both made with
//! rcgen when the simulator starts, and the rustls settings that serve them.
//!
//! The CA's certificate is handed out as PEM ([`Sim::ca_pem`](crate::Sim::ca_pem)) and as a
//! temporary file ([`Sim::ca_file`](crate::Sim::ca_file)) that is removed when the simulator is
//! dropped. The CA's private key never leaves memory and is forgotten once the server certificate
//! is signed, so trusting the CA trusts nothing but this one simulator run.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// Which server certificate an HTTPS simulator presents ([`SimOptions::tls`]).
///
/// [`SimOptions::tls`]: crate::SimOptions::tls
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimTls {
    /// Valid now, for `localhost`, `127.0.0.1` and `::1`: a client that trusts the simulator's
    /// CA accepts it.
    Valid,
    /// Valid now, but only for `wrong.example`: a verifying client refuses it for `127.0.0.1`.
    WrongHost,
    /// For the right names, but its validity ended yesterday: a verifying client refuses it.
    Expired,
    /// Valid now for exactly these names (DNS names or IP addresses), e.g. a made-up host that a
    /// test reaches through a proxy.
    Names(Vec<String>),
}

/// Which TLS versions an HTTPS simulator accepts ([`SimOptions::tls_versions`]).
///
/// [`SimOptions::tls_versions`]: crate::SimOptions::tls_versions
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TlsVersions {
    /// TLS 1.2 and 1.3, the server preferring 1.3.
    #[default]
    Tls12And13,
    /// TLS 1.2 only, like an older broker gateway.
    Tls12Only,
    /// TLS 1.3 only.
    Tls13Only,
}

/// One day, the margin around "now" in the certificates' validity.
const DAY: Duration = Duration::from_secs(24 * 3600);

/// A simulator's TLS material: the server settings and the CA certificate clients must trust.
pub(crate) struct TlsSetup {
    /// What each HTTPS connection is served with.
    pub(crate) config: Arc<ServerConfig>,
    /// The CA's certificate, PEM.
    pub(crate) ca_pem: String,
    /// The CA's certificate as a file, removed on drop.
    ca_file: TempFile,
}

impl TlsSetup {
    /// Makes a fresh CA and a server certificate of the given kind, writes the CA's certificate
    /// to a new temporary file and sets up rustls (ring) for `versions`.
    pub(crate) fn generate(kind: &SimTls, versions: TlsVersions) -> io::Result<TlsSetup> {
        let (ca_pem, issuer) = new_ca().map_err(io::Error::other)?;
        let (leaf_der, key) = new_server_cert(kind, &issuer).map_err(io::Error::other)?;
        let config = server_config(leaf_der, key, versions)?;
        let ca_file = TempFile::create(&ca_pem)?;
        Ok(TlsSetup {
            config,
            ca_pem,
            ca_file,
        })
    }

    /// The path of the CA's certificate file.
    pub(crate) fn ca_file(&self) -> &Path {
        &self.ca_file.0
    }
}

/// Sets `params`' validity: from a day ago for `lifetime`, or, when `expired`, from 30 days ago
/// until yesterday.
fn set_validity(params: &mut CertificateParams, lifetime: Duration, expired: bool) {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let now = rcgen::date_time_ymd(1970, 1, 1) + since_epoch;
    if expired {
        params.not_before = now - 30 * DAY;
        params.not_after = now - DAY;
    } else {
        params.not_before = now - DAY;
        params.not_after = now + lifetime;
    }
}

/// A self-signed CA: its certificate as PEM, and what signs with it.
fn new_ca() -> Result<(String, Issuer<'static, KeyPair>), rcgen::Error> {
    let mut params = CertificateParams::new(Vec::new())?;
    // A name of its own: a client that trusts an earlier run's CA then reports an unknown
    // issuer, not a bad signature from a same-named CA.
    let name = format!("brokersim throwaway CA {:016x}", crate::random::next_u64());
    params.distinguished_name.push(DnType::CommonName, name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "brokersim");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    set_validity(&mut params, 2 * 365 * DAY, false);
    let key = KeyPair::generate()?;
    let pem = params.self_signed(&key)?.pem();
    Ok((pem, Issuer::new(params, key)))
}

/// A server certificate of `kind` signed by `issuer`: its DER and its private key.
fn new_server_cert(
    kind: &SimTls,
    issuer: &Issuer<'static, KeyPair>,
) -> Result<(rustls::pki_types::CertificateDer<'static>, KeyPair), rcgen::Error> {
    let valid_names = || vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    let names = match kind {
        SimTls::Valid | SimTls::Expired => valid_names(),
        SimTls::WrongHost => vec!["wrong.example".into()],
        SimTls::Names(names) => names.clone(),
    };
    let mut params = CertificateParams::new(names)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "brokersim");
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    set_validity(&mut params, 365 * DAY, *kind == SimTls::Expired);
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, issuer)?;
    Ok((cert.der().clone(), key))
}

/// rustls server settings with the ring provider, `versions`, no client certificates, ALPN
/// `http/1.1`, presenting `leaf` (the CA itself is not sent: clients must already trust it).
fn server_config(
    leaf: rustls::pki_types::CertificateDer<'static>,
    key: KeyPair,
    versions: TlsVersions,
) -> io::Result<Arc<ServerConfig>> {
    let versions: &[&rustls::SupportedProtocolVersion] = match versions {
        TlsVersions::Tls12And13 => &[&rustls::version::TLS13, &rustls::version::TLS12],
        TlsVersions::Tls12Only => &[&rustls::version::TLS12],
        TlsVersions::Tls13Only => &[&rustls::version::TLS13],
    };
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(vec![leaf], key)
        .map_err(io::Error::other)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A file in the temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    /// Creates a new file named `brokersim-ca-<pid>-<random>.pem` holding `contents`.
    fn create(contents: &str) -> io::Result<TempFile> {
        let name = format!(
            "brokersim-ca-{}-{:016x}.pem",
            std::process::id(),
            crate::random::next_u64()
        );
        let path = std::env::temp_dir().join(name);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        // From here on, dropping the guard (on a write error) removes the file.
        let guard = TempFile(path);
        file.write_all(contents.as_bytes())?;
        file.sync_all()?;
        Ok(guard)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}
