//! The Noren OMS family (PROTOCOLS.md §2): five brokers ([`Preset`]s) under paths starting with
//! [`PATH_PREFIX`], each at `/noren/<preset>/...`.
//!
//! | preset | REST base | login |
//! |---|---|---|
//! | kambala | `/noren/kambala/NorenWClientAPI` | OAuth (GenAcsTok) |
//! | shoonya | `/noren/shoonya/NorenWClientAPI`, legacy `/noren/shoonya/NorenWClientTP` | OAuth; QuickAuth on the legacy base |
//! | zebu | `/noren/zebu/NorenWClientAPI` | OAuth, RefreshToken |
//! | tradesmart | `/noren/tradesmart/NorenWClientAPIv2` | OAuth |
//! | flattrade | `/noren/flattrade/PiConnectAPI` | `/noren/flattrade/trade/apitoken` |
//!
//! A request is routed ([`route`]), its method checked, its body read as jData ([`wire`]) and
//! then served: logins by [`oauth`], [`password`] and [`flattrade`], the browser pages by
//! [`pages`], and a session's calls by [`endpoints`].

mod account;
mod endpoints;
mod flattrade;
mod oauth;
mod pages;
mod password;
mod preset;
mod profile;
mod route;
mod state;
mod wire;

use std::time::{Duration, SystemTime};

pub use account::{NorenAccount, PasswordState};
pub(crate) use preset::Preset;
pub(crate) use route::PATH_PREFIX;
pub(crate) use state::NorenState;

use crate::http::{Request, Response};
use crate::locked::lock;
use crate::options::SimOptions;
use endpoints::Target;
use preset::Base;
use route::{Endpoint, Route};
use std::net::IpAddr;
use std::sync::Mutex;
use wire::Body;

/// What a request needs besides the state: the time, the lifetimes and switches from the
/// options, and where the request came from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Context<'a> {
    /// The time of the request.
    pub(crate) now: SystemTime,
    /// [`SimOptions::token_ttl`].
    pub(crate) token_ttl: Duration,
    /// [`SimOptions::refresh_token_ttl`].
    pub(crate) refresh_token_ttl: Duration,
    /// [`SimOptions::noren_code_ttl`].
    pub(crate) code_ttl: Duration,
    /// [`SimOptions::revoke_on_refresh`].
    pub(crate) revoke_on_refresh: bool,
    /// The options, for the IP rule and Shoonya's closed QuickAuth.
    pub(crate) options: &'a SimOptions,
    /// The client's address.
    pub(crate) peer: Option<IpAddr>,
}

