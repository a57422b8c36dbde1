//! Fyers API v3 (PROTOCOLS.md §6): the browser login (`generate-authcode`), the token exchange
//! (`validate-authcode`, with `appIdHash`), the legacy refresh, profile, funds and logout, under
//! [`BASE_PATH`] (the real base is `https://api-t1.fyers.in/api/v3`).
//!
//! Every call goes through the broker's checks: the path and method, the request's own checks
//! (grant type, code, hash; or the `app_id:token` Authorization), then the per-user limits
//! ([`limits`]: 10/s, 200/min, 1,00,000/day, a day's block after repeated per-minute breaches).

mod account;
mod endpoints;
mod limits;
mod page;
mod state;

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

pub use account::FyersAccount;
pub use limits::FyersLimits;
pub(crate) use state::FyersState;

use crate::http::{Request, Response};
use crate::locked::lock;
use crate::options::SimOptions;
use endpoints::Call;

/// Every Fyers path starts with this.
pub(crate) const PATH_PREFIX: &str = "/fyers/";
/// The REST base, the simulator's `https://api-t1.fyers.in/api/v3`.
pub(crate) const BASE_PATH: &str = "/fyers/api/v3";
/// The page the demo account's login redirects to.
pub(crate) const CALLBACK_PATH: &str = "/fyers/callback";

/// What a request needs besides the state.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Context {
    /// The time of the request.
    pub(crate) now: SystemTime,
    /// [`SimOptions::token_ttl`]: access tokens expire at the next 06:00 IST or after this.
    pub(crate) token_ttl: Duration,
    /// [`SimOptions::rate_limits`].
    pub(crate) rate_limits: bool,
    /// [`SimOptions::revoke_on_refresh`].
    pub(crate) revoke_on_refresh: bool,
}

/// The endpoints, by path under [`BASE_PATH`], with their methods.
const ROUTES: [(&str, &str); 6] = [
    ("/generate-authcode", "GET"),
    ("/validate-authcode", "POST"),
    ("/validate-refresh-token", "POST"),
    ("/profile", "GET"),
    ("/funds", "GET"),
    ("/logout", "POST"),
];

/// Answers one Fyers request: 404 for an unknown path, 405 for a wrong method.
pub(crate) fn handle(
    fyers: &Mutex<FyersState>,
    options: &SimOptions,
    request: &Request,
) -> Response {
    if request.path == CALLBACK_PATH {
        return if request.method == "GET" {
            page::callback(request)
        } else {
            Response::html_error(405).with_header("Allow", "GET")
        };
    }
    let Some((endpoint, method)) = request
        .path
        .strip_prefix(BASE_PATH)
        .and_then(|rest| ROUTES.iter().find(|(path, _)| *path == rest))
    else {
        return Response::html_error(404);
    };
    if request.method != *method {
        return Response::html_error(405).with_header("Allow", method);
    }
    let context = Context {
        now: SystemTime::now(),
        token_ttl: options.token_ttl,
        rate_limits: options.rate_limits,
        revoke_on_refresh: options.revoke_on_refresh,
    };
    let mut fyers = lock(fyers);
    let fyers = &mut *fyers;
    match *endpoint {
        "/generate-authcode" => page::generate_authcode(fyers, request, context.now),
        "/validate-authcode" => endpoints::validate_authcode(fyers, request, &context),
        "/validate-refresh-token" => endpoints::validate_refresh_token(fyers, request, &context),
        "/profile" => endpoints::serve(fyers, Call::Profile, request, &context),
        "/funds" => endpoints::serve(fyers, Call::Funds, request, &context),
        _ => endpoints::serve(fyers, Call::Logout, request, &context),
    }
}

/// Registers `account` (replacing the one with the same app id), resolving a redirect URI that
/// starts with `/` against `base_url`.
pub(crate) fn add_account(fyers: &Mutex<FyersState>, mut account: FyersAccount, base_url: &str) {
    if account.redirect_uri.starts_with('/') {
        account.redirect_uri = format!("{base_url}{}", account.redirect_uri);
    }
    lock(fyers).add_account(account);
}

/// Replaces the `fund_limit` rows of `fy_id` (unknown users are ignored).
pub(crate) fn set_funds(fyers: &Mutex<FyersState>, fy_id: &str, fund_limit: serde_json::Value) {
    if let Some(account) = lock(fyers).account_of_user_mut(fy_id) {
        account.fund_limit = fund_limit;
    }
}

/// Replaces the limits in force.
pub(crate) fn set_limits(fyers: &Mutex<FyersState>, limits: FyersLimits) {
    lock(fyers).limits = limits;
}

/// Mints a code as the login page does for the app `app_id`; `None` for an unknown app.
pub(crate) fn authorize(fyers: &Mutex<FyersState>, app_id: &str) -> Option<String> {
    let mut fyers = lock(fyers);
    fyers.account(app_id)?;
    Some(fyers.mint_code(app_id, SystemTime::now()))
}

/// Expires every access token of `fy_id` now.
pub(crate) fn expire_sessions(fyers: &Mutex<FyersState>, fy_id: &str) {
    lock(fyers).expire_sessions(fy_id, SystemTime::now());
}

/// Expires every unused code now.
pub(crate) fn expire_codes(fyers: &Mutex<FyersState>) {
    lock(fyers).expire_codes(SystemTime::now());
}

/// The registered accounts, by app id.
pub(crate) fn accounts(fyers: &Mutex<FyersState>) -> Vec<FyersAccount> {
    lock(fyers).accounts().cloned().collect()
}
