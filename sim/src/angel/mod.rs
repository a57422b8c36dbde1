//! Angel One SmartAPI (PROTOCOLS.md §1): login by MPIN + TOTP, generateTokens, getProfile,
//! getRMS and logout, under paths starting with [`PATH_PREFIX`].
//!
//! Every request goes through the broker's checks in order: the endpoint and method, the headers
//! ([`checks`]), the per-client rate limits, the gateway's token check
//! ([`gateway`]) and finally the operation itself ([`endpoints`]).

mod account;
mod checks;
mod endpoints;
mod envelope;
mod gateway;
mod sessions;

use std::time::{Instant, SystemTime};

pub use account::AngelAccount;
pub(crate) use sessions::AngelState;

use crate::http::{Request, Response};
use crate::locked::lock;
use crate::options::SimOptions;
use crate::rate_limit::Limit;
use endpoints::CallContext;
use sessions::Lifetimes;
use std::sync::Mutex;

/// Every Angel One path starts with this.
pub(crate) const PATH_PREFIX: &str = "/rest/";

/// One Angel One operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `POST /rest/auth/angelbroking/user/v1/loginByPassword`
    Login,
    /// `POST /rest/auth/angelbroking/jwt/v1/generateTokens`
    GenerateTokens,
    /// `GET /rest/secure/angelbroking/user/v1/getProfile`
    Profile,
    /// `GET /rest/secure/angelbroking/user/v1/getRMS`
    Rms,
    /// `POST /rest/secure/angelbroking/user/v1/logout`
    Logout,
}

impl Endpoint {
    /// Every endpoint.
    const ALL: [Endpoint; 5] = [
        Endpoint::Login,
        Endpoint::GenerateTokens,
        Endpoint::Profile,
        Endpoint::Rms,
        Endpoint::Logout,
    ];

    /// The endpoint's path.
    fn path(self) -> &'static str {
        match self {
            Endpoint::Login => "/rest/auth/angelbroking/user/v1/loginByPassword",
            Endpoint::GenerateTokens => "/rest/auth/angelbroking/jwt/v1/generateTokens",
            Endpoint::Profile => "/rest/secure/angelbroking/user/v1/getProfile",
            Endpoint::Rms => "/rest/secure/angelbroking/user/v1/getRMS",
            Endpoint::Logout => "/rest/secure/angelbroking/user/v1/logout",
        }
    }

    /// The endpoint's method.
    fn method(self) -> &'static str {
        match self {
            Endpoint::Profile | Endpoint::Rms => "GET",
            Endpoint::Login | Endpoint::GenerateTokens | Endpoint::Logout => "POST",
        }
    }

    /// The endpoint's rate limits (PROTOCOLS.md §1.5).
    fn limit(self) -> Limit {
        let (per_second, per_hour) = match self {
            Endpoint::Login | Endpoint::Logout => (1, None),
            Endpoint::GenerateTokens => (1, Some(1000)),
            Endpoint::Profile => (3, Some(1000)),
            Endpoint::Rms => (2, None),
        };
        Limit {
            per_second: Some(per_second),
            per_hour,
        }
    }

    /// The endpoint at `path`, if any.
    fn from_path(path: &str) -> Option<Endpoint> {
        Endpoint::ALL.into_iter().find(|e| e.path() == path)
    }
}

/// Answers one Angel One request.
pub(crate) fn handle(
    angel: &Mutex<AngelState>,
    options: &SimOptions,
    request: &Request,
) -> Response {
    let Some(endpoint) = Endpoint::from_path(&request.path) else {
        return Response::html_error(404);
    };
    if request.method != endpoint.method() {
        return Response::html_error(405).with_header("Allow", endpoint.method());
    }
    if let Err(refusal) = checks::check_headers(request) {
        return refusal;
    }
    let api_key = request.header("x-privatekey").unwrap_or_default();
    if !options.ip_allowed(api_key, request.peer) {
        return envelope::gateway_error(envelope::UNREGISTERED_IP);
    }
    // A query string is ignored, as the real server does with the junk the
    // official Python SDK appends to getProfile; the request log keeps it, so
    // tests can check that a client sends a clean GET.
    let context = CallContext {
        lifetimes: Lifetimes {
            jwt: options.token_ttl,
            refresh: options.refresh_token_ttl,
        },
        revoke_on_refresh: options.revoke_on_refresh,
        now: options.now(),
    };
    let mut angel = lock(angel);
    let angel = &mut *angel;
    if options.rate_limits && !within_rate_limit(angel, endpoint, request) {
        return envelope::rate_limited();
    }
    endpoints::serve(angel, endpoint, request, context)
}

/// Counts the request against its client's limit for the endpoint. The client is the body's
/// `clientcode` at login and the jwt's owner elsewhere; a request whose client cannot be told is
/// not limited (it fails its next check anyway).
fn within_rate_limit(angel: &mut AngelState, endpoint: Endpoint, request: &Request) -> bool {
    let client = if endpoint == Endpoint::Login {
        serde_json::from_slice::<serde_json::Value>(&request.body)
            .ok()
            .and_then(|body| body.get("clientcode")?.as_str().map(str::to_owned))
    } else {
        request
            .bearer_token()
            .and_then(|jwt| angel.session(jwt))
            .map(|session| session.client_code.clone())
    };
    match client {
        Some(client) => {
            angel
                .limiter
                .try_acquire(&client, endpoint.path(), endpoint.limit(), Instant::now())
        }
        None => true,
    }
}

/// Registers an account (replacing one with the same client code).
pub(crate) fn add_account(angel: &Mutex<AngelState>, account: AngelAccount) {
    lock(angel).add_account(account);
}

/// Replaces the getRMS data of `client_code`; unknown clients are ignored.
pub(crate) fn set_rms(angel: &Mutex<AngelState>, client_code: &str, rms: serde_json::Value) {
    if let Some(account) = lock(angel).account_mut(client_code) {
        account.rms = rms;
    }
}

/// Expires every jwt of `client_code` now.
pub(crate) fn expire_sessions(angel: &Mutex<AngelState>, client_code: &str) {
    lock(angel).expire_jwts(client_code, SystemTime::now());
}

/// Expires every refresh token of `client_code` now.
pub(crate) fn expire_refresh_tokens(angel: &Mutex<AngelState>, client_code: &str) {
    lock(angel).expire_refresh_tokens(client_code, SystemTime::now());
}

/// The registered accounts, ordered by client code.
pub(crate) fn accounts(angel: &Mutex<AngelState>) -> Vec<AngelAccount> {
    lock(angel).accounts().cloned().collect()
}