impl<'a> Context<'a> {
    /// The context of a request arriving now from `peer`.
    fn new(options: &'a SimOptions, peer: Option<IpAddr>) -> Context<'a> {
        Context {
            now: options.now(),
            token_ttl: options.token_ttl,
            refresh_token_ttl: options.refresh_token_ttl,
            code_ttl: options.noren_code_ttl,
            revoke_on_refresh: options.revoke_on_refresh,
            options,
            peer,
        }
    }
}

/// Answers one Noren request: 404 for a path no preset serves, 405 for a wrong method.
pub(crate) fn handle(
    noren: &Mutex<NorenState>,
    options: &SimOptions,
    request: &Request,
) -> Response {
    let Some(route) = Route::parse(&request.path) else {
        return Response::html_error(404);
    };
    if request.method != route.method() {
        return Response::html_error(405).with_header("Allow", route.method());
    }
    let context = Context::new(options, request.peer);
    match route {
        Route::Callback => pages::callback(request),
        Route::Authorize(preset) => pages::authorize(&mut lock(noren), preset, request, &context),
        Route::InvestorEntry => pages::investor_entry(&mut lock(noren), request, &context),
        Route::FlattradeToken => flattrade::api_token(&mut lock(noren), request, &context),
        Route::Rest {
            preset,
            base,
            endpoint,
        } => rest(noren, Target { preset, base }, endpoint, request, &context),
    }
}

/// Answers `POST <base>/<Endpoint>`: 400 for a body that is not jData, else the endpoint's
/// reply.
fn rest(
    noren: &Mutex<NorenState>,
    target: Target,
    endpoint: Endpoint,
    request: &Request,
    context: &Context,
) -> Response {
    let body = match Body::parse(&request.body) {
        Ok(body) => body,
        Err(refusal) => return refusal,
    };
    let mut noren = lock(noren);
    let noren = &mut *noren;
    let preset = target.preset;
    match endpoint {
        Endpoint::GenAcsTok => oauth::gen_acs_tok(noren, preset, &body, context),
        Endpoint::RefreshToken => oauth::refresh_token(noren, preset, &body, context),
        Endpoint::QuickAuth => password::quick_auth(noren, preset, &body, context),
        Endpoint::UserDetails | Endpoint::Limits | Endpoint::Logout => {
            endpoints::serve(noren, target, endpoint, request, &body, context)
        }
    }
}

/// The preset called `name`.
///
/// # Panics
///
/// When `name` is not one of the five preset names.
pub(crate) fn known_preset(name: &str) -> Preset {
    Preset::from_name(name).unwrap_or_else(|| {
        panic!("unknown Noren preset {name:?}: use kambala, shoonya, zebu, tradesmart or flattrade")
    })
}

/// The path of the preset's main REST base (`/noren/kambala/NorenWClientAPI`).
pub(crate) fn base_path(preset: Preset) -> String {
    preset.base_path(preset.main_base()).unwrap_or_default()
}

/// The path of the preset's legacy (QuickAuth) base, when it has one (Shoonya).
pub(crate) fn legacy_base_path(preset: Preset) -> Option<String> {
    preset.base_path(Base::Legacy)
}

/// The path of Flattrade's token service.
pub(crate) const FLATTRADE_TOKEN_PATH: &str = "/noren/flattrade/trade/apitoken";

/// Registers `account` (replacing the one with the same preset and user id), resolving a
/// redirect URL that starts with `/` against `base_url`.
///
/// # Panics
///
/// When the account's preset is not one of the five preset names.
pub(crate) fn add_account(noren: &Mutex<NorenState>, mut account: NorenAccount, base_url: &str) {
    let preset = known_preset(&account.preset);
    if account.redirect_url.starts_with('/') {
        account.redirect_url = format!("{base_url}{}", account.redirect_url);
    }
    lock(noren).add_account(preset, account);
}

/// Replaces the Limits fields of an account; unknown presets and users are ignored.
pub(crate) fn set_limits(
    noren: &Mutex<NorenState>,
    preset: &str,
    user_id: &str,
    limits: serde_json::Value,
) {
    let Some(preset) = Preset::from_name(preset) else {
        return;
    };
    if let Some(account) = lock(noren).account_mut(preset, user_id) {
        account.limits = limits;
    }
}

/// Issues a code as the preset's login page does for the app `app` (client id, or Flattrade
/// API key); `None` for an unknown preset or app.
pub(crate) fn authorize(
    noren: &Mutex<NorenState>,
    code_ttl: Duration,
    preset: &str,
    app: &str,
) -> Option<String> {
    let preset = Preset::from_name(preset)?;
    let now = SystemTime::now();
    let mut noren = lock(noren);
    let user_id = noren.account_by_app(preset, app)?.user_id.clone();
    Some(noren.mint_code(preset, &user_id, code_ttl, now))
}

/// Expires every session of `user_id` at `preset` now (unknown presets are ignored).
pub(crate) fn expire_sessions(noren: &Mutex<NorenState>, preset: &str, user_id: &str) {
    if let Some(preset) = Preset::from_name(preset) {
        lock(noren).expire_sessions(preset, user_id, SystemTime::now());
    }
}

/// Expires every unused code now.
pub(crate) fn expire_codes(noren: &Mutex<NorenState>) {
    lock(noren).expire_codes();
}

/// The registered accounts of each preset, presets in [`Preset::ALL`] order, accounts by user
/// id.
pub(crate) fn accounts(noren: &Mutex<NorenState>) -> Vec<(Preset, Vec<NorenAccount>)> {
    let noren = lock(noren);
    Preset::ALL
        .into_iter()
        .map(|preset| (preset, noren.accounts_of(preset).cloned().collect()))
        .collect()
}
