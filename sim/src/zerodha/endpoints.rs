//! The Kite Connect API calls (PROTOCOLS.md §4.2): the token exchange, renewal, profile,
//! margins and logout, each checked the way Kite checks it.

use serde_json::{Value, json};

use crate::http::{Request, Response};
use crate::zerodha::Context;
use crate::zerodha::account::ZerodhaAccount;
use crate::zerodha::state::ZerodhaState;
use crate::zerodha::wire::{
    self, BAD_CHECKSUM, BAD_SESSION, BAD_TOKEN, authorization, error, ist_timestamp, ok, param,
    required, sha256_hex,
};

/// `POST /session/token`: `api_key`, `request_token`, `checksum` (SHA-256 hex of
/// `api_key + request_token + api_secret`). The checksum is checked before the token; the token
/// is used up only on success (sim choice). Every refusal is a 403 TokenException.
pub(crate) fn exchange(
    zerodha: &mut ZerodhaState,
    request: &Request,
    context: &Context,
) -> Response {
    try_exchange(zerodha, request, context).unwrap_or_else(|refusal| refusal)
}

fn try_exchange(
    zerodha: &mut ZerodhaState,
    request: &Request,
    context: &Context,
) -> Result<Response, Response> {
    let params = wire::params(request);
    let (account, request_token) = signed(zerodha, &params, "request_token")?;
    if !zerodha.request_token_is_live(request_token, &account.user_id, context.now) {
        return Err(error(403, "TokenException", BAD_TOKEN));
    }
    zerodha.consume_request_token(request_token);
    let access_token = zerodha.open_session(&account.user_id, context.token_ttl, context.now);
    let refresh_token = if account.refresh_tokens {
        zerodha.issue_refresh_token(
            &account.user_id,
            &access_token,
            context.refresh_token_ttl,
            context.now,
        )
    } else {
        String::new()
    };
    let mut data = profile_data(&account);
    if let Value::Object(fields) = &mut data {
        fields.extend([
            ("api_key".to_owned(), json!(account.api_key)),
            ("access_token".to_owned(), json!(access_token)),
            ("public_token".to_owned(), json!(wire::random_token())),
            ("enctoken".to_owned(), json!(wire::random_token())),
            ("refresh_token".to_owned(), json!(refresh_token)),
            ("silo".to_owned(), json!("")),
            ("login_time".to_owned(), json!(ist_timestamp(context.now))),
        ]);
    }
    Ok(ok(data))
}

/// The app and the token of a signed session call: `api_key`, the token
/// parameter `token_param`, and `checksum`, the SHA-256 hex of
/// `api_key + token + api_secret`, checked before anything else.
fn signed<'p>(
    zerodha: &ZerodhaState,
    params: &'p [(String, String)],
    token_param: &str,
) -> Result<(ZerodhaAccount, &'p str), Response> {
    let api_key = required(params, "api_key")?;
    let token = required(params, token_param)?;
    let checksum = required(params, "checksum")?;
    let account = zerodha
        .account_by_key(api_key)
        .cloned()
        .ok_or_else(|| error(403, "TokenException", "Invalid `api_key`."))?;
    if checksum != sha256_hex(&format!("{api_key}{token}{}", account.api_secret)) {
        return Err(error(403, "TokenException", BAD_CHECKSUM));
    }
    Ok((account, token))
}

/// `POST /session/refresh_token` (approved apps): `api_key`, `refresh_token`, `checksum`
/// (SHA-256 hex of `api_key + refresh_token + api_secret`). A new access token; the one the
/// refresh token handed out last is revoked unless `revoke_on_refresh` is off. The reply's
/// shape follows gokiteconnect's `UserSessionTokens` (PROTOCOLS.md §4.4: UNCONFIRMED).
pub(crate) fn renew(zerodha: &mut ZerodhaState, request: &Request, context: &Context) -> Response {
    try_renew(zerodha, request, context).unwrap_or_else(|refusal| refusal)
}

fn try_renew(
    zerodha: &mut ZerodhaState,
    request: &Request,
    context: &Context,
) -> Result<Response, Response> {
    let params = wire::params(request);
    let (account, refresh_token) = signed(zerodha, &params, "refresh_token")?;
    let access_token = zerodha
        .renew(
            refresh_token,
            &account.user_id,
            context.token_ttl,
            context.now,
            context.revoke_on_refresh,
        )
        .ok_or_else(|| error(403, "TokenException", BAD_TOKEN))?;
    Ok(ok(json!({
        "user_id": account.user_id,
        "access_token": access_token,
        "refresh_token": refresh_token,
    })))
}

/// The account of a request's `Authorization: token api_key:access_token`, when the token is a
/// live session of that app's user; else Kite's 403 TokenException.
pub(crate) fn authorized(
    zerodha: &ZerodhaState,
    request: &Request,
    context: &Context,
) -> Result<ZerodhaAccount, Response> {
    let refused = || error(403, "TokenException", BAD_SESSION);
    let (api_key, access_token) = authorization(request).ok_or_else(refused)?;
    let user_id = zerodha
        .session_user(access_token, context.now)
        .ok_or_else(refused)?;
    zerodha
        .account(user_id)
        .filter(|account| account.api_key == api_key)
        .cloned()
        .ok_or_else(refused)
}

/// `GET /user/profile`.
pub(crate) fn profile(account: &ZerodhaAccount) -> Response {
    ok(profile_data(account))
}

/// The profile's `data`, as PROTOCOLS.md §4.4's mock: `avatar_url` null, no mobile number.
fn profile_data(account: &ZerodhaAccount) -> Value {
    json!({
        "user_id": account.user_id,
        "user_type": "individual",
        "email": account.email,
        "user_name": account.user_name,
        "user_shortname": account.user_shortname,
        "broker": "ZERODHA",
        "exchanges": ["NSE", "NFO", "BFO", "CDS", "BSE", "MCX", "BCD", "MF"],
        "products": ["CNC", "NRML", "MIS", "BO", "CO"],
        "order_types": ["MARKET", "LIMIT", "SL", "SL-M"],
        "avatar_url": null,
        "meta": {"demat_consent": "physical"}
    })
}

/// `GET /user/margins` (both segments) or `/user/margins/<segment>` (that segment's object).
pub(crate) fn margins(account: &ZerodhaAccount, segment: Option<&str>) -> Response {
    match segment {
        None => ok(account.margins.clone()),
        Some(name) => ok(account.margins.get(name).cloned().unwrap_or(Value::Null)),
    }
}

/// `DELETE /session/token?api_key=…&access_token=…` (logout) or `…&refresh_token=…` (drop a
/// refresh token), authorized by a live session of the same app. Answers `data: true`.
pub(crate) fn invalidate(
    zerodha: &mut ZerodhaState,
    account: &ZerodhaAccount,
    request: &Request,
) -> Response {
    let params = wire::params(request);
    let api_key = match required(&params, "api_key") {
        Ok(key) => key,
        Err(refusal) => return refusal,
    };
    if api_key != account.api_key {
        return error(403, "TokenException", BAD_SESSION);
    }
    let done = match (
        param(&params, "access_token"),
        param(&params, "refresh_token"),
    ) {
        (Some(access), _) if !access.is_empty() => zerodha.revoke_session(access, &account.user_id),
        (_, Some(refresh)) if !refresh.is_empty() => {
            zerodha.revoke_refresh_token(refresh, &account.user_id)
        }
        _ => {
            return error(
                400,
                "InputException",
                "Missing `access_token` or `refresh_token`.",
            );
        }
    };
    if done {
        ok(json!(true))
    } else {
        error(403, "TokenException", BAD_TOKEN)
    }
}
