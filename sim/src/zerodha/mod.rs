//! Zerodha Kite Connect v3 (PROTOCOLS.md §4) at Kite's own absolute paths, which start with one
//! of [`PATH_PREFIXES`]: the REST calls at the simulator's root (`/session/token`,
//! `/user/profile`, `/user/margins`, …), the browser login page at `/connect/login` (as on
//! kite.zerodha.com) and the demo account's redirect page at `/connect/callback`. The root,
//! not a folder of it, because the official SDK joins its root URL with absolute paths
//! (`urljoin(root, "/session/token")`): a base URL with a path would lose it.
//!
//! An API request is checked in order: the route and method, `X-Kite-Version: 3`, the rate
//! limit (10 a second per api_key over every endpoint, §4.7), then the call itself
//! ([`endpoints`]): checksums and single-use request tokens at the token exchange,
//! `Authorization: token api_key:access_token` elsewhere. Replies use Kite's envelope
//! ([`wire`]).

mod account;
mod endpoints;
mod pages;
mod state;
mod wire;

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

pub use account::ZerodhaAccount;
pub(crate) use state::ZerodhaState;

use crate::http::{Request, Response};
use crate::locked::lock;
use crate::options::SimOptions;
use crate::rate_limit::Limit;

/// Every Kite path starts with one of these (no other family's does).
const PATH_PREFIXES: [&str; 3] = ["/session/", "/user/", "/connect/"];
/// The browser login page's path.
pub(crate) const LOGIN_PATH: &str = "/connect/login";

/// Whether `path` is one of Kite's.
pub(crate) fn owns(path: &str) -> bool {
    PATH_PREFIXES.iter().any(|prefix| path.starts_with(prefix))
}
/// How long a request token lives: "only a couple of minutes" (PROTOCOLS.md §4.1).
pub(crate) const REQUEST_TOKEN_TTL: Duration = Duration::from_secs(120);
/// Kite's limit for every endpoint brokerlink calls (§4.7), counted per api_key.
const LIMIT: Limit = Limit {
    per_second: Some(10),
    per_hour: None,
};
/// The rate limiter's name for that shared budget.
const LIMIT_KEY: &str = "kite";

/// What a request needs besides the state.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Context {
    /// The time of the request.
    pub(crate) now: SystemTime,
    /// [`SimOptions::token_ttl`]: how long an access token lives.
    pub(crate) token_ttl: Duration,
    /// [`SimOptions::refresh_token_ttl`].
    pub(crate) refresh_token_ttl: Duration,
    /// [`REQUEST_TOKEN_TTL`].
    pub(crate) request_token_ttl: Duration,
    /// [`SimOptions::revoke_on_refresh`].
    pub(crate) revoke_on_refresh: bool,
}

/// One Kite route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    /// `GET /connect/login`
    LoginPage,
    /// `GET /connect/callback`
    Callback,
    /// `POST /session/token`
    Exchange,
    /// `DELETE /session/token`
    Invalidate,
    /// `POST /session/refresh_token`
    Renew,
    /// `GET /user/profile`
    Profile,
    /// `GET /user/margins[/<segment>]`
    Margins,
}

impl Route {
    /// The route of a method and path; `Err` with the allowed method when
    /// only the method is wrong.
    fn find(method: &str, path: &str) -> Option<Result<Route, &'static str>> {
        let only = |wanted: &str, route: Route| (method == wanted).then_some(route);
        let (allowed, route) = match path {
            "/connect/login" => ("GET", only("GET", Route::LoginPage)),
            "/connect/callback" => ("GET", only("GET", Route::Callback)),
            "/session/token" => (
                "POST, DELETE",
                only("POST", Route::Exchange).or(only("DELETE", Route::Invalidate)),
            ),
            "/session/refresh_token" => ("POST", only("POST", Route::Renew)),
            "/user/profile" => ("GET", only("GET", Route::Profile)),
            "/user/margins" | "/user/margins/equity" | "/user/margins/commodity" => {
                ("GET", only("GET", Route::Margins))
            }
            _ => return None,
        };
        Some(route.ok_or(allowed))
    }
}

