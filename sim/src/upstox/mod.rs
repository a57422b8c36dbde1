//! Upstox API v2, funds also v3 (PROTOCOLS.md §5), under paths starting with [`PATH_PREFIX`]:
//! the REST base is `/upstox` (so `/upstox/v2/user/profile`), the authorization dialog
//! `/upstox/v2/login/authorization/dialog`, and the demo account's redirect page
//! `/upstox/callback`.
//!
//! Every REST request goes through the broker's checks in order: the endpoint and method, the
//! `Api-Version` header (`2.0` on v2 calls; `3.0` or none on v3 funds, since the official SDK
//! sends none there), the Bearer token, the per-user rate limits, and the operation itself.

mod account;
mod state;
mod wire;

use std::sync::Mutex;
use std::time::SystemTime;

pub use account::UpstoxAccount;
pub(crate) use state::UpstoxState;

use crate::http::{Request, Response};
use crate::locked::lock;
use crate::options::SimOptions;
use crate::web::{form_pairs, form_param, html_escape, page, redirect, with_query};
use serde_json::{Value, json};
use state::TokenKind;
use wire::{
    BAD_CLIENT, BAD_CLIENT_OR_REDIRECT, EXTENDED_TOKEN_NOT_PERMITTED, ErrorCode, FUNDS_CLOSED,
    INVALID_AUTH_CODE, INVALID_INPUT, INVALID_TOKEN, MISSING_INPUT, NO_API_VERSION, NOT_SUPPORTED,
    TOO_MANY_REQUESTS,
};

/// Every Upstox path starts with this.
pub(crate) const PATH_PREFIX: &str = "/upstox/";
/// The REST base path: Upstox's `https://api.upstox.com` here.
pub(crate) const BASE_PATH: &str = "/upstox";
/// The authorization dialog (the browser login page).
pub(crate) const DIALOG_PATH: &str = "/upstox/v2/login/authorization/dialog";
/// The demo account's redirect page.
const CALLBACK_PATH: &str = "/upstox/callback";

/// One Upstox endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Endpoint {
    /// `GET /v2/login/authorization/dialog`: the browser login.
    Dialog,
    /// `GET /callback`: the demo app's redirect page.
    Callback,
    /// `POST /v2/login/authorization/token`.
    Token,
    /// `GET /v2/user/profile`.
    Profile,
    /// `GET /v3/user/get-funds-and-margin`.
    FundsV3,
    /// `GET /v2/user/get-funds-and-margin`.
    FundsV2,
    /// `DELETE /v2/logout`.
    Logout,
}

impl Endpoint {
    /// Every endpoint.
    const ALL: [Endpoint; 7] = [
        Endpoint::Dialog,
        Endpoint::Callback,
        Endpoint::Token,
        Endpoint::Profile,
        Endpoint::FundsV3,
        Endpoint::FundsV2,
        Endpoint::Logout,
    ];

    /// The endpoint's full path.
    fn path(self) -> &'static str {
        match self {
            Endpoint::Dialog => DIALOG_PATH,
            Endpoint::Callback => CALLBACK_PATH,
            Endpoint::Token => "/upstox/v2/login/authorization/token",
            Endpoint::Profile => "/upstox/v2/user/profile",
            Endpoint::FundsV3 => "/upstox/v3/user/get-funds-and-margin",
            Endpoint::FundsV2 => "/upstox/v2/user/get-funds-and-margin",
            Endpoint::Logout => "/upstox/v2/logout",
        }
    }

    /// The endpoint's method.
    fn method(self) -> &'static str {
        match self {
            Endpoint::Token => "POST",
            Endpoint::Logout => "DELETE",
            _ => "GET",
        }
    }
}

/// Answers one Upstox request.
pub(crate) fn handle(
    upstox: &Mutex<UpstoxState>,
    options: &SimOptions,
    request: &Request,
) -> Response {
    let Some(endpoint) = Endpoint::ALL.into_iter().find(|e| e.path() == request.path) else {
        return wire::error(NOT_SUPPORTED);
    };
    if request.method != endpoint.method() {
        return Response::html_error(405).with_header("Allow", endpoint.method());
    }
    let now = SystemTime::now();
    let mut upstox = lock(upstox);
    let upstox = &mut *upstox;
    let result = match endpoint {
        Endpoint::Dialog => Ok(dialog(upstox, request, now)),
        Endpoint::Callback => Ok(callback(request)),
        Endpoint::Token => token(upstox, request, now),
        _ => serve(upstox, options, endpoint, request, now),
    };
    result.unwrap_or_else(wire::error)
}

