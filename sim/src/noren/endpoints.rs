//! The calls of a logged-in session (PROTOCOLS.md §2.5): UserDetails, Limits and Logout, behind
//! the session check.

use serde_json::{Map, Value, json};

use crate::http::{Request, Response};
use crate::noren::Context;
use crate::noren::account::NorenAccount;
use crate::noren::preset::{Base, Preset};
use crate::noren::profile::{self, ACCESS_TYPES, BRANCH, EXCHANGES, ORDER_TYPES, USER_PRIVILEGE};
use crate::noren::route::Endpoint;
use crate::noren::state::NorenState;
use crate::noren::wire::{self, Body, INVALID_SESSION};

/// Where a request is sent: the preset and which of its bases.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Target {
    /// The preset.
    pub(crate) preset: Preset,
    /// The base.
    pub(crate) base: Base,
}

/// Runs UserDetails, Limits or Logout after the session check.
pub(crate) fn serve(
    noren: &mut NorenState,
    target: Target,
    endpoint: Endpoint,
    request: &Request,
    body: &Body,
    context: &Context,
) -> Response {
    let outcome = authorize(noren, target, request, body, context).and_then(|token| {
        match endpoint {
            Endpoint::UserDetails => user_details(noren, target, &token, body, context),
            Endpoint::Limits => limits(noren, target, &token, body, context),
            Endpoint::Logout => logout(noren, target, &token, body, context),
            // Logins are served elsewhere.
            Endpoint::GenAcsTok | Endpoint::RefreshToken | Endpoint::QuickAuth => {
                Err(Response::html_error(404))
            }
        }
    });
    outcome.unwrap_or_else(|refusal| refusal)
}

/// The session check: on an OAuth base the token comes from `Authorization: Bearer` and a jKey
/// is refused; on a jKey base (Shoonya's legacy base, Flattrade) it comes from `&jKey=` and an
/// `Authorization` header is refused (sim choice: mixing the styles is refused both ways, so a
/// client that sends both is caught). The token must be a live session of this very base.
/// Every refusal is `Session Expired :  Invalid Session Key` with HTTP 200. Returns the token.
fn authorize(
    noren: &NorenState,
    target: Target,
    request: &Request,
    body: &Body,
    context: &Context,
) -> Result<String, Response> {
    let token = if target.base.uses_bearer() {
        request.bearer_token().filter(|_| body.jkey.is_none())
    } else {
        body.jkey
            .as_deref()
            .filter(|jkey| !jkey.is_empty() && request.header("authorization").is_none())
    };
    let live = token
        .and_then(|token| noren.session(token))
        .is_some_and(|session| {
            session.preset == target.preset
                && session.base == target.base
                && session.expires_at > context.now
        });
    match token {
        Some(token) if live => Ok(token.to_owned()),
        _ => Err(invalid_session(context)),
    }
}

/// The account of a live session whose user is `uid` (sim choice: another `uid` is refused as
/// an invalid session).
fn session_account<'a>(
    noren: &'a NorenState,
    target: Target,
    token: &str,
    uid: &str,
    context: &Context,
) -> Result<&'a NorenAccount, Response> {
    noren
        .session(token)
        .filter(|session| session.user_id == uid)
        .and_then(|session| noren.account(target.preset, &session.user_id))
        .ok_or_else(|| invalid_session(context))
}

/// `UserDetails`: jData `{"uid"}`; the account holder's profile.
fn user_details(
    noren: &NorenState,
    target: Target,
    token: &str,
    body: &Body,
    context: &Context,
) -> Result<Response, Response> {
    let uid = body.required("uid", context.now)?;
    let account = session_account(noren, target, token, uid, context)?;
    Ok(wire::ok(
        json!({
            "uname": account.name,
            "uid": account.user_id,
            "actid": account.account_id,
            "email": account.email,
            "m_num": account.mobile,
            "brkname": target.preset.broker_name(),
            "brnchid": BRANCH,
            "uprev": USER_PRIVILEGE,
            "access_type": ACCESS_TYPES,
            "exarr": EXCHANGES,
            "orarr": ORDER_TYPES,
            "prarr": profile::products()
        }),
        context.now,
    ))
}

/// `Limits`: jData `{"uid","actid"}` plus optional `prd`, `seg`, `exch` (accepted and ignored:
/// every segment gets the same figures); the account's limits fields verbatim with `actid`. An
/// `actid` other than the session's account is refused as an invalid session (sim choice).
fn limits(
    noren: &NorenState,
    target: Target,
    token: &str,
    body: &Body,
    context: &Context,
) -> Result<Response, Response> {
    let now = context.now;
    let uid = body.required("uid", now)?;
    let account_id = body.required("actid", now)?;
    for optional in ["prd", "seg", "exch"] {
        body.optional(optional, now)?;
    }
    let account = session_account(noren, target, token, uid, context)?;
    if account.account_id != account_id {
        return Err(invalid_session(context));
    }
    let mut fields = match &account.limits {
        Value::Object(fields) => fields.clone(),
        _ => Map::new(),
    };
    fields.insert("actid".to_owned(), json!(account.account_id));
    Ok(wire::ok(Value::Object(fields), now))
}

/// `Logout`: jData `{"ordersource":"API","uid"}` (`ordersource` optional); ends the session
/// (and, at Zebu, the refresh token of its login).
fn logout(
    noren: &mut NorenState,
    target: Target,
    token: &str,
    body: &Body,
    context: &Context,
) -> Result<Response, Response> {
    let uid = body.required("uid", context.now)?;
    body.optional("ordersource", context.now)?;
    session_account(noren, target, token, uid, context)?;
    noren.log_out(token);
    Ok(wire::ok(json!({}), context.now))
}

/// `{"stat":"Not_Ok","emsg":"Session Expired :  Invalid Session Key","request_time":…}`, 200.
fn invalid_session(context: &Context) -> Response {
    wire::not_ok(200, INVALID_SESSION, context.now)
}