/// Answers one Kite request: 404 for an unknown path, 405 for a wrong method.
pub(crate) fn handle(
    zerodha: &Mutex<ZerodhaState>,
    options: &SimOptions,
    request: &Request,
) -> Response {
    let path = request.path.as_str();
    let route = match Route::find(&request.method, path) {
        Some(Ok(route)) => route,
        Some(Err(allowed)) => return Response::html_error(405).with_header("Allow", allowed),
        None => return Response::html_error(404),
    };
    let context = Context {
        now: SystemTime::now(),
        token_ttl: options.token_ttl,
        refresh_token_ttl: options.refresh_token_ttl,
        request_token_ttl: REQUEST_TOKEN_TTL,
        revoke_on_refresh: options.revoke_on_refresh,
    };
    let mut zerodha = lock(zerodha);
    let zerodha = &mut *zerodha;
    match route {
        Route::LoginPage => return pages::login(zerodha, request, &context),
        Route::Callback => return pages::callback(request),
        _ => {}
    }
    if request.header("x-kite-version").map(str::trim) != Some("3") {
        // Sim choice: no source prints what Kite answers without the header.
        return wire::error(
            400,
            "InputException",
            "Missing or invalid `X-Kite-Version` header (3).",
        );
    }
    if options.rate_limits && !within_rate_limit(zerodha, request) {
        return wire::error(429, "NetworkException", "Too many requests");
    }
    match route {
        Route::Exchange => endpoints::exchange(zerodha, request, &context),
        Route::Renew => endpoints::renew(zerodha, request, &context),
        _ => match endpoints::authorized(zerodha, request, &context) {
            Err(refusal) => refusal,
            Ok(account) => match route {
                Route::Profile => endpoints::profile(&account),
                Route::Margins => endpoints::margins(&account, path.strip_prefix("/user/margins/")),
                _ => endpoints::invalidate(zerodha, &account, request),
            },
        },
    }
}

/// Counts the request against its api_key's budget: the form's or query's `api_key`, else the
/// Authorization header's. A request whose app cannot be told is not limited (it fails its
/// next check anyway).
fn within_rate_limit(zerodha: &mut ZerodhaState, request: &Request) -> bool {
    let params = wire::params(request);
    let api_key = wire::param(&params, "api_key")
        .map(str::to_owned)
        .or_else(|| wire::authorization(request).map(|(key, _)| key.to_owned()));
    match api_key.filter(|key| zerodha.account_by_key(key).is_some()) {
        Some(key) => zerodha
            .limiter
            .try_acquire(&key, LIMIT_KEY, LIMIT, Instant::now()),
        None => true,
    }
}

/// Registers `account` (replacing the one with the same user id), resolving a redirect URL
/// that starts with `/` against `base_url`.
pub(crate) fn add_account(
    zerodha: &Mutex<ZerodhaState>,
    mut account: ZerodhaAccount,
    base_url: &str,
) {
    if account.redirect_url.starts_with('/') {
        account.redirect_url = format!("{base_url}{}", account.redirect_url);
    }
    lock(zerodha).add_account(account);
}

/// Replaces the margins of `user_id` (unknown users are ignored).
pub(crate) fn set_margins(
    zerodha: &Mutex<ZerodhaState>,
    user_id: &str,
    margins: serde_json::Value,
) {
    if let Some(account) = lock(zerodha).account_mut(user_id) {
        account.margins = margins;
    }
}

/// A request token, as the login page mints it for the app `api_key`; `None` for an unknown app.
pub(crate) fn mint_request_token(zerodha: &Mutex<ZerodhaState>, api_key: &str) -> Option<String> {
    let mut zerodha = lock(zerodha);
    let user_id = zerodha.account_by_key(api_key)?.user_id.clone();
    Some(zerodha.mint_request_token(&user_id, REQUEST_TOKEN_TTL, SystemTime::now()))
}

/// Expires every access token of `user_id` now.
pub(crate) fn expire_sessions(zerodha: &Mutex<ZerodhaState>, user_id: &str) {
    lock(zerodha).expire_sessions(user_id, SystemTime::now());
}

/// Expires every refresh token of `user_id` now.
pub(crate) fn expire_refresh_tokens(zerodha: &Mutex<ZerodhaState>, user_id: &str) {
    lock(zerodha).expire_refresh_tokens(user_id, SystemTime::now());
}

/// Expires every unused request token now.
pub(crate) fn expire_request_tokens(zerodha: &Mutex<ZerodhaState>) {
    lock(zerodha).expire_request_tokens(SystemTime::now());
}

/// The registered accounts, by user id.
pub(crate) fn accounts(zerodha: &Mutex<ZerodhaState>) -> Vec<ZerodhaAccount> {
    lock(zerodha).accounts().cloned().collect()
}
