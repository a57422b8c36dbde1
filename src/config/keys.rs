//! [`Keys`]: a JSON object read key by key, with errors that name the key
//! and never repeat a value, and a final check that no unknown key is left.

use super::{Credentials, RateLimits, Redirect, TotpInput};
use crate::error::{Error, Result, Status};
use crate::operation::Operation;
use crate::pacing::RateLimit;
use crate::secret::Secret;
use crate::totp::{self, TotpSecret};
use serde_json::{Map, Value};
use std::net::IpAddr;

/// A JSON object read key by key; whatever is left at the end is unknown.
pub(crate) struct Keys {
    what: &'static str,
    map: Map<String, Value>,
}

impl Keys {
    pub(crate) fn parse(json: &str, what: &'static str) -> Result<Keys> {
        // serde_json's syntax errors name a position, never the input text.
        let value: Value = serde_json::from_str(json)
            .map_err(|e| Error::invalid_argument(format!("{what} is not valid JSON: {e}")))?;
        match value {
            Value::Object(map) => Ok(Keys { what, map }),
            _ => Err(Error::invalid_argument(format!(
                "{what} must be a JSON object"
            ))),
        }
    }

    fn error(&self, key: &str, why: &str) -> Error {
        Error::invalid_argument(format!("{} key \"{key}\" {why}", self.what))
    }

    pub(crate) fn optional_str(&mut self, key: &str) -> Result<Option<String>> {
        match self.map.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Err(self.error(key, "must not be empty")),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.error(key, "must be a string")),
        }
    }

    pub(crate) fn required_str(&mut self, key: &str) -> Result<String> {
        self.optional_str(key)?
            .ok_or_else(|| self.error(key, "is missing"))
    }

    pub(crate) fn optional_u64(&mut self, key: &str, min: u64, max: u64) -> Result<Option<u64>> {
        match self.map.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .filter(|n| (min..=max).contains(n))
                .map(Some)
                .ok_or_else(|| {
                    self.error(key, &format!("must be a whole number from {min} to {max}"))
                }),
        }
    }

    pub(crate) fn optional_i64(&mut self, key: &str) -> Result<Option<i64>> {
        match self.map.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.error(key, "must be a whole number")),
        }
    }

    pub(crate) fn optional_bool(&mut self, key: &str) -> Result<Option<bool>> {
        match self.map.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(_) => Err(self.error(key, "must be true or false")),
        }
    }

    /// `"HH:MM"` as minutes after midnight.
    pub(crate) fn optional_clock(&mut self, key: &str) -> Result<Option<u32>> {
        let Some(text) = self.optional_str(key)? else {
            return Ok(None);
        };
        let parsed = text.split_once(':').and_then(|(h, m)| {
            let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
            (h < 24 && m < 60 && text.len() == 5).then_some(h * 60 + m)
        });
        parsed
            .map(Some)
            .ok_or_else(|| self.error(key, "must be a time \"HH:MM\" (24-hour)"))
    }

    /// `"off"`, or an object of operation name -> `{"per_second":n,"per_hour":n}`.
    pub(crate) fn rate_limits(&mut self, key: &str) -> Result<RateLimits> {
        let mut overrides = Vec::new();
        match self.map.remove(key) {
            None | Some(Value::Null) => return Ok(RateLimits::BrokerDefaults),
            Some(Value::String(s)) if s == "off" => return Ok(RateLimits::Off),
            Some(Value::Object(ops)) => {
                for (name, value) in ops {
                    let op = Operation::ALL.into_iter().find(|o| o.name() == name).ok_or_else(|| {
                        self.error(key, "has an operation other than login, refresh, profile, funds, logout")
                    })?;
                    let Value::Object(limit) = value else {
                        return Err(self.error(
                            key,
                            "must map each operation to {\"per_second\":n,\"per_hour\":n}",
                        ));
                    };
                    let mut limit = Keys {
                        what: "rate_limits",
                        map: limit,
                    };
                    let per_second =
                        limit.optional_u64("per_second", 0, 100_000)?.unwrap_or(0) as u32;
                    let per_hour =
                        limit.optional_u64("per_hour", 0, 10_000_000)?.unwrap_or(0) as u32;
                    limit.finish()?;
                    overrides.push((op, RateLimit::new(per_second, per_hour)));
                }
            }
            Some(_) => return Err(self.error(key, "must be \"off\" or an object")),
        }
        Ok(RateLimits::Overrides(overrides))
    }

    pub(crate) fn optional_url(&mut self, key: &str) -> Result<Option<String>> {
        self.optional_str(key)?
            .map(|url| super::validate_url(key, &url))
            .transpose()
    }

    /// A one-time code from a browser login: the credentials key
    /// `code_params[0]`, or `redirect_url` (the address the browser landed
    /// on), whose first query parameter among `code_params` that is not blank
    /// is the code (trimmed, as is a pasted one) and whose other parameters
    /// come along for the broker to check.
    /// Exactly one of the two. Each broker names its own parameters.
    pub(crate) fn authorization_code(&mut self, code_params: &[&str]) -> Result<Credentials> {
        let no_code = Error::invalid_argument(format!(
            "credentials key \"redirect_url\" has no \"{}\" query parameter",
            code_params[0]
        ));
        self.code_or_redirect(code_params, no_code)
    }

    /// As [`Keys::authorization_code`], for a broker whose redirect without
    /// a code is a login that did not complete: that is `AUTH`, with the
    /// broker's `not_completed` message.
    pub(crate) fn completed_authorization_code(
        &mut self,
        code_params: &[&str],
        not_completed: &str,
    ) -> Result<Credentials> {
        self.code_or_redirect(code_params, Error::new(Status::Auth, not_completed))
    }

    fn code_or_redirect(&mut self, code_params: &[&str], no_code: Error) -> Result<Credentials> {
        let key = code_params[0];
        let code = self.optional_str(key)?;
        let redirect = self.optional_str("redirect_url")?.map(Secret::new);
        match (code, redirect) {
            // A pasted code comes with the spaces and line ends around it.
            (Some(code), None) if !code.trim().is_empty() => Ok(Credentials::AuthorizationCode {
                code: Secret::new(code.trim()),
                redirect: None,
            }),
            (Some(_), None) => Err(Error::invalid_argument(format!(
                "credentials key \"{key}\" is empty"
            ))),
            (None, Some(redirect)) => code_from_redirect(redirect.expose(), code_params, no_code),
            (Some(_), Some(_)) => Err(Error::invalid_argument(format!(
                "credentials must have \"{key}\" or \"redirect_url\", not both"
            ))),
            (None, None) => Err(Error::invalid_argument(format!(
                "credentials key \"{key}\" (or \"redirect_url\", the address the browser login landed on) is missing"
            ))),
        }
    }

    pub(crate) fn optional_ip(&mut self, key: &str) -> Result<Option<IpAddr>> {
        self.optional_str(key)?
            .map(|s| {
                s.parse()
                    .map_err(|_| self.error(key, "must be an IPv4 or IPv6 address"))
            })
            .transpose()
    }

    pub(crate) fn optional_mac(&mut self, key: &str) -> Result<Option<String>> {
        let Some(mac) = self.optional_str(key)? else {
            return Ok(None);
        };
        let parts: Vec<&str> = mac.split([':', '-']).collect();
        let well_formed = parts.len() == 6
            && parts
                .iter()
                .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()));
        if !well_formed {
            return Err(self.error(key, "must look like aa:bb:cc:dd:ee:ff"));
        }
        Ok(Some(parts.join(":").to_ascii_lowercase()))
    }

    /// `totp` (six digits) or `totp_secret` (base32), exactly one.
    pub(crate) fn totp_input(&mut self) -> Result<TotpInput> {
        let code = self.optional_str("totp")?;
        let secret = self.optional_str("totp_secret")?.map(Secret::new);
        match (code, secret) {
            (Some(code), None) if totp::is_code_shaped(&code) => {
                Ok(TotpInput::Code(Secret::new(code)))
            }
            (Some(_), None) => Err(self.error("totp", "must be six digits")),
            (None, Some(secret)) => {
                Ok(TotpInput::Secret(TotpSecret::from_base32(secret.expose())?))
            }
            (Some(_), Some(_)) => Err(Error::invalid_argument(
                "credentials must have \"totp\" or \"totp_secret\", not both",
            )),
            (None, None) => Err(Error::invalid_argument(
                "credentials key \"totp\" (six digits) or \"totp_secret\" (base32) is missing",
            )),
        }
    }

    /// Fails on the first key nobody asked for, since a typo must not be ignored.
    pub(crate) fn finish(self) -> Result<()> {
        match self.map.keys().min() {
            None => Ok(()),
            Some(key) => Err(Error::invalid_argument(format!(
                "unknown {} key \"{}\"",
                self.what,
                printable_key(key)
            ))),
        }
    }
}

