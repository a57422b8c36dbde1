//! Fyers' JSON endpoints (PROTOCOLS.md §6.1–§6.5): the token exchange, the legacy refresh, and a
//! session's profile, funds and logout, each with the broker's envelope.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::time::Instant;

use crate::fyers::Context;
use crate::fyers::state::{FyersState, Lookup, Session, ist_day};
use crate::http::{Request, Response};
use crate::time::unix_secs;

/// `{"s":"ok","code":200,"message":"",…fields}`.
fn ok(message: &str, fields: Value) -> Response {
    let mut body = Map::new();
    body.insert("s".into(), json!("ok"));
    body.insert("code".into(), json!(200));
    body.insert("message".into(), json!(message));
    if let Value::Object(fields) = fields {
        body.extend(fields);
    }
    Response::json(200, &Value::Object(body))
}

/// `{"s":"error","code":<code>,"message":<message>}` with an HTTP status.
pub(crate) fn error(status: u16, code: i32, message: &str) -> Response {
    Response::json(
        status,
        &json!({"s": "error", "code": code, "message": message}),
    )
}

/// -50: a body that is not a JSON object.
fn invalid_parameters(what: &str) -> Response {
    error(400, -50, &format!("invalid parameters: {what}"))
}
/// -441: `grant_type` missing or wrong (the Python SDK sends `null` when the caller omits it).
fn invalid_grant_type() -> Response {
    error(400, -441, "invalid grant type")
}
/// -371: `appIdHash` missing or not SHA-256 of `app_id:app_secret`.
fn bad_hash() -> Response {
    error(
        400,
        -371,
        "Please provide sha256 hash of appId and app secret",
    )
}
/// -374: no `code`.
fn no_code() -> Response {
    error(400, -374, "Please provide authorization code.")
}

/// The error of a code or token that is not live: -15 unknown, -17 used or revoked, -8 expired
/// (sim choice of codes from PROTOCOLS.md §6.5; HTTP 401).
fn token_refused<T>(lookup: &Lookup<T>) -> Response {
    match lookup {
        Lookup::Expired => error(401, -8, "token is Expired"),
        Lookup::Revoked => error(401, -17, "token is passed is either Invalid or Expired"),
        Lookup::Unknown | Lookup::Live(_) => error(401, -15, "Invalid token is provided"),
    }
}

/// Lowercase hex SHA-256 of `app_id:app_secret`, the `appIdHash`.
pub(crate) fn app_id_hash(app_id: &str, app_secret: &str) -> String {
    hex::encode(Sha256::digest(format!("{app_id}:{app_secret}").as_bytes()))
}

/// The request body as a JSON object.
fn json_body(request: &Request) -> Result<Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(&request.body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(invalid_parameters("the body must be a JSON object")),
    }
}

/// A string field of a body ("" when missing or not a string).
fn field<'a>(body: &'a Map<String, Value>, name: &str) -> &'a str {
    body.get(name).and_then(Value::as_str).unwrap_or("")
}

/// Counts a request of `fy_id` against the limits; the -429 reply when over.
fn within_limits(fyers: &mut FyersState, fy_id: &str, context: &Context) -> Result<(), Response> {
    if !context.rate_limits {
        return Ok(());
    }
    let limits = fyers.limits;
    let day = ist_day(unix_secs(context.now));
    fyers
        .limiter
        .check(fy_id, limits, Instant::now(), day)
        .map_err(|refusal| error(429, -429, &refusal.message()))
}

/// `POST /validate-authcode`, JSON `{"grant_type":"authorization_code","appIdHash":…,"code":…}`:
/// checks the grant type, the code (issued, unused, unexpired) and the hash of the code's app,
/// then opens a session and uses the code up.
pub(crate) fn validate_authcode(
    fyers: &mut FyersState,
    request: &Request,
    context: &Context,
) -> Response {
    let body = match json_body(request) {
        Ok(body) => body,
        Err(refusal) => return refusal,
    };
    if field(&body, "grant_type") != "authorization_code" {
        return invalid_grant_type();
    }
    let code = field(&body, "code");
    if code.is_empty() {
        return no_code();
    }
    let app_id = match fyers.code(code, context.now) {
        Lookup::Live(app_id) => app_id,
        refused => return token_refused(&refused),
    };
    let Some(account) = fyers.account(&app_id).cloned() else {
        return token_refused(&Lookup::<()>::Unknown);
    };
    if field(&body, "appIdHash") != app_id_hash(&account.app_id, &account.app_secret) {
        return bad_hash();
    }
    if let Err(refusal) = within_limits(fyers, &account.fy_id, context) {
        return refusal;
    }
    fyers.use_code(code);
    let (access, refresh) = fyers.open_session(&account, context.token_ttl, context.now);
    ok(
        "",
        json!({"access_token": access, "refresh_token": refresh}),
    )
}

