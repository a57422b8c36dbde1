//! Flattrade's token service (PROTOCOLS.md §2.4): `POST /noren/flattrade/trade/apitoken`.

use serde_json::{Map, Value, json};

use crate::http::{Request, Response};
use crate::noren::Context;
use crate::noren::preset::{Base, Preset};
use crate::noren::state::NorenState;
use crate::noren::wire::{optional_string, sha256_hex};

/// `apitoken`: a JSON body (not jData) `{"api_key","request_code","api_secret"}` with
/// `api_secret` = SHA-256 hex of `api_key + request_code + secret`. The request code must come
/// from Flattrade's login page for that API key, unused and unexpired; it is used up on success
/// only. Success: `{"stat":"Ok","token":…,"client":…}` and a jKey session on PiConnectAPI.
///
/// Every failure is `{"status":"Not_Ok","emsg":""}`: PROTOCOLS.md reports Flattrade's emsg as
/// sometimes empty and `status` in place of `stat`, and the simulator sends exactly that so that
/// clients handle it. Wrong credentials answer HTTP 200; a body that is not a JSON object with
/// the three strings answers HTTP 400 (sim choice).
pub(crate) fn api_token(noren: &mut NorenState, request: &Request, context: &Context) -> Response {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&request.body) else {
        return failure(400);
    };
    let (Some(api_key), Some(request_code), Some(checksum)) = (
        string(&body, "api_key"),
        string(&body, "request_code"),
        string(&body, "api_secret"),
    ) else {
        return failure(400);
    };
    let preset = Preset::Flattrade;
    let now = context.now;
    let account = noren
        .live_code(request_code, preset, now)
        .and_then(|grant| noren.account(preset, &grant.user_id))
        .filter(|account| account.api_key == api_key)
        .filter(|account| {
            sha256_hex(&format!("{api_key}{request_code}{}", account.secret)) == checksum
        });
    let Some(account) = account else {
        return failure(preset.login_failure_status());
    };
    // An unregistered IP gets no token, and no reason either (PROTOCOLS.md §2.4, §8).
    if !context.options.ip_allowed(api_key, context.peer) {
        return failure(preset.login_failure_status());
    }
    let user_id = account.user_id.clone();
    noren.consume_code(request_code);
    let ttl = preset.session_ttl(context.token_ttl);
    let token = noren.open_session(preset, Base::PiConnect, &user_id, ttl, now);
    let reply = if context.options.flattrade_says_stat {
        json!({"stat": "Ok", "token": token, "client": user_id})
    } else {
        json!({"token": token, "client": user_id, "status": "Ok", "emsg": ""})
    };
    Response::json(200, &reply)
}

/// A string field of the body (`None` when missing or not a string).
fn string<'a>(body: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    optional_string(body, name).ok().flatten()
}

/// Flattrade's failure body with the given HTTP status.
fn failure(status: u16) -> Response {
    Response::json(status, &json!({"status": "Not_Ok", "emsg": ""}))
}
