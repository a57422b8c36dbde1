//! Fyers replies (PROTOCOLS.md §6.4, §6.5): the `s`/`code` envelope and its error table, the
//! HTTP-status fallback for replies that are not Fyers' JSON, the login reply's tokens, and the
//! mapping of `/profile` and `/funds` to the normalized results.

use super::super::{TokenStyle, Tokens, text_field};
use crate::error::{Error, Reason, Result, Status};
use crate::http::{self, Response};
use crate::model::{Funds, Money, Profile};
use crate::operation::Operation;
use crate::secret::Secret;
use base64::Engine;
use serde_json::Value;

/// The reply object when `s` is `ok`, or the classified error. A JSON reply with `s` is
/// classified by `s`/`code` whatever its HTTP status (the SDK reads the body of a 4xx too); any
/// other reply falls back to its HTTP status: 401 `SESSION_EXPIRED` (`AUTH` at login and
/// refresh), 403 `AUTH`, 429 `RATE_LIMITED`, 5xx `BROKER` (retryable), and a 2xx that is not
/// the envelope is `PROTOCOL`.
pub fn parse_reply(op: Operation, response: &Response) -> Result<Value> {
    let reply = match serde_json::from_slice::<Value>(&response.body) {
        Ok(reply @ Value::Object(_)) => reply,
        _ => return Err(by_http_status(op, response)),
    };
    let Some(s) = reply.get("s") else {
        return Err(if response.status < 300 {
            Error::protocol("the reply has no \"s\"").with_http_status(response.status)
        } else {
            by_http_status(op, response)
        });
    };
    if s.as_str()
        .is_some_and(|s| s.trim().eq_ignore_ascii_case("ok"))
    {
        return Ok(reply);
    }
    let code = text_field(&reply, "code");
    let message = text_field(&reply, "message");
    Err(error_for_code(op, code.trim(), message.trim()).with_http_status(response.status))
}

/// A reply that is not Fyers' envelope, by its HTTP status (PROTOCOLS.md §6.4).
fn by_http_status(op: Operation, response: &Response) -> Error {
    let text = String::from_utf8_lossy(&response.body);
    let short: String = text.trim().chars().take(200).collect();
    let error = match response.status {
        401 if matches!(op, Operation::Login | Operation::Refresh) => {
            Error::new(Status::Auth, REFUSED_LOGIN)
        }
        401 => Error::new(Status::SessionExpired, RELOGIN),
        403 => Error::new(
            Status::Auth,
            "Fyers refused the request (HTTP 403): check \"app_id\" and that the app is active",
        ),
        429 => rate_limited(""),
        _ => return http::classify_non_json(response),
    };
    error
        .with_broker(None, Some(short))
        .with_http_status(response.status)
}

const RELOGIN: &str = "the session is no longer valid: log in again (Fyers requires a new browser login every trading day)";
const REFUSED_LOGIN: &str = "Fyers refused the auth code: it may be used already or expired (exchange it at once); log in again in the browser";

/// Fyers' rate-limit refusal. Never retried by the library: Fyers blocks the user for the rest
/// of the day after repeated per-minute breaches (PROTOCOLS.md §6.6). Fyers' texts are not
/// published (UNCONFIRMED): a message that speaks of a block, or of the day and not of a second
/// or a minute (`perSec/perMin/perDay` names all three), is the day's block or cap.
fn rate_limited(message: &str) -> Error {
    let words = message.to_ascii_lowercase();
    let daily = words.contains("block")
        || (words.contains("day") && !words.contains("min") && !words.contains("sec"));
    if daily {
        Error::new(
            Status::RateLimited,
            "Fyers refuses further calls for the rest of the day (its daily limit, or its block after repeated per-minute breaches): try again tomorrow",
        )
        .retryable(false)
        .with_reason(Reason::DailyLimitReached)
    } else {
        Error::new(
            Status::RateLimited,
            "Fyers' rate limit (10 a second, 200 a minute) was exceeded: wait a minute before calling again, since Fyers blocks the user for the rest of the day after repeated breaches",
        )
        .retryable(false)
    }
}

/// Classes a Fyers error code as PROTOCOLS.md §6.5 says; `op` tells a refused auth code or
/// refresh (`AUTH`) from an ended session (`SESSION_EXPIRED`).
pub fn error_for_code(op: Operation, code: &str, message: &str) -> Error {
    let login = matches!(op, Operation::Login | Operation::Refresh);
    let (status, text, retryable) = match code {
        "-8" | "-15" | "-16" | "-17" if op == Operation::Refresh => (
            Status::Auth,
            "Fyers refused the refresh (legacy refresh token or PIN): log in again in the browser",
            false,
        ),
        "-8" | "-15" | "-16" | "-17" if login => (Status::Auth, REFUSED_LOGIN, false),
        "-8" | "-15" | "-16" | "-17" => (Status::SessionExpired, RELOGIN, false),
        "-352" => (
            Status::Auth,
            "Fyers refused the app id: check \"app_id\" (the whole id, with its -100 style suffix)",
            false,
        ),
        "-371" => (
            Status::Auth,
            "Fyers refused the appIdHash: check \"app_id\" and \"app_secret\"",
            false,
        ),
        "-374" => (
            Status::Auth,
            "Fyers received no auth code: log in again in the browser",
            false,
        ),
        "-373" => (
            Status::Auth,
            "the app lacks a permission this call needs: check the app's permissions on the Fyers API dashboard",
            false,
        ),
        "-157" => (Status::Auth, "Fyers does not know this user", false),
        "-429" | "-353" => {
            return rate_limited(message)
                .with_broker(Some(code.to_string()), Some(message.to_string()));
        }
        "-201" | "-202" | "-204" | "-205" | "-96" => (Status::Broker, "", true),
        _ => (Status::Broker, "", false),
    };
    let text = if text.is_empty() {
        format!(
            "Fyers reported an error: {}",
            if message.is_empty() { code } else { message }
        )
    } else {
        text.to_string()
    };
    Error::new(status, text)
        .retryable(retryable)
        .with_broker(Some(code.to_string()), Some(message.to_string()))
}

