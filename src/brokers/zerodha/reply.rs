//! Kite Connect replies (PROTOCOLS.md §4.4–§4.7): the `status`/`data`
//! envelope, errors classed by `error_type` whatever the HTTP status, the
//! session tokens and their expiry, and the normalized profile and funds.

use super::super::{TokenStyle, Tokens, string_list, text_field};
use crate::error::{Error, Result, Status};
use crate::http::{self, Response};
use crate::model::{Funds, Money, Profile};
use crate::operation::Operation;
use crate::secret::Secret;
use crate::time::next_day_end;
use serde_json::Value;

/// Which margin segment the funds figures come from (config key
/// `funds_segment`; PROTOCOLS.md §4.5 leaves it open).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FundsSegment {
    /// `equity`, or `commodity` when equity is absent or disabled.
    Equity,
    /// `commodity`, or `equity` when commodity is absent or disabled.
    Commodity,
    /// Each figure summed over the enabled segments.
    Both,
}

impl FundsSegment {
    /// The config value.
    pub fn name(self) -> &'static str {
        match self {
            FundsSegment::Equity => "equity",
            FundsSegment::Commodity => "commodity",
            FundsSegment::Both => "both",
        }
    }
}

/// `data` of a `{"status":"success","data":…}` reply, or the classified
/// error. JSON with `error_type` or `status:"error"` is an error at any HTTP
/// status (§4.4); anything else that is not a 2xx success envelope is
/// classed by its HTTP status (§4.6's last paragraph).
pub fn parse_reply(op: Operation, response: &Response) -> Result<Value> {
    let mut reply = match serde_json::from_slice::<Value>(&response.body) {
        Ok(reply @ Value::Object(_)) => reply,
        _ => return Err(without_envelope(op, response)),
    };
    let status = text_field(&reply, "status");
    let error_type = text_field(&reply, "error_type");
    if !error_type.is_empty() || status == "error" {
        let message = text_field(&reply, "message");
        return Err(error_for(op, &error_type, &message, response.status));
    }
    if status != "success" || !(200..300).contains(&response.status) {
        return Err(without_envelope(op, response));
    }
    match reply.get_mut("data").map(Value::take) {
        Some(data) => Ok(data),
        None => {
            Err(Error::protocol("the Kite reply has no \"data\"").with_http_status(response.status))
        }
    }
}

/// A reply without Kite's error envelope (a gateway's page, plain text, an
/// empty body), classed by its HTTP status: 429 rate limit, 401/403 an
/// ended session (a refused login at the token exchange), 400 a bad
/// request, the rest as every broker's non-JSON replies.
fn without_envelope(op: Operation, response: &Response) -> Error {
    let generic = http::classify_non_json(response);
    let text = String::from_utf8_lossy(&response.body);
    let is_page = text.trim_start().starts_with('<')
        || response
            .content_type
            .as_deref()
            .is_some_and(|c| c.to_ascii_lowercase().contains("html"));
    if generic.status == Status::RateLimited || generic.retryable || is_page {
        return generic;
    }
    let (status, message) = match response.status {
        401 | 403 if op == Operation::Login => (Status::Auth, BAD_REQUEST_TOKEN),
        401 | 403 => (Status::SessionExpired, RELOGIN),
        400 => (
            Status::InvalidArgument,
            "Kite refused the request as malformed (HTTP 400)",
        ),
        200..=299 => (
            Status::Protocol,
            "the Kite reply is not {\"status\":\"success\",\"data\":…}",
        ),
        _ => return generic,
    };
    Error::new(status, message).with_http_status(response.status)
}

const RELOGIN: &str = "the Kite session is no longer valid (expired at 6 AM, logged out, or ended by a login elsewhere): log in again";
const BAD_REQUEST_TOKEN: &str = "Kite refused the request_token: it is single-use and lives a few minutes, so log in again in the browser; if it keeps failing, check \"api_key\" and \"api_secret\"";

