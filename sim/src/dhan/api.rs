//! Dhan's REST API (PROTOCOLS.md §7.3, §7.4): `/v2/profile`, `/v2/fundlimit` and
//! `/v2/RenewToken`, each behind the token check.

use std::time::SystemTime;

use serde_json::json;

use crate::dhan::state::{DhanState, Token};
use crate::dhan::wire::{
    Consumer, api_error, input_exception, invalid_authentication, ist_expiry, token_validity,
};
use crate::http::{Request, Response};

/// The token of a request (`access-token`), checked: live, and owned by the client the
/// request names in `client-id` or `dhanClientId` (either may be absent, except where
/// `required_client_header` says). Every failure is DH-901, as the real API answers.
pub(crate) fn authenticate(
    dhan: &DhanState,
    request: &Request,
    required_client_header: Option<&str>,
    now: SystemTime,
) -> Result<(String, Token), Response> {
    if let Some(name) = required_client_header {
        if request.header(name).is_none_or(|v| v.trim().is_empty()) {
            return Err(input_exception(&format!("Missing required header: {name}")));
        }
    }
    let text = request.header("access-token").unwrap_or_default().trim();
    let token = dhan
        .live_token(text, now)
        .cloned()
        .ok_or_else(invalid_authentication)?;
    for name in ["client-id", "dhanclientid"] {
        if request
            .header(name)
            .is_some_and(|client| client.trim() != token.client_id)
        {
            return Err(invalid_authentication());
        }
    }
    Ok((text.to_owned(), token))
}

/// `GET /v2/profile`.
pub(crate) fn profile(dhan: &DhanState, token: &Token) -> Response {
    let Some(account) = dhan.account(&token.client_id) else {
        return invalid_authentication();
    };
    if !account.api_access {
        return no_access();
    }
    Response::json(
        200,
        &json!({
            "dhanClientId": account.client_id,
            "tokenValidity": token_validity(token.expires_at),
            "activeSegment": account.active_segment,
            "ddpi": "Active",
            "mtf": "Active",
            "dataPlan": "Active",
            "dataValidity": "2026-12-31 23:59:59.0",
        }),
    )
}

/// `GET /v2/fundlimit`.
pub(crate) fn fund_limit(dhan: &DhanState, token: &Token) -> Response {
    let Some(account) = dhan.account(&token.client_id) else {
        return invalid_authentication();
    };
    if !account.api_access {
        return no_access();
    }
    let mut body = json!({"dhanClientId": account.client_id});
    if let (Some(out), Some(fields)) = (body.as_object_mut(), account.fund_limit.as_object()) {
        for (key, value) in fields {
            out.insert(key.clone(), value.clone());
        }
    }
    Response::json(200, &body)
}

/// `GET /v2/RenewToken`: a new token for another 24 hours; the old one dies at once. Only
/// tokens the user generated (web.dhan.co, PIN + TOTP) are renewed: the docs say "only for
/// tokens generated from Dhan Web"; an app's consent token is refused (UNCONFIRMED).
pub(crate) fn renew(dhan: &mut DhanState, old: &str, token: &Token, now: SystemTime) -> Response {
    if token.consumer == Consumer::App {
        return input_exception(
            "Token renewal is available only for tokens generated from Dhan Web",
        );
    }
    dhan.revoke(old);
    let (fresh, expires_at) = dhan.issue(&token.client_id, token.consumer, None, now);
    Response::json(
        200,
        &json!({
            "dhanClientId": token.client_id,
            "accessToken": fresh,
            "expiryTime": ist_expiry(expires_at, false),
        }),
    )
}

/// HTTP 403 DH-902: the account has no access to the APIs.
fn no_access() -> Response {
    api_error(
        403,
        "Invalid_Access",
        "DH-902",
        "User has not subscribed to Data APIs or does not have access to Trading APIs",
    )
}

/// HTTP 429 DH-904.
pub(crate) fn rate_limited() -> Response {
    api_error(
        429,
        "Rate_Limit",
        "DH-904",
        "Too many requests on server from single user breaching rate limits. Try throttling API calls.",
    )
}