/// The claims of a JWT (unverified: only Fyers can check the signature).
fn jwt_claims(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Tokens from a `/validate-authcode` reply: `access_token` required, `refresh_token` kept when
/// sent; the user id is the access token's `fy_id` claim (empty when it has none), and the
/// expiry its `exp`, else the next `expiry_minutes` after midnight IST (PROTOCOLS.md §6.6).
pub fn tokens_from_reply(reply: &Value, now: i64, expiry_minutes: u32) -> Result<Tokens> {
    let token = |key: &str| {
        let text = text_field(reply, key).trim().to_string();
        (!text.is_empty()).then(|| Secret::new(text))
    };
    let access = token("access_token")
        .ok_or_else(|| Error::protocol("the login reply has no \"access_token\""))?;
    let (user_id, expires_at) = access_facts(&access, now, expiry_minutes);
    Ok(Tokens {
        refresh: token("refresh_token"),
        feed: None,
        user_id,
        account_id: None,
        style: TokenStyle::Bearer,
        expires_at: Some(expires_at),
        access,
    })
}

/// The user (`fy_id`) and expiry (`exp`, else the configured time of day IST) of an access token.
pub(super) fn access_facts(access: &Secret, now: i64, expiry_minutes: u32) -> (String, i64) {
    let claims = jwt_claims(access.expose());
    let user_id = claims
        .as_ref()
        .map(|c| text_field(c, "fy_id"))
        .unwrap_or_default();
    let exp = claims
        .as_ref()
        .and_then(|c| text_field(c, "exp").trim().parse::<i64>().ok())
        .filter(|exp| *exp > 0);
    let expires_at = exp.unwrap_or_else(|| crate::time::next_day_end(now, expiry_minutes));
    (user_id, expires_at)
}

/// The normalized profile from a `/profile` reply (its `data`): masked PII as Fyers sends it.
pub fn profile_from(mut reply: Value, user_id: &str) -> Result<Profile> {
    let data = match reply.get_mut("data").map(Value::take) {
        Some(data @ Value::Object(_)) => data,
        _ => return Err(Error::protocol("the /profile reply has no \"data\" object")),
    };
    let fy_id = text_field(&data, "fy_id");
    let name = text_field(&data, "name");
    Ok(Profile {
        broker: "fyers",
        user_id: if fy_id.is_empty() {
            user_id.to_string()
        } else {
            fy_id
        },
        name: if name.trim().is_empty() {
            text_field(&data, "display_name")
        } else {
            name
        },
        email: text_field(&data, "email_id"),
        mobile: text_field(&data, "mobile_number"),
        exchanges: Vec::new(),
        products: Vec::new(),
        raw: data,
    })
}

/// The normalized funds from a `/funds` reply (PROTOCOLS.md §6.4): each figure is a row's
/// `equityAmount + commodityAmount`, the row found by title (case-insensitive, trimmed), else by
/// id; a missing row or value is 0. `raw` is the `fund_limit` array.
pub fn funds_from(mut reply: Value) -> Result<Funds> {
    let rows = match reply.get_mut("fund_limit").map(Value::take) {
        Some(rows @ Value::Array(_)) => rows,
        _ => {
            return Err(Error::protocol(
                "the /funds reply has no \"fund_limit\" list",
            ));
        }
    };
    let list = rows.as_array().map(Vec::as_slice).unwrap_or_default();
    let row = |title: &str, id: u64| -> Result<Money> {
        let found = list
            .iter()
            .find(|row| text_field(row, "title").trim().eq_ignore_ascii_case(title))
            .or_else(|| {
                list.iter()
                    .find(|row| text_field(row, "id").trim() == id.to_string())
            });
        let Some(found) = found else {
            return Ok(Money::ZERO);
        };
        let amount = |key: &str| {
            Money::from_wire(found.get(key)).map_err(|why| {
                Error::protocol(format!("the /funds row \"{title}\" field \"{key}\" {why}"))
            })
        };
        amount("equityAmount")?
            .checked_add(amount("commodityAmount")?)
            .ok_or_else(|| {
                Error::protocol(format!(
                    "the /funds row \"{title}\" amounts are too large to add up"
                ))
            })
    };
    Ok(Funds {
        broker: "fyers",
        available_cash: row("Clear Balance", 3)?,
        net: row("Available Balance", 10)?,
        used_margin: row("Utilized Amount", 2)?,
        collateral: row("Collaterals", 5)?,
        payin: row("Fund Transfer", 6)?,
        payout: Money::ZERO,
        m2m_realized: row("Realized Profit and Loss", 4)?,
        m2m_unrealized: Money::ZERO,
        raw: rows,
    })
}

#[cfg(test)]
mod tests;
