//! DhanHQ API v2 (PROTOCOLS.md §7) under paths starting with [`PATH_PREFIX`]: the REST API at
//! `/dhan/v2/…` (Dhan's `https://api.dhan.co/v2`) and the auth host at `/dhan/auth/…`
//! (`https://auth.dhan.co`), plus `/dhan/callback`, where the demo account's consent login
//! lands.
//!
//! | path | method | what |
//! |---|---|---|
//! | `/dhan/auth/app/generate-consent` | POST | a consent id (`app_id`, `app_secret`; 25 a day) |
//! | `/dhan/auth/login/consentApp-login` | GET | the consent page: redirects with a `tokenId` |
//! | `/dhan/auth/app/consumeApp-consent` | GET (or POST) | the tokenId for a token |
//! | `/dhan/auth/app/generateAccessToken` | POST | PIN + TOTP for a token |
//! | `/dhan/v2/profile` | GET | the profile |
//! | `/dhan/v2/fundlimit` | GET | the fund limit |
//! | `/dhan/v2/RenewToken` | GET | a new token; the old one dies (POST: 400 DH-905) |

mod account;
mod api;
mod auth;
mod state;
mod wire;

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

pub use account::DhanAccount;
pub(crate) use state::DhanState;

use crate::http::{Request, Response};
use crate::locked::lock;
use crate::options::SimOptions;
use crate::rate_limit::Limit;
use wire::{Consumer, auth_error, input_exception};

/// Every Dhan path starts with this.
pub(crate) const PATH_PREFIX: &str = "/dhan/";
/// The REST API's base path (Dhan's `https://api.dhan.co/v2`).
pub(crate) const API_BASE_PATH: &str = "/dhan/v2";
/// The auth host's base path (Dhan's `https://auth.dhan.co`).
pub(crate) const AUTH_BASE_PATH: &str = "/dhan/auth";

/// "Non Trading APIs": 20 requests a second per user (PROTOCOLS.md §7.6).
const NON_TRADING: Limit = Limit {
    per_second: Some(20),
    per_hour: None,
};

/// Answers one Dhan request.
pub(crate) fn handle(dhan: &Mutex<DhanState>, options: &SimOptions, request: &Request) -> Response {
    let now = SystemTime::now();
    let path = request.path.as_str();
    if path == "/dhan/callback" {
        return auth::callback(request);
    }
    if let Some(endpoint) = path.strip_prefix(AUTH_BASE_PATH) {
        return handle_auth(dhan, endpoint, request, now);
    }
    let Some(endpoint) = path.strip_prefix(API_BASE_PATH) else {
        return Response::html_error(404);
    };
    let endpoint: &'static str = match endpoint {
        "/profile" => "/profile",
        "/fundlimit" => "/fundlimit",
        "/RenewToken" => "/RenewToken",
        _ => return Response::html_error(404),
    };
    if request.method != "GET" {
        return input_exception(&format!(
            "Request method '{}' is not supported",
            request.method
        ));
    }
    let mut dhan = lock(dhan);
    let client_header = (endpoint == "/RenewToken").then_some("dhanclientid");
    let (text, token) = match api::authenticate(&dhan, request, client_header, now) {
        Ok(found) => found,
        Err(refusal) => return refusal,
    };
    if options.rate_limits
        && !dhan
            .limiter
            .try_acquire(&token.client_id, endpoint, NON_TRADING, Instant::now())
    {
        return api::rate_limited();
    }
    match endpoint {
        "/profile" => api::profile(&dhan, &token),
        "/fundlimit" => api::fund_limit(&dhan, &token),
        _ => api::renew(&mut dhan, &text, &token, now),
    }
}

/// The auth host's endpoints and the consent page.
fn handle_auth(
    dhan: &Mutex<DhanState>,
    endpoint: &str,
    request: &Request,
    now: SystemTime,
) -> Response {
    let method = request.method.as_str();
    let mut dhan = lock(dhan);
    match (endpoint, method) {
        ("/app/generate-consent", "POST") => auth::generate_consent(&mut dhan, request, now),
        ("/login/consentApp-login", "GET") => auth::consent_page(&mut dhan, request, now),
        ("/app/consumeApp-consent", "GET" | "POST") => {
            auth::consume_consent(&mut dhan, request, now)
        }
        ("/app/generateAccessToken", "POST") => {
            auth::generate_access_token(&mut dhan, request, now)
        }
        (
            "/app/generate-consent"
            | "/login/consentApp-login"
            | "/app/consumeApp-consent"
            | "/app/generateAccessToken",
            _,
        ) => auth_error(405, &format!("Request method '{method}' is not supported")),
        _ => Response::html_error(404),
    }
}

/// Registers an account (replacing one with the same client id); a redirect URL starting with
/// `/` is made absolute with `base_url`.
pub(crate) fn add_account(dhan: &Mutex<DhanState>, mut account: DhanAccount, base_url: &str) {
    if account.redirect_url.starts_with('/') {
        account.redirect_url = format!("{base_url}{}", account.redirect_url);
    }
    lock(dhan).add_account(account);
}

/// Replaces the fund limit of `client_id` (unknown clients are ignored).
pub(crate) fn set_funds(dhan: &Mutex<DhanState>, client_id: &str, fund_limit: serde_json::Value) {
    if let Some(account) = lock(dhan).account_mut(client_id) {
        account.fund_limit = fund_limit;
    }
}

/// Makes every token of `client_id` expire now.
pub(crate) fn expire_sessions(dhan: &Mutex<DhanState>, client_id: &str) {
    lock(dhan).expire_tokens(client_id, SystemTime::now());
}

/// Makes every unused tokenId expire now.
pub(crate) fn expire_token_ids(dhan: &Mutex<DhanState>) {
    lock(dhan).expire_token_ids(SystemTime::now());
}

/// Sets how long tokens issued from now on live.
pub(crate) fn set_token_ttl(dhan: &Mutex<DhanState>, ttl: Duration) {
    lock(dhan).token_ttl = ttl;
}

/// A token as web.dhan.co generates it for `client_id` (`None` for an unknown client).
pub(crate) fn web_token(dhan: &Mutex<DhanState>, client_id: &str) -> Option<String> {
    let mut dhan = lock(dhan);
    dhan.account(client_id)?;
    Some(
        dhan.issue(client_id, Consumer::User, None, SystemTime::now())
            .0,
    )
}

/// The registered accounts, ordered by client id.
pub(crate) fn accounts(dhan: &Mutex<DhanState>) -> Vec<DhanAccount> {
    lock(dhan).accounts().cloned().collect()
}
