//! The `broker_new` keys that say how a session reaches the broker and what
//! it records: base and login URLs, extra CAs, the proxy, logging.

use super::Keys;
use crate::error::{Error, Result};
use crate::log::Level;
use crate::secret::Secret;
use reqwest::Url;

/// How the session reaches the broker and what it records.
#[derive(Debug, Default)]
pub(crate) struct TransportConfig {
    /// Extra trusted CA certificates, PEM (`ca_file` and `ca_pem`).
    pub extra_ca_pem: Vec<u8>,
    /// An http(s) proxy URL, possibly with credentials (so a secret).
    pub proxy: Option<Secret>,
    /// How much to log; `None` is off.
    pub log_level: Option<Level>,
    /// A file to append log lines to.
    pub log_file: Option<String>,
}

pub(super) fn parse_transport(keys: &mut Keys) -> Result<TransportConfig> {
    let mut extra_ca_pem = Vec::new();
    if let Some(path) = keys.optional_str("ca_file")? {
        extra_ca_pem.extend(read_ca_file(&path)?);
        extra_ca_pem.push(b'\n');
    }
    if let Some(pem) = keys.optional_str("ca_pem")? {
        extra_ca_pem.extend(pem.into_bytes());
    }
    let log_level = match keys.optional_str("log_level")?.as_deref() {
        None => Some(Level::Info),
        Some("off") => None,
        Some(name) => Some(Level::from_name(name).ok_or_else(|| {
            Error::invalid_argument("config key \"log_level\" must be \"off\", \"error\", \"warn\", \"info\" or \"debug\"")
        })?),
    };
    Ok(TransportConfig {
        extra_ca_pem,
        proxy: keys
            .optional_str("proxy")?
            .map(|p| validate_proxy(&p))
            .transpose()?,
        log_level,
        log_file: keys.optional_str("log_file")?,
    })
}

/// Largest `ca_file` read: a bundle of every public CA is about 250 KB.
const MAX_CA_FILE_BYTES: u64 = 4 << 20;

/// Reads `ca_file`: a regular file of at most [`MAX_CA_FILE_BYTES`], so a
/// device (`/dev/zero`), a FIFO or a huge file cannot hang the caller or
/// exhaust its memory.
fn read_ca_file(path: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let cannot = |why: &dyn std::fmt::Display| {
        Error::invalid_argument(format!("config key \"ca_file\" cannot be read: {why}"))
    };
    let metadata = std::fs::metadata(path).map_err(|e| cannot(&e))?;
    if !metadata.is_file() {
        return Err(cannot(&"it is not a regular file"));
    }
    let mut pem = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_CA_FILE_BYTES + 1).read_to_end(&mut pem))
        .map_err(|e| cannot(&e))?;
    if pem.len() as u64 > MAX_CA_FILE_BYTES {
        return Err(cannot(&"it is larger than 4 MiB"));
    }
    Ok(pem)
}

/// An http:// or https:// proxy URL (credentials allowed, never echoed).
fn validate_proxy(text: &str) -> Result<Secret> {
    let url = Url::parse(text)
        .map_err(|_| Error::invalid_argument("config key \"proxy\" is not a valid URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(Error::invalid_argument(
            "config key \"proxy\" must be an http:// or https:// URL, like http://user:password@proxy:3128",
        ));
    }
    Ok(Secret::new(text))
}

/// Checks a base URL: http(s), no query or fragment, and plain http only
/// for loopback hosts. Returns it without a trailing `/`.
pub(crate) fn validate_base_url(text: &str) -> Result<String> {
    Ok(validate_url("base_url", text)?
        .trim_end_matches('/')
        .to_string())
}

/// Checks the URL in config key `key` by the rules of [`validate_base_url`],
/// and returns it unchanged (a login page's trailing `/` matters).
pub(crate) fn validate_url(key: &str, text: &str) -> Result<String> {
    check_url(key, text, false)
}

/// [`validate_url`] for a browser page, whose address may carry a query.
pub(crate) fn validate_page_url(key: &str, text: &str) -> Result<String> {
    check_url(key, text, true)
}

fn check_url(key: &str, text: &str, query_allowed: bool) -> Result<String> {
    let bad = |why: &str| Error::invalid_argument(format!("config key \"{key}\" {why}"));
    let url = Url::parse(text).map_err(|_| bad("is not a valid URL"))?;
    if url.fragment().is_some() || !url.username().is_empty() {
        return Err(bad("must not carry a fragment or credentials"));
    }
    if url.query().is_some() && !query_allowed {
        return Err(bad("must not carry a query, a fragment or credentials"));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_host(&url) => {}
        "http" => {
            return Err(bad(
                "must use https://: plain http:// is allowed only for loopback hosts (127.0.0.1, ::1, localhost)",
            ));
        }
        _ => return Err(bad("must be an https:// URL")),
    }
    Ok(text.to_string())
}

fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}