/// `POST /validate-refresh-token` (legacy, PROTOCOLS.md §6.2), JSON
/// `{"grant_type":"refresh_token","appIdHash":…,"refresh_token":…,"pin":…}`: a new access token,
/// no new refresh token. A wrong PIN is -16 (sim choice: the codes are not published).
pub(crate) fn validate_refresh_token(
    fyers: &mut FyersState,
    request: &Request,
    context: &Context,
) -> Response {
    let body = match json_body(request) {
        Ok(body) => body,
        Err(refusal) => return refusal,
    };
    if field(&body, "grant_type") != "refresh_token" {
        return invalid_grant_type();
    }
    let refresh_token = field(&body, "refresh_token");
    let (app_id, fy_id) = match fyers.refresh_grant(refresh_token, context.now) {
        Lookup::Live(grant) => grant,
        refused => return token_refused(&refused),
    };
    let Some(account) = fyers.account(&app_id).cloned() else {
        return token_refused(&Lookup::<()>::Unknown);
    };
    if field(&body, "appIdHash") != app_id_hash(&account.app_id, &account.app_secret) {
        return bad_hash();
    }
    if field(&body, "pin") != account.pin {
        return error(401, -16, "Could not authenticate the user");
    }
    if let Err(refusal) = within_limits(fyers, &fy_id, context) {
        return refusal;
    }
    match fyers.refresh(
        refresh_token,
        context.token_ttl,
        context.now,
        context.revoke_on_refresh,
    ) {
        Some(access) => ok("", json!({"access_token": access})),
        None => token_refused(&Lookup::<()>::Unknown),
    }
}

/// The session an authenticated call carries in `Authorization: <app_id>:<access_token>` (no
/// `Bearer`): -16 without such a header, -15/-17/-8 for a token that is not live, -352 when the
/// app id is not the token's app.
fn authenticate(
    fyers: &FyersState,
    request: &Request,
    context: &Context,
) -> Result<Session, Response> {
    let header = request.header("authorization").unwrap_or("");
    let Some((app_id, token)) = header.split_once(':') else {
        return Err(error(401, -16, "Could not authenticate the user"));
    };
    let session = match fyers.session(token, context.now) {
        Lookup::Live(session) => session,
        refused => return Err(token_refused(&refused)),
    };
    if app_id != session.app_id {
        return Err(error(403, -352, "invalid App ID"));
    }
    Ok(session)
}

/// What an authenticated endpoint does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Call {
    /// `GET /profile`.
    Profile,
    /// `GET /funds`.
    Funds,
    /// `POST /logout` (body `{}`, `null` or none).
    Logout,
}

/// Serves an authenticated call: authentication, the limits, then the call.
pub(crate) fn serve(
    fyers: &mut FyersState,
    call: Call,
    request: &Request,
    context: &Context,
) -> Response {
    let session = match authenticate(fyers, request, context) {
        Ok(session) => session,
        Err(refusal) => return refusal,
    };
    if let Err(refusal) = within_limits(fyers, &session.fy_id, context) {
        return refusal;
    }
    let Some(account) = fyers.account(&session.app_id).cloned() else {
        return token_refused(&Lookup::<()>::Unknown);
    };
    match call {
        Call::Profile => ok("", json!({"data": account.profile})),
        Call::Funds => ok("", json!({"fund_limit": account.fund_limit})),
        Call::Logout => {
            let token = request
                .header("authorization")
                .and_then(|h| h.split_once(':'))
                .map_or("", |(_, token)| token);
            fyers.log_out(token);
            ok("you are successfully logged out", json!({}))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_id_hash_matches_the_protocols_test_vector() {
        assert_eq!(
            app_id_hash("XC4EOD67IM-100", "MH8KD7TJ5W"),
            "145fe06b4274dd7e474880ca297b132590977a046052229dca5a8f449bab801e"
        );
    }
}
