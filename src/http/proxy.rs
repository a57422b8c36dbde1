//! Which proxy a session's client uses: the config's, or the environment's.

use crate::config::TransportConfig;
use crate::error::{Error, Result};

/// Routes the client through the config's `proxy`, or else the environment's.
///
/// A config `proxy` carries every request: the environment (`HTTPS_PROXY`,
/// `NO_PROXY`, ...) is not consulted, so what the config says is what
/// happens whatever the host process inherited. Without one, reqwest reads
/// `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` (and their lower
/// case forms) like curl: for every host, loopback included, unless
/// `NO_PROXY` lists it. One fix on top: a `NO_PROXY` entry `*` means every
/// host, IP addresses included (hyper-util matches `*` against names only).
pub(super) fn with_proxy(
    builder: reqwest::ClientBuilder,
    config: &TransportConfig,
) -> Result<reqwest::ClientBuilder> {
    if let Some(proxy) = &config.proxy {
        let proxy = reqwest::Proxy::all(proxy.expose()).map_err(|_| {
            Error::invalid_argument("config key \"proxy\" is not a usable proxy URL")
        })?;
        // `proxy` also turns off the environment's proxies.
        return Ok(builder.proxy(proxy));
    }
    let no_proxy = std::env::var("NO_PROXY")
        .or_else(|_| std::env::var("no_proxy"))
        .unwrap_or_default();
    if no_proxy.split(',').any(|entry| entry.trim() == "*") {
        return Ok(builder.no_proxy());
    }
    Ok(builder)
}
