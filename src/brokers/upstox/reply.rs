//! Upstox replies (PROTOCOLS.md §5.4–§5.6, §5.8): the `status`/`data`
//! envelope, the flat token-exchange reply, the error envelope with both key
//! spellings, and the mapping of profile and funds (v3 and v2) to the
//! normalized results.

use super::super::{string_list, text_field};
use crate::error::{Error, Result, Status};
use crate::http::{self, Response};
use crate::model::{Funds, Money, Profile};
use crate::operation::Operation;
use serde_json::Value;

/// The error code of a request Upstox does not serve (a bad URL): one of the
/// two signs that v3 funds are not there (PROTOCOLS.md §5.5).
pub(super) const NOT_SUPPORTED: &str = "UDAPI10000";

/// Reads a reply: `data` of a `{"status":"success","data":…}` envelope, the
/// whole object of a flat token-exchange reply (`op` is login and it holds
/// `access_token`), or the classified error. The error envelope is read
/// whatever the HTTP status; a reply without one is classed by its HTTP
/// status (§5.6).
pub fn parse_reply(op: Operation, response: &Response) -> Result<Value> {
    let status = response.status;
    let mut reply = match serde_json::from_slice::<Value>(&response.body) {
        Ok(reply @ Value::Object(_)) => reply,
        _ => return Err(without_envelope(op, response)),
    };
    if let Some(Value::Array(errors)) = reply.get("errors") {
        let first = errors.first().unwrap_or(&Value::Null);
        let code = [
            text_field(first, "error_code"),
            text_field(first, "errorCode"),
        ]
        .into_iter()
        .find(|c| !c.trim().is_empty())
        .unwrap_or_default();
        let message = text_field(first, "message");
        return Err(error_for_code(op, code.trim(), message.trim()).with_http_status(status));
    }
    let envelope_ok = reply
        .get("status")
        .and_then(Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case("success"));
    if (200..300).contains(&status) {
        if envelope_ok {
            return Ok(reply.get_mut("data").map_or(Value::Null, Value::take));
        }
        if op == Operation::Login && !text_field(&reply, "access_token").trim().is_empty() {
            return Ok(reply);
        }
        return Err(Error::protocol(
            "the reply is neither Upstox's {\"status\":\"success\",\"data\":…} envelope nor its error envelope",
        )
        .with_http_status(status));
    }
    Err(without_envelope(op, response))
}

/// A reply that carries no `errors` array, classed by its HTTP status:
/// 429 rate limited, 401 a refused token (the code at login), 400 a request
/// the broker could not read; anything else as every broker's non-JSON reply.
fn without_envelope(op: Operation, response: &Response) -> Error {
    let status = response.status;
    let error = match status {
        401 if op == Operation::Login => Error::new(
            Status::Auth,
            "Upstox refused the login (HTTP 401): check \"api_key\", \"api_secret\" and \"redirect_uri\", then log in again in the browser",
        ),
        401 => Error::new(Status::SessionExpired, RELOGIN),
        400 => Error::invalid_argument("Upstox could not read the request (HTTP 400)"),
        _ => return http::classify_non_json(response),
    };
    error.with_http_status(status)
}

const RELOGIN: &str = "the Upstox session is no longer valid (it ends at 03:30 IST, or was logged out): log in again in the browser";

/// Classes an Upstox error code as PROTOCOLS.md §5.6 says.
pub fn error_for_code(op: Operation, code: &str, message: &str) -> Error {
    let (status, text, retryable) = match code {
        "UDAPI100050" => (Status::SessionExpired, RELOGIN, false),
        "UDAPI100016" => (
            Status::Auth,
            "Upstox refused the credentials: check \"api_key\" and \"api_secret\"",
            false,
        ),
        "UDAPI100068" => (
            Status::Auth,
            "Upstox refused the app: \"api_key\" (the client id) and/or \"redirect_uri\" do not match the app registered in the developer console",
            false,
        ),
        "UDAPI100069" => (
            Status::Auth,
            "Upstox refused the app's credentials: check \"api_key\" (the client id) and \"api_secret\"",
            false,
        ),
        "UDAPI100057" => (
            Status::Auth,
            "Upstox refused the login code: a code works once and briefly, and \"redirect_uri\" must be the one the login used; log in again in the browser",
            false,
        ),
        "UDAPI100073" => (
            Status::Auth,
            "the Upstox app (\"api_key\") is inactive: activate it in the developer console",
            false,
        ),
        "UDAPI100067" => (
            Status::Unsupported,
            "Upstox does not allow this call with an extended (read-only) token: log in with the browser for a full access token",
            false,
        ),
        "UDAPI10005" => (
            Status::RateLimited,
            "Upstox's rate limit was exceeded: slow down and retry",
            true,
        ),
        "UDAPI100015" => (
            Status::InvalidArgument,
            "Upstox says the Api-Version header is missing or unknown (a brokerlink bug: please report it)",
            false,
        ),
        "UDAPI100036" | "UDAPI100038" => (
            Status::InvalidArgument,
            "Upstox says the request's input is invalid",
            false,
        ),
        NOT_SUPPORTED => (
            Status::Unsupported,
            "Upstox does not serve this request (UDAPI10000): set \"funds_version\" to \"v2\" if v3 funds are not available",
            false,
        ),
        "UDAPI100072" => (
            Status::Broker,
            "Upstox's funds service is closed from 00:00 to 05:30 IST: read funds again after 05:30 IST",
            false,
        ),
        "UDAPI100058" => (
            Status::Broker,
            "Upstox says no segment of the account is active: reactivate a segment with Upstox",
            false,
        ),
        "UDAPI100500" => (Status::Broker, "", true),
        _ => (Status::Broker, "", false),
    };
    let text = if text.is_empty() {
        let what = if message.is_empty() { code } else { message };
        let what = if what.is_empty() {
            "(no message)"
        } else {
            what
        };
        format!("Upstox reported an error during {}: {what}", op.name())
    } else {
        text.to_string()
    };
    Error::new(status, text)
        .retryable(retryable)
        .with_broker(Some(code.to_string()), Some(message.to_string()))
}

