//! The five Angel One operations, after the header and rate-limit checks have passed.

use std::time::SystemTime;

use serde_json::{Map, Value, json};

use crate::angel::Endpoint;
use crate::angel::envelope::{
    self, AMX_ERROR, APPS_NOT_FOUND, ERROR_NOT_SPECIFIED, INVALID_REFRESH_TOKEN, INVALID_TOTP,
    REFRESH_TOKEN_EXPIRED,
};
use crate::angel::gateway::{ExpiredJwt, authorize};
use crate::angel::sessions::{AngelState, Lifetimes};
use crate::http::{Request, Response};
use crate::time::{has_passed, unix_secs};

/// The exchanges getProfile lists for every account.
const EXCHANGES: [&str; 6] = ["nse_cm", "nse_fo", "bse_cm", "bse_fo", "mcx_fo", "cde_fo"];
/// The products getProfile lists for every account.
const PRODUCTS: [&str; 6] = ["MARGIN", "MIS", "NRML", "CNC", "CO", "BO"];

/// What an operation needs besides the state and the request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CallContext {
    /// Token lifetimes for new sessions.
    pub(crate) lifetimes: Lifetimes,
    /// Whether generateTokens revokes the session it replaces.
    pub(crate) revoke_on_refresh: bool,
    /// The time of the request.
    pub(crate) now: SystemTime,
}

/// Runs one operation and returns its reply.
pub(crate) fn serve(
    angel: &mut AngelState,
    endpoint: Endpoint,
    request: &Request,
    context: CallContext,
) -> Response {
    let outcome = match endpoint {
        Endpoint::Login => login(angel, request, context),
        Endpoint::GenerateTokens => generate_tokens(angel, request, context),
        Endpoint::Profile => profile(angel, request, context),
        Endpoint::Rms => rms(angel, request, context),
        Endpoint::Logout => logout(angel, request, context),
    };
    outcome.unwrap_or_else(|refusal| refusal)
}

/// `loginByPassword`: checks the API key, client code, MPIN and TOTP, then opens a session.
fn login(
    angel: &mut AngelState,
    request: &Request,
    context: CallContext,
) -> Result<Response, Response> {
    let body = json_object(request)?;
    let client_code = required_string(&body, "clientcode")?;
    let pin = required_string(&body, "password")?;
    let totp_code = required_string(&body, "totp")?;
    let state = match body.get("state") {
        None | Some(Value::Null) => "",
        Some(Value::String(state)) => state.as_str(),
        Some(_) => return Err(envelope::bad_request("state must be a string")),
    };
    let api_key = request.header("x-privatekey").unwrap_or_default();
    let Some(key_owner) = angel.account_by_key(api_key) else {
        return Err(envelope::service_error(APPS_NOT_FOUND));
    };
    let key_owner = key_owner.client_code.clone();
    let Some(account) = angel.account(client_code) else {
        return Err(envelope::service_error(AMX_ERROR));
    };
    if key_owner != client_code {
        return Err(envelope::service_error(APPS_NOT_FOUND));
    }
    if !(pin.len() == 4 && pin.bytes().all(|b| b.is_ascii_digit())) {
        return Err(envelope::service_error(envelope::MPIN_REQUIRED));
    }
    if account.pin != pin {
        return Err(envelope::service_error(AMX_ERROR));
    }
    if !crate::totp::is_valid(&account.totp_secret, totp_code, unix_secs(context.now)) {
        return Err(envelope::service_error(INVALID_TOTP));
    }
    let tokens = angel.open_session(client_code, context.lifetimes, context.now);
    Ok(envelope::success(&json!({
        "jwtToken": tokens.jwt,
        "refreshToken": tokens.refresh_token,
        "feedToken": tokens.feed_token,
        "state": state
    })))
}

/// `generateTokens`: trades the session's refresh token (with its jwt, expired or not) for a new
/// session; the old one is revoked when the options say so.
fn generate_tokens(
    angel: &mut AngelState,
    request: &Request,
    context: CallContext,
) -> Result<Response, Response> {
    let jwt = authorize(angel, request, ExpiredJwt::Accept, context.now)?;
    let body = json_object(request)?;
    let refresh_token = required_string(&body, "refreshToken")?;
    let Some(session) = angel.session(&jwt) else {
        return Err(envelope::service_error(INVALID_REFRESH_TOKEN));
    };
    if session.refresh_token != refresh_token {
        return Err(envelope::service_error(INVALID_REFRESH_TOKEN));
    }
    if has_passed(session.refresh_expires_at, context.now) {
        return Err(envelope::service_error(REFRESH_TOKEN_EXPIRED));
    }
    let client_code = session.client_code.clone();
    let tokens = angel.open_session(&client_code, context.lifetimes, context.now);
    if context.revoke_on_refresh {
        angel.revoke(&jwt);
    }
    Ok(envelope::success(&json!({
        "jwtToken": tokens.jwt,
        "refreshToken": tokens.refresh_token,
        "feedToken": tokens.feed_token
    })))
}

/// `getProfile`: the account holder's details.
fn profile(
    angel: &mut AngelState,
    request: &Request,
    context: CallContext,
) -> Result<Response, Response> {
    let jwt = authorize(angel, request, ExpiredJwt::Refuse, context.now)?;
    let account = session_account(angel, &jwt)?;
    Ok(envelope::success(&json!({
        "clientcode": account.client_code,
        "name": account.name,
        "email": account.email,
        "mobileno": account.mobile,
        "exchanges": EXCHANGES,
        "products": PRODUCTS,
        "lastlogintime": "",
        "broker": ""
    })))
}

/// `getRMS`: the account's funds, verbatim.
fn rms(
    angel: &mut AngelState,
    request: &Request,
    context: CallContext,
) -> Result<Response, Response> {
    let jwt = authorize(angel, request, ExpiredJwt::Refuse, context.now)?;
    let account = session_account(angel, &jwt)?;
    Ok(envelope::success(&account.rms))
}

/// `logout`: ends the session of the jwt when the body names its client.
fn logout(
    angel: &mut AngelState,
    request: &Request,
    context: CallContext,
) -> Result<Response, Response> {
    let jwt = authorize(angel, request, ExpiredJwt::Refuse, context.now)?;
    let body = json_object(request)?;
    let client_code = required_string(&body, "clientcode")?;
    let owner = session_account(angel, &jwt)?;
    if owner.client_code != client_code {
        return Err(envelope::service_error(ERROR_NOT_SPECIFIED));
    }
    angel.revoke(&jwt);
    Ok(envelope::success(&json!("")))
}

/// The account of an authorized jwt's session.
fn session_account<'a>(
    angel: &'a AngelState,
    jwt: &str,
) -> Result<&'a crate::angel::AngelAccount, Response> {
    angel
        .session(jwt)
        .and_then(|session| angel.account(&session.client_code))
        .ok_or_else(|| envelope::gateway_error(envelope::INVALID_TOKEN))
}

/// The request body as a JSON object, or a 400.
fn json_object(request: &Request) -> Result<Map<String, Value>, Response> {
    match serde_json::from_slice(&request.body) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(envelope::bad_request("the body must be a JSON object")),
    }
}

/// A string field of the body, or a 400.
fn required_string<'a>(body: &'a Map<String, Value>, name: &str) -> Result<&'a str, Response> {
    body.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| envelope::bad_request(&format!("{name} must be a string")))
}