/// The authorization dialog: no form to fill in; a registered app with its registered redirect
/// URI and `response_type=code` gets `302` to the redirect URI with a fresh `code` and the
/// `state` it was given; anything else gets the JSON error UDAPI100068 (or UDAPI100038 for a
/// `response_type` other than `code`).
fn dialog(upstox: &mut UpstoxState, request: &Request, now: SystemTime) -> Response {
    let query = form_pairs(request.query.as_deref().unwrap_or(""));
    if form_param(&query, "response_type") != Some("code") {
        return wire::error(INVALID_INPUT);
    }
    let app = form_param(&query, "client_id").and_then(|key| upstox.account_by_key(key));
    let Some(account) = app.filter(|a| form_param(&query, "redirect_uri") == Some(&a.redirect_uri))
    else {
        return wire::error(BAD_CLIENT_OR_REDIRECT);
    };
    let (api_key, redirect_uri) = (account.api_key.clone(), account.redirect_uri.clone());
    let code = upstox.mint_code(&api_key, now);
    let mut params = vec![("code", code.as_str())];
    if let Some(state) = form_param(&query, "state") {
        params.push(("state", state));
    }
    redirect(&with_query(&redirect_uri, &params))
}

/// The demo app's redirect page: shows the code (and state) to a person logging in by hand.
fn callback(request: &Request) -> Response {
    let query = form_pairs(request.query.as_deref().unwrap_or(""));
    let Some(code) = form_param(&query, "code") else {
        return page(400, "No code", "<p>The redirect carried no code.</p>");
    };
    let mut html = format!("<p>code: <code>{}</code></p>", html_escape(code));
    if let Some(state) = form_param(&query, "state") {
        html.push_str(&format!(
            "<p>state: <code>{}</code></p>",
            html_escape(state)
        ));
    }
    page(200, "Authorization code", &html)
}

/// Checks the `Api-Version` header: `2.0` on v2 calls; `3.0` or none on v3 funds.
fn check_api_version(endpoint: Endpoint, request: &Request) -> Result<(), ErrorCode> {
    let version = request.header("api-version").map(str::trim);
    let fine = match endpoint {
        Endpoint::FundsV3 => matches!(version, None | Some("3.0")),
        _ => version == Some("2.0"),
    };
    if fine { Ok(()) } else { Err(NO_API_VERSION) }
}

/// The token exchange: a form with `code`, `client_id`, `client_secret`, `redirect_uri` and
/// `grant_type=authorization_code`. The code is used up whatever the outcome; the reply is flat.
fn token(
    upstox: &mut UpstoxState,
    request: &Request,
    now: SystemTime,
) -> Result<Response, ErrorCode> {
    check_api_version(Endpoint::Token, request)?;
    let form_type = request
        .header("content-type")
        .and_then(|v| v.split(';').next())
        .map(str::trim);
    if !form_type.is_some_and(|t| t.eq_ignore_ascii_case("application/x-www-form-urlencoded")) {
        return Err(INVALID_INPUT);
    }
    let form = form_pairs(&String::from_utf8_lossy(&request.body));
    let field = |name: &str| {
        form_param(&form, name)
            .filter(|v| !v.is_empty())
            .ok_or(MISSING_INPUT)
    };
    let (code, client_id, client_secret, redirect_uri, grant_type) = (
        field("code")?,
        field("client_id")?,
        field("client_secret")?,
        field("redirect_uri")?,
        field("grant_type")?,
    );
    if grant_type != "authorization_code" {
        return Err(INVALID_INPUT);
    }
    // Used up first: a code works once, whether the exchange succeeds or not.
    let live = upstox.take_code(code, client_id, now);
    let account = upstox
        .account_by_key(client_id)
        .filter(|a| a.api_secret == client_secret)
        .cloned();
    let Some(account) = account else {
        return Err(BAD_CLIENT);
    };
    if !live || redirect_uri != account.redirect_uri {
        return Err(INVALID_AUTH_CODE);
    }
    let (access_token, extended_token) = upstox.open_session(&account.user_id, now);
    let mut reply = profile_data(&account);
    if let Value::Object(map) = &mut reply {
        map.remove("ddpi");
        map.insert("access_token".into(), json!(access_token));
        map.insert("extended_token".into(), json!(extended_token));
    }
    Ok(Response::json(200, &reply))
}

/// The profile `data` of an account (PROTOCOLS.md §5.4).
fn profile_data(account: &UpstoxAccount) -> Value {
    json!({
        "email": account.email,
        "exchanges": ["NSE", "NFO", "BSE", "CDS", "BFO", "BCD"],
        "products": ["D", "CO", "I"],
        "broker": "UPSTOX",
        "user_id": account.user_id,
        "user_name": account.name,
        "order_types": ["MARKET", "LIMIT", "SL", "SL-M"],
        "user_type": "individual",
        "poa": false,
        "ddpi": false,
        "is_active": true
    })
}