/// The normalized profile from `/v2/user/profile`'s `data` (§5.5).
pub fn profile_from(data: Value, user_id: &str) -> Result<Profile> {
    if !data.is_object() {
        return Err(Error::protocol("the profile reply has no \"data\" object"));
    }
    let uid = text_field(&data, "user_id");
    Ok(Profile {
        broker: "upstox",
        user_id: if uid.trim().is_empty() {
            user_id.to_string()
        } else {
            uid.trim().to_string()
        },
        name: text_field(&data, "user_name"),
        email: text_field(&data, "email"),
        mobile: String::new(),
        exchanges: string_list(data.get("exchanges")),
        products: string_list(data.get("products")),
        raw: data,
    })
}

/// An amount at a path of nested objects; a missing or null step is 0.
fn money_at(data: &Value, path: &[&str], what: &str) -> Result<Money> {
    let mut at = Some(data);
    for key in path {
        at = at.and_then(|v| v.get(key));
    }
    Money::from_wire(at).map_err(|why| {
        Error::protocol(format!(
            "the {what} funds field \"{}\" {why}",
            path.join(".")
        ))
    })
}

fn too_large(what: &str) -> Error {
    Error::protocol(format!("the {what} funds amounts are too large to add up"))
}

/// The normalized funds from `/v3/user/get-funds-and-margin`'s `data`
/// (§5.5's v3 column): withdrawals and losses arrive negative, so `payout`
/// and the M2M figures are their negations.
pub fn funds_v3_from(data: Value) -> Result<Funds> {
    if !data.is_object() {
        return Err(Error::protocol("the v3 funds reply has no \"data\" object"));
    }
    let at = |path: &[&str]| money_at(&data, path, "v3");
    const CASH: &str = "cash_available_to_trade";
    const PLEDGE: &str = "pledge_available_to_trade";
    let avail = "available_to_trade";
    let cash_used = at(&[avail, CASH, "margin_used", "total"])?;
    let pledge_used = at(&[avail, PLEDGE, "margin_used", "total"])?;
    let negate = |m: Money| Money::ZERO.checked_sub(m).ok_or_else(|| too_large("v3"));
    Ok(Funds {
        broker: "upstox",
        available_cash: at(&[avail, CASH, "total"])?,
        net: at(&[avail, "total"])?,
        used_margin: cash_used
            .checked_add(pledge_used)
            .ok_or_else(|| too_large("v3"))?,
        collateral: at(&[avail, PLEDGE, "margin_from_pledge", "total"])?,
        payin: at(&[avail, CASH, "cash", "added_today"])?,
        payout: negate(at(&[avail, CASH, "cash", "withdrawn_today"])?)?,
        m2m_realized: negate(at(&[avail, CASH, "margin_used", "loss", "realised"])?)?,
        m2m_unrealized: negate(at(&[avail, CASH, "margin_used", "loss", "unrealised"])?)?,
        raw: data,
    })
}

/// The normalized funds from `/v2/user/get-funds-and-margin`'s `data`
/// (§5.5's v2 column): the `equity` object only, which holds equity and
/// commodity funds together since 2025-07-19.
pub fn funds_v2_from(data: Value) -> Result<Funds> {
    if !data.get("equity").is_some_and(Value::is_object) {
        return Err(Error::protocol(
            "the v2 funds reply has no \"data.equity\" object",
        ));
    }
    let at = |key: &str| money_at(&data, &["equity", key], "v2");
    let available = at("available_margin")?;
    Ok(Funds {
        broker: "upstox",
        available_cash: available,
        net: available,
        used_margin: at("used_margin")?,
        collateral: Money::ZERO,
        payin: at("payin_amount")?,
        payout: Money::ZERO,
        m2m_realized: Money::ZERO,
        m2m_unrealized: Money::ZERO,
        raw: data,
    })
}