/// The code, and the other query parameters, of the address a broker's
/// browser login redirected to.
/// `no_code` is the error for an address that carries none of them.
fn code_from_redirect(redirect: &str, code_params: &[&str], no_code: Error) -> Result<Credentials> {
    let url = reqwest::Url::parse(redirect).map_err(|_| {
        Error::invalid_argument("credentials key \"redirect_url\" is not a valid URL")
    })?;
    let (codes, others): (Vec<_>, Vec<_>) = url
        .query_pairs()
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .partition(|(key, _)| code_params.contains(&key.as_str()));
    let code = code_params
        .iter()
        .find_map(|name| {
            codes
                .iter()
                .find(|(key, value)| key == name && !value.trim().is_empty())
                .map(|(_, value)| value.trim().to_string())
        })
        .ok_or(no_code)?;
    Ok(Credentials::AuthorizationCode {
        code: Secret::new(code),
        redirect: Some(Redirect::new(others)),
    })
}

/// A key as it may be printed: short, and without control characters.
fn printable_key(key: &str) -> String {
    let mut shown: String = key.chars().filter(|c| !c.is_control()).take(40).collect();
    if key.chars().count() > 40 {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_i64_accepts_whole_numbers_only() {
        let mut keys = Keys::parse(r#"{"a":-5,"b":1.5,"c":"7"}"#, "state").unwrap();
        assert_eq!(keys.optional_i64("a").unwrap(), Some(-5));
        assert!(keys.optional_i64("b").is_err());
        assert!(keys.optional_i64("c").is_err());
        assert_eq!(keys.optional_i64("missing").unwrap(), None);
    }

    #[test]
    fn unknown_keys_are_shown_short_and_printable() {
        let long = "k".repeat(100);
        let keys = Keys::parse(&format!(r#"{{"{long}\n":1}}"#), "config").unwrap();
        let message = keys.finish().unwrap_err().message;
        assert!(message.len() < 80 && !message.contains('\n'), "{message}");
    }
}
