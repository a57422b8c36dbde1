//! Dhan's auth host (PROTOCOLS.md §7.2): generate-consent, the consent login page,
//! consumeApp-consent, and generateAccessToken (PIN + TOTP in the query string).

use std::time::SystemTime;

use serde_json::json;

use crate::dhan::account::DhanAccount;
use crate::dhan::state::DhanState;
use crate::dhan::wire::{Consumer, auth_error, ist_day, ist_expiry};
use crate::http::{Request, Response};
use crate::time::unix_secs;
use crate::web::{html_escape, page, query_param, redirect, with_query};

/// "User can generate upto 25 consentAppId in a day" (PROTOCOLS.md §7.2).
pub(crate) const CONSENTS_PER_DAY: u32 = 25;

/// The cap's refusal: its shape is UNCONFIRMED.
pub(crate) const CONSENT_CAP_MESSAGE: &str =
    "You have reached the maximum limit of 25 consentAppId for the day";

/// Whether the request's `app_id` and `app_secret` headers are the account's app.
fn app_matches(request: &Request, account: &DhanAccount) -> bool {
    request.header("app_id") == Some(account.app_id.as_str())
        && request.header("app_secret") == Some(account.app_secret.as_str())
}

/// `POST /app/generate-consent?client_id=<id>` with `app_id` and `app_secret`.
pub(crate) fn generate_consent(
    dhan: &mut DhanState,
    request: &Request,
    now: SystemTime,
) -> Response {
    let Some(client_id) = query_param(request.query.as_deref(), "client_id") else {
        return auth_error(400, "client_id is required");
    };
    let Some(account) = dhan.account(&client_id) else {
        return auth_error(400, "Invalid client_id");
    };
    if !app_matches(request, account) {
        return auth_error(401, "Invalid app_id or app_secret");
    }
    match dhan.generate_consent(&client_id, ist_day(now), CONSENTS_PER_DAY) {
        Some(id) => Response::json(
            200,
            &json!({"consentAppId": id, "consentAppStatus": "GENERATED", "status": "success"}),
        ),
        None => auth_error(429, CONSENT_CAP_MESSAGE),
    }
}

/// `GET /login/consentApp-login?consentAppId=<id>`: the user "logs in" (no form to fill in) and
/// the page redirects to the app's redirect URL with a fresh single-use `tokenId`. A consent
/// gives one tokenId; an unknown or used consent gets a 400 page.
pub(crate) fn consent_page(dhan: &mut DhanState, request: &Request, now: SystemTime) -> Response {
    let consent = query_param(request.query.as_deref(), "consentAppId").unwrap_or_default();
    let Some((client_id, token_id)) = dhan.consent_login(&consent, now) else {
        return page(
            400,
            "Unknown consent",
            "<p>This consentAppId is unknown or was already used: generate a new consent.</p>",
        );
    };
    let redirect_url = dhan
        .account(&client_id)
        .map(|a| a.redirect_url.clone())
        .unwrap_or_default();
    redirect(&with_query(&redirect_url, &[("tokenId", &token_id)]))
}

/// `GET /dhan/callback?tokenId=…`: shows the tokenId to a person doing the login by hand.
pub(crate) fn callback(request: &Request) -> Response {
    match query_param(request.query.as_deref(), "tokenId") {
        Some(token_id) if !token_id.is_empty() => page(
            200,
            "Dhan tokenId",
            &format!("<p>tokenId: <code>{}</code></p>", html_escape(&token_id)),
        ),
        _ => page(400, "No tokenId", "<p>The redirect carried no tokenId.</p>"),
    }
}

/// `GET /app/consumeApp-consent?tokenId=<id>` with the app's headers: the session's token. POST
/// is accepted too, as a user found the real server does (PROTOCOLS.md §7.2).
pub(crate) fn consume_consent(
    dhan: &mut DhanState,
    request: &Request,
    now: SystemTime,
) -> Response {
    let token_id = query_param(request.query.as_deref(), "tokenId").unwrap_or_default();
    let Some(client_id) = dhan.token_id(&token_id, now).map(|t| t.client_id.clone()) else {
        return auth_error(400, "Invalid or expired tokenId");
    };
    let Some(account) = dhan.account(&client_id).cloned() else {
        return auth_error(400, "Invalid or expired tokenId");
    };
    if !app_matches(request, &account) {
        return auth_error(401, "Invalid app_id or app_secret");
    }
    dhan.consume_token_id(&token_id);
    let (token, expires_at) = dhan.issue(&client_id, Consumer::App, Some(&account.app_id), now);
    Response::json(
        200,
        &login_reply(&account, &token, &ist_expiry(expires_at, false)),
    )
}

/// `POST /app/generateAccessToken?dhanClientId=…&pin=…&totp=…`, no body.
pub(crate) fn generate_access_token(
    dhan: &mut DhanState,
    request: &Request,
    now: SystemTime,
) -> Response {
    let query = request.query.as_deref();
    let (Some(client_id), Some(pin), Some(totp)) = (
        query_param(query, "dhanClientId"),
        query_param(query, "pin"),
        query_param(query, "totp"),
    ) else {
        return auth_error(
            400,
            "dhanClientId, pin and totp are required query parameters",
        );
    };
    if !request.body.is_empty() {
        return auth_error(
            400,
            "dhanClientId, pin and totp go in the query string, not the body",
        );
    }
    let Some(account) = dhan.account(&client_id).cloned() else {
        return auth_error(400, "Invalid Client ID");
    };
    if pin != account.pin {
        return auth_error(401, "Invalid Pin");
    }
    if !crate::totp::is_valid(&account.totp_secret, &totp, unix_secs(now)) {
        return auth_error(401, "Invalid TOTP");
    }
    let (token, expires_at) = dhan.issue(&client_id, Consumer::User, None, now);
    Response::json(
        200,
        &login_reply(&account, &token, &ist_expiry(expires_at, true)),
    )
}

/// The login replies' fields (PROTOCOLS.md §7.2).
fn login_reply(account: &DhanAccount, token: &str, expiry: &str) -> serde_json::Value {
    json!({
        "dhanClientId": account.client_id,
        "dhanClientName": account.name,
        "dhanClientUcc": account.ucc,
        "givenPowerOfAttorney": true,
        "accessToken": token,
        "expiryTime": expiry,
    })
}
