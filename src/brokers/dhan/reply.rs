//! Dhan replies (PROTOCOLS.md §7.4, §7.5): classification of the three
//! error shapes, the login and RenewToken replies, token expiry, and the
//! mapping of `/profile` and `/fundlimit` to the normalized results.

use super::super::{TokenStyle, Tokens, string_list, text_field};
use crate::error::{Error, Reason, Result, Status};
use crate::http::{self, Response};
use crate::model::{Funds, Money, Profile};
use crate::operation::Operation;
use crate::secret::Secret;
use base64::Engine;
use serde_json::Value;
use time::macros::offset;
use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};

/// India Standard Time, in which Dhan writes `expiryTime` and `tokenValidity`.
const IST: UtcOffset = offset!(+5:30);

/// Every Dhan access token lasts 24 hours from generation (§7.6): the
/// expiry assumed when neither the token nor the reply says.
const TOKEN_LIFETIME_SECS: i64 = 24 * 3600;

/// The reply object of a 2xx answer, or the classified error. Precedence
/// (§7.4): JSON with `errorCode` goes by table §7.5; JSON with `status`
/// `error`/`failure`/`failed` is a refusal (a numeric code in its `data`
/// by the same table); then the HTTP status; a reply that is not a JSON
/// object goes to the transport classes (PROTOCOL for a 2xx).
pub fn parse_reply(op: Operation, response: &Response) -> Result<Value> {
    let reply = match serde_json::from_slice::<Value>(&response.body) {
        Ok(reply @ Value::Object(_)) => reply,
        _ => return Err(non_json(op, response)),
    };
    let status = response.status;
    let code = text_field(&reply, "errorCode");
    if !code.trim().is_empty() {
        let message = text_field(&reply, "errorMessage");
        return Err(error_for_code(op, code.trim(), &message).with_http_status(status));
    }
    let state = text_field(&reply, "status").to_ascii_lowercase();
    if matches!(state.as_str(), "error" | "failure" | "failed") {
        // The data APIs' shape: {"status":"failed","data":{"814":"Invalid Request"}}.
        if let Some((code, message)) = reply
            .get("data")
            .and_then(Value::as_object)
            .and_then(|data| data.iter().next())
            .filter(|(code, _)| !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()))
        {
            let message = message.as_str().unwrap_or_default().to_string();
            return Err(error_for_code(op, code, &message).with_http_status(status));
        }
        let message = ["message", "remarks", "errorMessage"]
            .iter()
            .map(|key| text_field(&reply, key))
            .find(|m| !m.trim().is_empty())
            .unwrap_or_default();
        return Err(refusal(op, &message, status).with_http_status(status));
    }
    if !(200..300).contains(&status) {
        let error = match status {
            401 if op == Operation::Login => Error::new(Status::Auth, LOGIN_REFUSED),
            401 => Error::new(Status::SessionExpired, RELOGIN),
            429 => Error::new(Status::RateLimited, RATE_LIMITED),
            s if s >= 500 => Error::new(Status::Broker, format!("Dhan's server failed (HTTP {s})"))
                .retryable(true),
            s => Error::new(
                Status::Broker,
                format!("Dhan refused the request (HTTP {s})"),
            ),
        };
        return Err(renew_refused(op, error).with_http_status(status));
    }
    Ok(reply)
}

/// A reply that is not a JSON object. At RenewToken a refusal in any shape
/// (a text or HTML 4xx) is still a renewal that will not happen; a garbled
/// success stays a protocol error.
fn non_json(op: Operation, response: &Response) -> Error {
    let error = http::classify_non_json(response);
    if error.status == Status::Protocol {
        error
    } else {
        renew_refused(op, error)
    }
}

const RELOGIN: &str = "the session is no longer valid: log in again";
const LOGIN_REFUSED: &str = "Dhan refused the login: check \"client_id\" and the credentials";
const RATE_LIMITED: &str = "Dhan's rate limit was exceeded: slow down and retry";

/// What to do when RenewToken will not renew a token (§7.2).
const RENEW_REFUSED: &str = "Dhan would not renew the access token (RenewToken renews only active tokens, and only those generated on web.dhan.co): log in again with the PIN and TOTP or the consent login, or paste a new token from web.dhan.co (My Profile > Access DhanHQ APIs)";