/// Classes a Kite error by its `error_type` (PROTOCOLS.md §4.6), in the
/// light of the call it answers; `broker_code` is the error type.
pub fn error_for(op: Operation, error_type: &str, message: &str, http_status: u16) -> Error {
    let too_many = http_status == 429 || message.to_ascii_lowercase().contains("too many requests");
    let (status, text, retryable) = match error_type {
        "TokenException" if op == Operation::Login => {
            let text = if message.contains("checksum") {
                "Kite refused the checksum: check \"api_secret\" (and \"api_key\")"
            } else if message.contains("api_key") {
                "Kite refused the api_key: check \"api_key\""
            } else {
                BAD_REQUEST_TOKEN
            };
            (Status::Auth, text.to_string(), false)
        }
        "TokenException" if op == Operation::Refresh => (
            Status::SessionExpired,
            "Kite refused the refresh token: log in again in the browser".to_string(),
            false,
        ),
        "TokenException" => (Status::SessionExpired, RELOGIN.to_string(), false),
        "PermissionException" | "PermissionError" => (
            Status::Auth,
            format!("Kite denied permission for this call: {}", quoted(message)),
            false,
        ),
        "TwoFAException" => (
            Status::Auth,
            format!(
                "Kite asked for two-factor authentication: {}",
                quoted(message)
            ),
            false,
        ),
        "InputException" => (
            Status::InvalidArgument,
            format!("Kite refused a parameter: {}", quoted(message)),
            false,
        ),
        "NetworkException" if too_many => (
            Status::RateLimited,
            "Kite's rate limit was exceeded: slow down and retry".to_string(),
            true,
        ),
        "NetworkException" | "DataException" => (
            Status::Broker,
            format!(
                "Kite could not reach its back office; retry: {}",
                quoted(message)
            ),
            true,
        ),
        _ => (
            Status::Broker,
            format!("Kite reported an error: {}", quoted(message)),
            false,
        ),
    };
    let code = (!error_type.is_empty()).then(|| error_type.to_string());
    Error::new(status, text)
        .retryable(retryable)
        .with_broker(code, Some(message.to_string()))
        .with_http_status(http_status)
}

/// The broker's message for a person, or a placeholder when it sent none.
fn quoted(message: &str) -> &str {
    if message.trim().is_empty() {
        "(no message)"
    } else {
        message.trim()
    }
}

/// 06:00 IST, when Kite's access tokens expire (§4.7), in minutes after
/// midnight.
const KITE_DAY_END: u32 = 6 * 60;

/// Tokens from a token exchange or renewal `data`. A renewal keeps the
/// previous user id and refresh token where the reply has none. The expiry
/// is the next 06:00 IST after the reply's `login_time` (IST), or after
/// `now` when it has none.
pub fn tokens_from(data: &Value, previous: Option<&Tokens>, now: i64) -> Result<Tokens> {
    if !data.is_object() {
        return Err(Error::protocol(
            "the Kite session reply has no \"data\" object",
        ));
    }
    let token = |key: &str| {
        let text = text_field(data, key);
        (!text.trim().is_empty()).then(|| Secret::new(text.trim()))
    };
    let access = token("access_token")
        .ok_or_else(|| Error::protocol("the Kite session reply has no \"access_token\""))?;
    let user_id = match (text_field(data, "user_id"), previous) {
        (id, _) if !id.is_empty() => id,
        (_, Some(previous)) => previous.user_id.clone(),
        (id, None) => id,
    };
    // A login_time outside the last day (or minutes ahead, for clocks that
    // differ) cannot be this login's: the day end is counted from now.
    let logged_in = ist_seconds(&text_field(data, "login_time"))
        .filter(|at| (now - 86_400..=now + 300).contains(at))
        .unwrap_or(now);
    Ok(Tokens {
        access,
        refresh: token("refresh_token").or_else(|| previous.and_then(|p| p.refresh.clone())),
        feed: None,
        user_id,
        account_id: None,
        style: TokenStyle::Bearer,
        expires_at: Some(next_day_end(logged_in, KITE_DAY_END)),
    })
}

