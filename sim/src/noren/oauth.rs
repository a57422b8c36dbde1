//! OAuth logins on the `NorenWClientAPI` bases (PROTOCOLS.md §2.2): GenAcsTok and Zebu's
//! RefreshToken.

use serde_json::json;

use crate::http::Response;
use crate::noren::Context;
use crate::noren::account::NorenAccount;
use crate::noren::preset::{Base, Preset};
use crate::noren::profile::{self, EXCHANGES};
use crate::noren::state::NorenState;
use crate::noren::wire::{self, Body, random_token, sha256_hex};

/// GenAcsTok's failure for a bad checksum (or, except at Zebu, a bad code).
const INVALID_VERIFIER: &str = "Invalid Input : INVALID_VERIFIER";
/// Zebu's GenAcsTok failure for an unknown, used or expired code.
const INVALID_AUTHORIZATION_CODE: &str = "Invalid authorization code";
/// RefreshToken's failure.
const INVALID_REFRESH_TOKEN: &str = "Invalid refresh token";

/// GenAcsTok's refusal of a call from an IP not registered for the app (PROTOCOLS.md §2.5, §8).
const INVALID_IP: &str = "INVALID_IP";

/// `GenAcsTok`: checks the code (issued by this preset's authorize page, unused, unexpired), the
/// checksum (SHA-256 hex of `client_id + secret + code`) and the optional `uid`, then opens a
/// Bearer session. The code is used up only on success (sim choice).
pub(crate) fn gen_acs_tok(
    noren: &mut NorenState,
    preset: Preset,
    body: &Body,
    context: &Context,
) -> Response {
    try_gen_acs_tok(noren, preset, body, context).unwrap_or_else(|refusal| refusal)
}

/// [`gen_acs_tok`] with refusals as `Err`.
fn try_gen_acs_tok(
    noren: &mut NorenState,
    preset: Preset,
    body: &Body,
    context: &Context,
) -> Result<Response, Response> {
    let now = context.now;
    let code = body.required("code", now)?;
    let checksum = body.required("checksum", now)?;
    let uid = body.optional("uid", now)?;
    let account = noren
        .live_code(code, preset, now)
        .and_then(|grant| noren.account(preset, &grant.user_id))
        .cloned();
    let Some(account) = account else {
        return Err(unknown_code(preset, uid.unwrap_or_default(), context));
    };
    let expected = sha256_hex(&format!("{}{}{code}", account.client_id, account.secret));
    if checksum != expected || uid.is_some_and(|uid| uid != account.user_id) {
        return Err(invalid_verifier(preset, uid.unwrap_or(&account.user_id)));
    }
    let refuse = |emsg: &str| wire::not_ok(preset.login_failure_status(), emsg, now);
    if !context.options.ip_allowed(&account.client_id, context.peer) {
        return Err(refuse(INVALID_IP));
    }
    if !account.api_enabled {
        return Err(refuse(wire::API_NOT_ENABLED));
    }
    noren.consume_code(code);
    let ttl = preset.session_ttl(context.token_ttl);
    let access_token = noren.open_session(preset, Base::OAuth, &account.user_id, ttl, now);
    Ok(match preset {
        Preset::Kambala => {
            let expires_at = noren
                .session(&access_token)
                .map_or(now, |session| session.expires_at);
            kambala_reply(&account, &access_token, profile::unix_secs(expires_at))
        }
        Preset::Shoonya => wire::ok(
            json!({
                "access_token": access_token,
                "uid": account.user_id,
                "actid": account.account_id,
                "uname": account.name,
                "email": account.email,
                "brkname": preset.broker_name(),
                "exarr": EXCHANGES,
                "prarr": profile::products(),
                "lastaccesstime": profile::last_access_time(now)
            }),
            now,
        ),
        Preset::Zebu => {
            let refresh_token = noren
                .issue_refresh_token(&access_token, context.refresh_token_ttl, now)
                .unwrap_or_default();
            wire::ok(
                json!({
                    "access_token": access_token,
                    "refresh_token": refresh_token,
                    "expires_in": ttl.as_secs().to_string(),
                    "uid": account.user_id,
                    "actid": account.account_id
                }),
                now,
            )
        }
        Preset::Tradesmart => wire::ok(
            json!({
                "access_token": access_token,
                "USERID": account.user_id,
                "actid": account.account_id,
                "uname": account.name
            }),
            now,
        ),
        // Flattrade has no GenAcsTok route.
        Preset::Flattrade => Response::html_error(404),
    })
}

/// Kambala's reply, shaped like its documentation's sample: no `stat`, no `request_time`, and
/// `expires_in` as the expiry in unix seconds. Its `refresh_token` and `susertoken` are random
/// and accepted nowhere (Kambala has no RefreshToken and no jKey base here).
fn kambala_reply(account: &NorenAccount, access_token: &str, expires_at: u64) -> Response {
    Response::json(
        200,
        &json!({
            "USERID": account.user_id,
            "access_token": access_token,
            "expires_in": expires_at.to_string(),
            "refresh_token": random_token(),
            "scope": "0",
            "actid": account.account_id,
            "uname": account.name,
            "susertoken": random_token()
        }),
    )
}

/// The reply to an unknown, used or expired code: `Invalid authorization code` at Zebu (with
/// `request_time`), [`invalid_verifier`] elsewhere.
fn unknown_code(preset: Preset, uid: &str, context: &Context) -> Response {
    match preset {
        Preset::Zebu => wire::not_ok(
            preset.login_failure_status(),
            INVALID_AUTHORIZATION_CODE,
            context.now,
        ),
        _ => invalid_verifier(preset, uid),
    }
}

/// `{"stat":"Not_Ok","emsg":"Invalid Input : INVALID_VERIFIER","uid":…}` exactly as the
/// documentation's sample (no `request_time`). `uid` is the request's `uid` when sent, else the
/// code's user when the code is known, else empty (sim choice).
fn invalid_verifier(preset: Preset, uid: &str) -> Response {
    Response::json(
        preset.login_failure_status(),
        &json!({"stat": "Not_Ok", "emsg": INVALID_VERIFIER, "uid": uid}),
    )
}

/// `RefreshToken` (Zebu): a live refresh token gets a new access token and the access token it
/// handed out last is revoked (unless
/// [`SimOptions::revoke_on_refresh`](crate::SimOptions::revoke_on_refresh) is off); the refresh token stays valid until it expires
/// ([`SimOptions::refresh_token_ttl`](crate::SimOptions::refresh_token_ttl)) or its session logs
/// out. No Authorization header is needed (one sent is ignored).
pub(crate) fn refresh_token(
    noren: &mut NorenState,
    preset: Preset,
    body: &Body,
    context: &Context,
) -> Response {
    let now = context.now;
    let refresh_token = match body.required("refresh_token", now) {
        Ok(token) => token,
        Err(refusal) => return refusal,
    };
    let ttl = preset.session_ttl(context.token_ttl);
    match noren.refresh(
        refresh_token,
        preset,
        Base::OAuth,
        ttl,
        now,
        context.revoke_on_refresh,
    ) {
        Some(access_token) => wire::ok(
            json!({"access_token": access_token, "expires_in": ttl.as_secs().to_string()}),
            now,
        ),
        None => wire::not_ok(preset.login_failure_status(), INVALID_REFRESH_TOKEN, now),
    }
}