/// The classes of table §7.5, for the DH-9xx codes and the data APIs'
/// numeric ones. A code means a refused login during login, and a renewal
/// that will not happen during refresh.
fn error_for_code(op: Operation, code: &str, message: &str) -> Error {
    let token_words = message.to_ascii_lowercase().contains("token");
    let (status, text, retryable, reason): (Status, &str, bool, Option<Reason>) = match code {
        "DH-901" | "807" | "809" => (Status::SessionExpired, RELOGIN, false, None),
        "DH-906" if token_words => (Status::SessionExpired, RELOGIN, false, None),
        "DH-902" | "806" => (
            Status::Auth,
            "Dhan refused access: this account or app has no access to these APIs (Trading API access, or a Data API subscription): enable it on web.dhan.co",
            false,
            Some(Reason::ApiNotEnabled),
        ),
        "808" | "810" => (
            Status::Auth,
            "Dhan refused the client id or the authentication: check \"client_id\"",
            false,
            None,
        ),
        "DH-904" | "805" => (Status::RateLimited, RATE_LIMITED, true, None),
        "DH-908" | "DH-909" => (Status::Broker, "", true, None),
        _ => (Status::Broker, "", false, None),
    };
    let text = if text.is_empty() {
        format!(
            "Dhan reported an error: {}",
            if message.trim().is_empty() {
                code
            } else {
                message.trim()
            }
        )
    } else {
        text.to_string()
    };
    let mut error = Error::new(status, text)
        .retryable(retryable)
        .with_broker(Some(code.to_string()), Some(message.trim().to_string()));
    if let Some(reason) = reason {
        error = error.with_reason(reason);
    }
    if op == Operation::Login && status == Status::SessionExpired {
        error.status = Status::Auth;
        error.message = LOGIN_REFUSED.to_string();
    }
    renew_refused(op, error)
}

/// A `{"status":"error","message":…}` refusal (the auth host's shape,
/// UNCONFIRMED): a refused login at login, a broker error elsewhere.
fn refusal(op: Operation, message: &str, http_status: u16) -> Error {
    let words = message.to_ascii_lowercase();
    let error = if op == Operation::Login {
        if words.contains("totp") {
            Error::new(
                Status::Auth,
                "Dhan refused the TOTP: check \"totp_secret\" (or \"totp\") and the computer's clock",
            )
            .with_reason(Reason::TotpRejected)
        } else if words.contains("pin") {
            Error::new(
                Status::Auth,
                "Dhan refused the PIN: check \"pin\" (the 6-digit Dhan PIN) and \"client_id\"",
            )
        } else if http_status == 429 {
            Error::new(Status::RateLimited, RATE_LIMITED)
        } else {
            Error::new(
                Status::Auth,
                format!(
                    "Dhan refused the login: {}",
                    if message.trim().is_empty() {
                        "(no message)"
                    } else {
                        message.trim()
                    }
                ),
            )
        }
    } else if http_status == 429 {
        Error::new(Status::RateLimited, RATE_LIMITED)
    } else {
        Error::new(
            Status::Broker,
            format!("Dhan reported an error: {}", message.trim()),
        )
        .retryable(http_status >= 500)
    };
    renew_refused(
        op,
        error.with_broker(None, Some(message.trim().to_string())),
    )
}

/// During a refresh, any refusal that waiting will not cure means the token
/// will not be renewed: SESSION_EXPIRED, saying how to get a new one.
fn renew_refused(op: Operation, error: Error) -> Error {
    let transient = error.retryable || error.status == Status::RateLimited;
    if op == Operation::Refresh && !transient {
        Error {
            status: Status::SessionExpired,
            message: RENEW_REFUSED.to_string(),
            ..error
        }
    } else {
        error
    }
}

/// Tokens and the account holder's name from a login reply (consent,
/// PIN+TOTP): `accessToken`, `dhanClientId`, `dhanClientName`,
/// `expiryTime`. A reply for another client id than the configured one is
/// refused (§7.2).
pub fn tokens_from_login(reply: &Value, client_id: &str, now: i64) -> Result<(Tokens, String)> {
    let access = non_empty(text_field(reply, "accessToken"))
        .ok_or_else(|| Error::protocol("the login reply has no \"accessToken\""))?;
    check_client(reply, client_id)?;
    let expires_at = expiry(&access, reply, now);
    Ok((
        Tokens {
            access: Secret::new(access),
            refresh: None,
            feed: None,
            user_id: client_id.to_string(),
            account_id: None,
            style: TokenStyle::Bearer,
            expires_at: Some(expires_at),
        },
        text_field(reply, "dhanClientName").trim().to_string(),
    ))
}

/// The renewed tokens from a RenewToken reply: `accessToken`, else `token`
/// (the reply's fields are not documented, §7.2: UNCONFIRMED), with the
/// expiry from the new token, else `expiryTime`, else 24 hours.
pub fn tokens_from_renewal(reply: &Value, previous: &Tokens, now: i64) -> Result<Tokens> {
    let access = non_empty(text_field(reply, "accessToken"))
        .or_else(|| non_empty(text_field(reply, "token")))
        .ok_or_else(|| Error::protocol("the RenewToken reply has no \"accessToken\""))?;
    check_client(reply, &previous.user_id)?;
    let expires_at = expiry(&access, reply, now);
    Ok(Tokens {
        access: Secret::new(access),
        expires_at: Some(expires_at),
        ..previous.clone()
    })
}

/// A reply's `dhanClientId`, when it has one, must be the configured one.
pub(super) fn check_client(reply: &Value, client_id: &str) -> Result<()> {
    let replied = text_field(reply, "dhanClientId");
    if replied.trim().is_empty() || replied.trim() == client_id {
        Ok(())
    } else {
        Err(Error::new(
            Status::Auth,
            "Dhan answered for another client id than config \"client_id\": check \"client_id\" (the 10-digit Dhan client id)",
        ))
    }
}

