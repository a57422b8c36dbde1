//! Noren replies: `stat`/`emsg` classification and the mapping of
//! UserDetails and Limits to the normalized results.

use super::super::{TOTP_REFUSED, string_list, text_field, with_clock_check};
use crate::error::{Error, Reason, Result, Status};
use crate::http::{self, Response};
use crate::model::{Funds, Money, Profile};
use crate::operation::Operation;
use serde_json::Value;

/// The reply object when `stat` is `Ok` (Flattrade may say `status`), or
/// the classified error. A login reply without `stat` but with a token is a
/// success: Kambala's GenAcsTok sample has no `stat`. A reply that is not a
/// JSON object with `stat` falls back to the transport classes, whatever its
/// HTTP status; one with `stat` is classified by it, whatever its status.
pub fn parse_reply(op: Operation, response: &Response) -> Result<Value> {
    let reply = match serde_json::from_slice::<Value>(&response.body) {
        Ok(reply @ Value::Object(_)) => reply,
        _ => return Err(http::classify_non_json(response)),
    };
    let stat = reply
        .get("stat")
        .or_else(|| reply.get("status"))
        .and_then(Value::as_str);
    match stat {
        Some(s) if s.eq_ignore_ascii_case("ok") => Ok(reply),
        Some(_) => Err(with_clock_check(
            error_for_emsg(op, &text_field(&reply, "emsg")).with_http_status(response.status),
            response,
        )),
        None if op == Operation::Login && has_token(&reply) && response.status < 300 => Ok(reply),
        None if response.status >= 300 => Err(http::classify_non_json(response)),
        None => Err(Error::protocol("the reply has no \"stat\"").with_http_status(response.status)),
    }
}

fn has_token(reply: &Value) -> bool {
    ["access_token", "susertoken", "token"]
        .iter()
        .any(|k| !text_field(reply, k).is_empty())
}

/// Classes an `emsg` by its words: spacing and case vary between brokers.
pub fn error_for_emsg(op: Operation, emsg: &str) -> Error {
    let words = emsg
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase();
    let has = |needle: &str| words.contains(needle);
    let auth = |message: &str| Error::new(Status::Auth, message);
    let error = if has("invalid refresh token") {
        Error::new(
            Status::SessionExpired,
            "the refresh token was refused: log in again",
        )
    } else if has("session expired") || has("invalid session key") {
        let message = if op == Operation::Refresh {
            "the refresh was refused: log in again"
        } else {
            RELOGIN
        };
        Error::new(Status::SessionExpired, message)
    } else if has("invalid_ip") || has("invalid ip") {
        auth(IP_NOT_REGISTERED).with_reason(Reason::IpNotRegistered)
    } else if has("invalid_verifier") || has("invalid authorization code") {
        auth(BAD_CODE)
    } else if has("wrong password") {
        auth("the password was refused: check \"password\" and \"user_id\"")
    } else if has("password expired") {
        auth("the password has expired: change it on the broker's web site, then log in again")
            .with_reason(Reason::PasswordChangeRequired)
    } else if has("change password") {
        auth("the broker requires a password change: change it on the broker's web site, then log in again")
            .with_reason(Reason::PasswordChangeRequired)
    } else if has("not enabled") && has("api") {
        auth("this account is not enabled for API access: ask the broker to enable it (or enable it in the broker's API settings)")
            .with_reason(Reason::ApiNotEnabled)
    } else if has("invalid vendor code") || has("invalid api key") {
        auth(
            "the vendor code or API key was refused (it may have expired): check \"vendor_code\" and \"api_secret\"",
        )
    } else if has("invalid otp") || has("invalid totp") {
        auth(TOTP_REFUSED).with_reason(Reason::TotpRejected)
    } else if op == Operation::Login && words.is_empty() {
        // Flattrade's token service refuses an unregistered IP with an empty
        // emsg (PROTOCOLS.md §2.4, §8).
        auth(EMPTY_LOGIN_REFUSAL).with_reason(Reason::IpNotRegistered)
    } else {
        let shown = if emsg.trim().is_empty() {
            "(no message)"
        } else {
            emsg.trim()
        };
        Error::new(
            Status::Broker,
            format!("the broker reported an error: {shown}"),
        )
        .retryable(has("server timeout"))
    };
    error.with_broker(None, Some(emsg.trim().to_string()))
}

const RELOGIN: &str = "the session is no longer valid: log in again";
const IP_NOT_REGISTERED: &str = "the broker refused this machine's IP address: register this machine's static IP for the API app in the broker's API settings, then log in again";
const EMPTY_LOGIN_REFUSAL: &str = "the broker refused the login without saying why: most often this machine's IP is not the static IP registered for the API key (register it in the broker's API settings); else the code was used already or expired, or api_key/secret are wrong";
const BAD_CODE: &str = "the login code was refused: it may be used already or expired, or client_id/secret (api_key for Flattrade) are wrong; log in again in the browser";

/// The normalized profile from a UserDetails reply.
pub fn profile_from(reply: Value, user_id: &str) -> Profile {
    let uid = text_field(&reply, "uid");
    let products = match reply.get("prarr") {
        Some(Value::Array(items)) => items.iter().filter_map(product_name).collect(),
        other => string_list(other),
    };
    Profile {
        broker: "noren",
        user_id: if uid.is_empty() {
            user_id.to_string()
        } else {
            uid
        },
        name: text_field(&reply, "uname"),
        email: text_field(&reply, "email"),
        mobile: text_field(&reply, "m_num"),
        exchanges: string_list(reply.get("exarr")),
        products,
        raw: reply,
    }
}

/// `{"prd":"C","s_prdt_ali":"CNC",...}` -> "CNC"; a bare string as itself.
fn product_name(item: &Value) -> Option<String> {
    let name = match item {
        Value::String(s) => s.clone(),
        Value::Object(_) => {
            let alias = text_field(item, "s_prdt_ali");
            if alias.is_empty() {
                text_field(item, "prd")
            } else {
                alias
            }
        }
        _ => String::new(),
    };
    (!name.is_empty()).then_some(name)
}

/// The normalized funds from a Limits reply. Available cash is
/// `cash + payin - marginused`; net adds the collateral (`brkcollamt`).
pub fn funds_from(reply: Value) -> Result<Funds> {
    let money = |key: &str| {
        Money::from_wire(reply.get(key))
            .map_err(|why| Error::protocol(format!("the Limits field \"{key}\" {why}")))
    };
    let cash = money("cash")?;
    let payin = money("payin")?;
    let used = money("marginused")?;
    let collateral = money("brkcollamt")?;
    let unrealized = if reply.get("unmtom").is_some() {
        money("unmtom")?
    } else {
        money("urmtom")?
    };
    let overflow = || Error::protocol("the Limits amounts are too large to add up");
    let available = cash
        .checked_add(payin)
        .and_then(|v| v.checked_sub(used))
        .ok_or_else(overflow)?;
    Ok(Funds {
        broker: "noren",
        available_cash: available,
        net: available.checked_add(collateral).ok_or_else(overflow)?,
        used_margin: used,
        collateral,
        payin,
        payout: money("payout")?,
        m2m_realized: money("rpnl")?,
        m2m_unrealized: unrealized,
        raw: reply,
    })
}

#[cfg(test)]
mod tests;