/// A session's calls: profile, funds (v3, v2) and logout.
fn serve(
    upstox: &mut UpstoxState,
    options: &SimOptions,
    endpoint: Endpoint,
    request: &Request,
    now: SystemTime,
) -> Result<Response, ErrorCode> {
    check_api_version(endpoint, request)?;
    let token = request.bearer_token().ok_or(INVALID_TOKEN)?.to_owned();
    let session = upstox.session(&token, now).cloned().ok_or(INVALID_TOKEN)?;
    if options.rate_limits && !upstox.within_limits(&session.user_id, endpoint.path()) {
        return Err(TOO_MANY_REQUESTS);
    }
    let account = upstox
        .account(&session.user_id)
        .cloned()
        .ok_or(INVALID_TOKEN)?;
    match endpoint {
        Endpoint::Profile => Ok(wire::success(&profile_data(&account))),
        Endpoint::FundsV3 | Endpoint::FundsV2 if upstox.funds_closed => Err(FUNDS_CLOSED),
        Endpoint::FundsV3 => Ok(wire::success(&account.funds_v3)),
        Endpoint::FundsV2 => {
            let query = form_pairs(request.query.as_deref().unwrap_or(""));
            let data = match form_param(&query, "segment") {
                None => account.funds_v2.clone(),
                Some("SEC") => json!({"equity": account.funds_v2.get("equity")}),
                Some("COM") => json!({"commodity": account.funds_v2.get("commodity")}),
                Some(_) => return Err(INVALID_INPUT),
            };
            Ok(wire::success(&data))
        }
        Endpoint::Logout if session.kind == TokenKind::Extended => {
            Err(EXTENDED_TOKEN_NOT_PERMITTED)
        }
        Endpoint::Logout => {
            if upstox.revoke_on_logout {
                upstox.revoke(&token);
            }
            Ok(wire::success(&Value::Bool(true)))
        }
        Endpoint::Dialog | Endpoint::Callback | Endpoint::Token => Err(NOT_SUPPORTED),
    }
}

/// Registers `account` (replacing the one with the same user id), resolving a redirect URI that
/// starts with `/` against `base_url`.
pub(crate) fn add_account(upstox: &Mutex<UpstoxState>, mut account: UpstoxAccount, base_url: &str) {
    if account.redirect_uri.starts_with('/') {
        account.redirect_uri = format!("{base_url}{}", account.redirect_uri);
    }
    lock(upstox).add_account(account);
}

/// The registered accounts, by user id.
pub(crate) fn accounts(upstox: &Mutex<UpstoxState>) -> Vec<UpstoxAccount> {
    lock(upstox).accounts().cloned().collect()
}

/// Issues a code as the dialog does for the app `api_key`; `None` for an unknown app.
pub(crate) fn authorize(upstox: &Mutex<UpstoxState>, api_key: &str) -> Option<String> {
    let mut upstox = lock(upstox);
    upstox.account_by_key(api_key)?;
    Some(upstox.mint_code(api_key, SystemTime::now()))
}

/// Issues the tokens of a login for `user_id` (access, extended); `None` for an unknown user.
pub(crate) fn tokens(upstox: &Mutex<UpstoxState>, user_id: &str) -> Option<(String, String)> {
    let mut upstox = lock(upstox);
    upstox.account(user_id)?;
    Some(upstox.open_session(user_id, SystemTime::now()))
}

/// Makes logout revoke its token (the default) or leave it valid.
pub(crate) fn set_revoke_on_logout(upstox: &Mutex<UpstoxState>, revoke: bool) {
    lock(upstox).revoke_on_logout = revoke;
}

/// Makes every token of `user_id` expire now.
pub(crate) fn expire_sessions(upstox: &Mutex<UpstoxState>, user_id: &str) {
    lock(upstox).expire_sessions(user_id, SystemTime::now());
}

/// Makes every unused code expire now.
pub(crate) fn expire_codes(upstox: &Mutex<UpstoxState>) {
    lock(upstox).expire_codes(SystemTime::now());
}

/// Replaces the funds of `user_id` (unknown users are ignored); `None` keeps that version's.
pub(crate) fn set_funds(
    upstox: &Mutex<UpstoxState>,
    user_id: &str,
    v3: Option<Value>,
    v2: Option<Value>,
) {
    if let Some(account) = lock(upstox).account_mut(user_id) {
        if let Some(v3) = v3 {
            account.funds_v3 = v3;
        }
        if let Some(v2) = v2 {
            account.funds_v2 = v2;
        }
    }
}

/// Opens or closes the funds service window.
pub(crate) fn set_funds_closed(upstox: &Mutex<UpstoxState>, closed: bool) {
    lock(upstox).funds_closed = closed;
}