/// When a token expires (§7.6): its JWT `exp`, else the reply's
/// `expiryTime` (IST), else the profile's `tokenValidity` (IST), else 24
/// hours from now.
pub(super) fn expiry(token: &str, reply: &Value, now: i64) -> i64 {
    jwt_expiry(token)
        .or_else(|| ist_timestamp(&text_field(reply, "expiryTime")))
        .or_else(|| token_validity(&text_field(reply, "tokenValidity")))
        .unwrap_or(now + TOKEN_LIFETIME_SECS)
}

/// The `exp` claim of a JWT, seconds since the epoch (the signature is not
/// checked: only Dhan can; the value is a hint for renewing in time).
pub fn jwt_expiry(token: &str) -> Option<i64> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    match claims.get("exp")? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|exp| *exp > 0)
}

/// `2025-09-23T12:37:23` or `2026-01-01T00:00:00.000`, IST (no zone suffix).
pub fn ist_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, clock) = text.split_once(['T', ' '])?;
    let mut d = date.split('-');
    let (year, month, day) = (d.next()?, d.next()?, d.next()?);
    if d.next().is_some() {
        return None;
    }
    let clock = clock.split('.').next()?;
    let mut c = clock.split(':');
    let (hour, minute) = (c.next()?, c.next()?);
    let second = c.next().unwrap_or("0");
    if c.next().is_some() {
        return None;
    }
    instant(year, month, day, hour, minute, second)
}

/// The profile's `tokenValidity`, `30/03/2025 15:37`, IST.
pub fn token_validity(text: &str) -> Option<i64> {
    let (date, clock) = text.trim().split_once(' ')?;
    let mut d = date.split('/');
    let (day, month, year) = (d.next()?, d.next()?, d.next()?);
    let (hour, minute) = clock.trim().split_once(':')?;
    if d.next().is_some() {
        return None;
    }
    instant(year, month, day, hour, minute, "0")
}

fn instant(
    year: &str,
    month: &str,
    day: &str,
    hour: &str,
    minute: &str,
    second: &str,
) -> Option<i64> {
    let number = |text: &str, digits: std::ops::RangeInclusive<usize>| {
        (digits.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse::<u16>().ok())
            .flatten()
    };
    let date = Date::from_calendar_date(
        i32::from(number(year, 4..=4)?),
        Month::try_from(u8::try_from(number(month, 1..=2)?).ok()?).ok()?,
        u8::try_from(number(day, 1..=2)?).ok()?,
    )
    .ok()?;
    let time = Time::from_hms(
        u8::try_from(number(hour, 1..=2)?).ok()?,
        u8::try_from(number(minute, 1..=2)?).ok()?,
        u8::try_from(number(second, 1..=2)?).ok()?,
    )
    .ok()?;
    Some(
        PrimitiveDateTime::new(date, time)
            .assume_offset(IST)
            .unix_timestamp(),
    )
}

fn non_empty(text: String) -> Option<String> {
    let text = text.trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// The normalized profile from `/v2/profile` (§7.4): the profile has no
/// name, e-mail or mobile; `name` is the login reply's `dhanClientName`
/// (`""` when unknown, after an import or a token login); `exchanges` are
/// the `activeSegment` names (segments, not exchange codes).
pub fn profile_from(reply: Value, user_id: &str, name: &str) -> Profile {
    let client = text_field(&reply, "dhanClientId");
    Profile {
        broker: "dhan",
        user_id: if client.trim().is_empty() {
            user_id.to_string()
        } else {
            client.trim().to_string()
        },
        name: name.to_string(),
        email: String::new(),
        mobile: String::new(),
        exchanges: string_list(reply.get("activeSegment")),
        products: Vec::new(),
        raw: reply,
    }
}

/// The normalized funds from `/v2/fundlimit` (§7.4). The wire spells
/// `availabelBalance` (sic); `availableBalance` is read when that is
/// absent. Numbers may be floats in exponent notation: exact or refused.
pub fn funds_from(reply: Value) -> Result<Funds> {
    let money = |key: &str| {
        Money::from_wire(reply.get(key))
            .map_err(|why| Error::protocol(format!("the fundlimit field \"{key}\" {why}")))
    };
    let available_key = if reply.get("availabelBalance").is_some_and(|v| !v.is_null()) {
        "availabelBalance"
    } else {
        "availableBalance"
    };
    let available = money(available_key)?;
    Ok(Funds {
        broker: "dhan",
        available_cash: available,
        net: available,
        used_margin: money("utilizedAmount")?,
        collateral: money("collateralAmount")?,
        payin: Money::ZERO,
        payout: money("blockedPayoutAmount")?,
        m2m_realized: Money::ZERO,
        m2m_unrealized: Money::ZERO,
        raw: reply,
    })
}