/// `yyyy-mm-dd hh:mm:ss` in IST as seconds since the epoch.
fn ist_seconds(text: &str) -> Option<i64> {
    let (date, clock) = text.trim().split_once(' ')?;
    let mut date = date.split('-').map(str::parse::<i32>);
    let (year, month, day) = (date.next()?.ok()?, date.next()?.ok()?, date.next()?.ok()?);
    let mut clock = clock.split(':').map(str::parse::<u8>);
    let (hour, minute, second) = (
        clock.next()?.ok()?,
        clock.next()?.ok()?,
        clock.next()?.ok()?,
    );
    if date.next().is_some() || clock.next().is_some() {
        return None;
    }
    let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date = time::Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()?;
    let clock = time::Time::from_hms(hour, minute, second).ok()?;
    let ist = time::UtcOffset::from_hms(5, 30, 0).ok()?;
    Some(
        time::PrimitiveDateTime::new(date, clock)
            .assume_offset(ist)
            .unix_timestamp(),
    )
}

/// The normalized profile from `/user/profile`'s `data` (§4.5). Kite has no
/// mobile number there.
pub fn profile_from(data: Value, user_id: &str) -> Result<Profile> {
    if !data.is_object() {
        return Err(Error::protocol(
            "the Kite profile reply has no \"data\" object",
        ));
    }
    let id = text_field(&data, "user_id");
    Ok(Profile {
        broker: "zerodha",
        user_id: if id.is_empty() {
            user_id.to_string()
        } else {
            id
        },
        name: text_field(&data, "user_name"),
        email: text_field(&data, "email"),
        mobile: String::new(),
        exchanges: string_list(data.get("exchanges")),
        products: string_list(data.get("products")),
        raw: data,
    })
}

/// The normalized funds from `/user/margins`' `data` (§4.5): the chosen
/// segment's figures, or their sum over both; `raw` keeps both segments.
pub fn funds_from(data: Value, segment: FundsSegment) -> Result<Funds> {
    let usable = |name: &'static str| {
        data.get(name)
            .filter(|s| s.is_object() && s.get("enabled") != Some(&Value::Bool(false)))
            .map(|s| (name, s))
    };
    let present = |name: &'static str| data.get(name).filter(|s| s.is_object()).map(|s| (name, s));
    let segments: Vec<(&'static str, &Value)> = match segment {
        FundsSegment::Equity => usable("equity")
            .or_else(|| usable("commodity"))
            .or_else(|| present("equity"))
            .into_iter()
            .collect(),
        FundsSegment::Commodity => usable("commodity")
            .or_else(|| usable("equity"))
            .or_else(|| present("commodity"))
            .into_iter()
            .collect(),
        FundsSegment::Both => ["equity", "commodity"]
            .into_iter()
            .filter_map(usable)
            .collect(),
    };
    if segments.is_empty() {
        return Err(Error::protocol(
            "the Kite margins reply has no \"equity\" or \"commodity\" segment",
        ));
    }
    // One figure, summed over the segments.
    let figure = |group: Option<&str>, key: &str| -> Result<Money> {
        let mut total = Money::ZERO;
        for (name, seg) in &segments {
            let value = match group {
                Some(group) => seg.get(group).and_then(|g| g.get(key)),
                None => seg.get(key),
            };
            let field = match group {
                Some(group) => format!("{name}.{group}.{key}"),
                None => format!("{name}.{key}"),
            };
            let amount = Money::from_wire(value).map_err(|why| {
                Error::protocol(format!("the Kite margins field \"{field}\" {why}"))
            })?;
            total = total.checked_add(amount).ok_or_else(|| {
                Error::protocol(format!(
                    "the Kite margins fields \"{field}\" are too large to add up"
                ))
            })?;
        }
        Ok(total)
    };
    Ok(Funds {
        broker: "zerodha",
        available_cash: figure(Some("available"), "cash")?,
        net: figure(None, "net")?,
        used_margin: figure(Some("utilised"), "debits")?,
        collateral: figure(Some("available"), "collateral")?,
        payin: figure(Some("available"), "intraday_payin")?,
        payout: figure(Some("utilised"), "payout")?,
        m2m_realized: figure(Some("utilised"), "m2m_realised")?,
        m2m_unrealized: figure(Some("utilised"), "m2m_unrealised")?,
        raw: data,
    })
}
