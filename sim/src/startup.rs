//! The JSON line the CLI prints at start, so that a script or a demo can find the simulator's
//! URLs and the accounts to log in with.

use serde::Serialize;

use crate::angel::AngelAccount;

/// The CLI's startup line (field order is the output order).
#[derive(Serialize)]
struct StartupLine<'a> {
    brokersim: &'static str,
    base_url: &'a str,
    angelone: AngelStartup<'a>,
}

/// The Angel One part of the startup line.
#[derive(Serialize)]
struct AngelStartup<'a> {
    base_url: &'a str,
    accounts: Vec<AngelCredentials<'a>>,
}

/// What a client needs to log in to one Angel One account.
#[derive(Serialize)]
struct AngelCredentials<'a> {
    api_key: &'a str,
    client_code: &'a str,
    pin: &'a str,
    totp_secret: &'a str,
}

/// The startup line: the simulator's version, base URL and, per broker family, its base URL and
/// accounts. Broker families are keys (`"angelone"`), so more can be added.
pub(crate) fn startup_line(
    base_url: &str,
    angel_base_url: &str,
    angel_accounts: &[AngelAccount],
) -> String {
    let line = StartupLine {
        brokersim: env!("CARGO_PKG_VERSION"),
        base_url,
        angelone: AngelStartup {
            base_url: angel_base_url,
            accounts: angel_accounts
                .iter()
                .map(|a| AngelCredentials {
                    api_key: &a.api_key,
                    client_code: &a.client_code,
                    pin: &a.pin,
                    totp_secret: &a.totp_secret,
                })
                .collect(),
        },
    };
    // Serializing structs of strings cannot fail.
    serde_json::to_string(&line).unwrap_or_default()
}
