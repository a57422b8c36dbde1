//! Fyers API v3 (PROTOCOLS.md §6): the browser login (`generate-authcode`, with a `state`
//! checked on the way back), the auth-code exchange with `appIdHash` = SHA-256 of
//! `app_id:app_secret`, profile, funds (ten ledger rows), logout, and the legacy refresh
//! (discontinued by Fyers on 2026-04-01; opt-in). Every authenticated call carries
//! `Authorization: <app_id>:<access_token>`.

mod reply;

pub use reply::{error_for_code, funds_from, parse_reply, profile_from, tokens_from_reply};

use super::{Broker, Tokens, random_state, secret_body, text_field, wipe};
use crate::config::{Credentials, Keys};
use crate::error::{Error, Result, Status};
use crate::http::{Call, Method, Request};
use crate::model::{Funds, Profile};
use crate::operation::Operation;
use crate::pacing::RateLimit;
use crate::secret::Secret;
use crate::time::unix_now;
use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::sync::{Mutex, PoisonError};

/// Fyers' production REST base URL.
pub(crate) const DEFAULT_BASE_URL: &str = "https://api-t1.fyers.in/api/v3";
/// Where Fyers' access tokens were seen to expire when the token says nothing: 06:00 IST
/// (PROTOCOLS.md §6.6, UNCONFIRMED; config `token_expiry_ist`).
const DEFAULT_EXPIRY_MINUTES: u32 = 6 * 60;

/// A Fyers app and how its sessions live.
#[derive(Debug)]
pub(crate) struct Fyers {
    base_url: String,
    oauth_url: String,
    app_id: String,
    app_secret: Secret,
    redirect_uri: String,
    legacy_refresh: bool,
    expiry_minutes: u32,
    /// This session's OAuth `state`: in every login URL it makes, and required back in a
    /// `redirect_url`.
    state: String,
    /// The PIN for the legacy refresh ([`LegacyPin`]).
    pin: Mutex<LegacyPin>,
}

/// The PIN the legacy refresh sends, from the login's credentials: read with the credentials,
/// kept once that login succeeds (a failed login keeps the previous one). Never exported.
#[derive(Debug, Default)]
struct LegacyPin {
    pending: Option<Secret>,
    current: Option<Secret>,
}

impl Fyers {
    /// Reads Fyers' config keys: `app_id`, `app_secret`, `redirect_uri`, and the optional
    /// `oauth_url`, `legacy_refresh` and `token_expiry_ist`.
    pub(crate) fn from_config(keys: &mut Keys, base_url: Option<&str>) -> Result<Box<dyn Broker>> {
        let app_id = keys.required_str("app_id")?;
        let app_secret = Secret::new(keys.required_str("app_secret")?);
        let redirect_uri = keys.required_str("redirect_uri")?;
        let oauth_url = keys.optional_url("oauth_url")?;
        let legacy_refresh = keys.optional_bool("legacy_refresh")?.unwrap_or(false);
        let expiry_minutes = keys
            .optional_clock("token_expiry_ist")?
            .unwrap_or(DEFAULT_EXPIRY_MINUTES);
        if app_id.trim() != app_id || app_id.contains(':') {
            return Err(Error::invalid_argument(
                "config key \"app_id\" must be the app id as Fyers shows it (e.g. \"XC4EOD67IM-100\"), without spaces or ':'",
            ));
        }
        if reqwest::Url::parse(&redirect_uri).is_err() {
            return Err(Error::invalid_argument(
                "config key \"redirect_uri\" must be the absolute URL registered with the app",
            ));
        }
        let base_url = base_url.unwrap_or(DEFAULT_BASE_URL).to_string();
        Ok(Box::new(Fyers {
            oauth_url: oauth_url.unwrap_or_else(|| format!("{base_url}/generate-authcode")),
            base_url,
            app_id,
            app_secret,
            redirect_uri,
            legacy_refresh,
            expiry_minutes,
            state: random_state()?,
            pin: Mutex::default(),
        }))
    }

    /// `appIdHash`: lowercase hex SHA-256 of `app_id:app_secret` (PROTOCOLS.md §6.2).
    fn app_id_hash(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.app_id.as_bytes());
        hasher.update(b":");
        hasher.update(self.app_secret.expose().as_bytes());
        hex::encode(hasher.finalize())
    }

    /// A token request (`/validate-authcode`, `/validate-refresh-token`): JSON, no
    /// Authorization, no `version` (as the SDKs send it).
    fn token_request(&self, path: &str, body: Secret) -> Request {
        Request {
            method: Method::Post,
            url: format!("{}{path}", self.base_url),
            headers: vec![("Content-Type", Secret::new("application/json"))],
            body: Some(body),
        }
    }

    /// An authenticated call: `Authorization: <app_id>:<access_token>` (no `Bearer`),
    /// `Content-Type: application/json`, `version: 3` (PROTOCOLS.md §6.3).
    fn request(
        &self,
        method: Method,
        path: &str,
        tokens: &Tokens,
        body: Option<Secret>,
    ) -> Request {
        Request {
            method,
            url: format!("{}{path}", self.base_url),
            headers: vec![
                (
                    "Authorization",
                    Secret::new(format!("{}:{}", self.app_id, tokens.access.expose())),
                ),
                ("Content-Type", Secret::new("application/json")),
                ("version", Secret::new("3")),
            ],
            body,
        }
    }

    fn call(&self, http: &Call<'_>, op: Operation, request: &Request) -> Result<Value> {
        parse_reply(op, &http.send(request)?)
    }

    fn pin(&self) -> std::sync::MutexGuard<'_, LegacyPin> {
        self.pin.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Refuses a redirect that did not come from this session's login URL, or that reports a
    /// failed login.
    fn check_redirect(&self, redirect: &crate::config::Redirect) -> Result<()> {
        if let Some(s) = redirect.param("s")
            && !s.eq_ignore_ascii_case("ok")
        {
            return Err(failed_login(
                redirect.param("code"),
                redirect.param("message"),
            ));
        }
        if redirect.param("state") != Some(self.state.as_str()) {
            return Err(Error::new(
                Status::Auth,
                "the redirect's \"state\" is not this session's: the address comes from another login (or a forged link); open this session's broker_login_url address and log in again (or pass \"auth_code\")",
            ));
        }
        Ok(())
    }
}

/// A redirect whose `s` is not `ok`: the login failed at Fyers.
fn failed_login(code: Option<&str>, message: Option<&str>) -> Error {
    Error::new(
        Status::Auth,
        "the browser login did not succeed (the redirect says so): log in again in the browser",
    )
    .with_broker(code.map(str::to_owned), message.map(str::to_owned))
}

/// The auth code as the user pasted it: whitespace trimmed and percent-escapes decoded, as the
/// official C SDK does (PROTOCOLS.md §6.2).
fn clean_code(code: &str) -> Secret {
    let trimmed = code.trim();
    if !trimmed.contains('%') {
        return Secret::new(trimmed);
    }
    let decoded: String = url::form_urlencoded::parse(format!("c={trimmed}").as_bytes())
        .next()
        .map(|(_, value)| value.trim().to_string())
        .unwrap_or_default();
    Secret::new(decoded)
}

impl Broker for Fyers {
    fn name(&self) -> &'static str {
        "fyers"
    }

    fn describe(&self) -> Value {
        json!({
            "broker": self.name(),
            "base_url": self.base_url,
            "oauth_url": self.oauth_url,
            "app_id": self.app_id,
            "redirect_uri": self.redirect_uri,
            "legacy_refresh": self.legacy_refresh,
        })
    }

    fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `generate-authcode?client_id=…&redirect_uri=…&response_type=code&state=…`, in the SDK's
    /// order, with this session's state.
    fn login_url(&self, _http: &Call<'_>) -> Result<String> {
        let mut url = reqwest::Url::parse(&self.oauth_url)
            .map_err(|_| Error::invalid_argument("config key \"oauth_url\" is not a valid URL"))?;
        url.query_pairs_mut()
            .append_pair("client_id", &self.app_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("state", &self.state);
        Ok(url.into())
    }

    /// Fyers' limits are 10/s, 200/min and 1,00,000/day for all calls together, per user
    /// (PROTOCOLS.md §6.6). The pacer counts per operation in a second and an hour, so the budget
    /// is split: funds 2/s and 3000/h, profile 1/s and 1000/h, login, refresh and logout 1/s and
    /// 10/h each. Together: at most 5 a second, 195 in any minute (the second's window is 1.1 s),
    /// 96,720 a day.
    fn rate_limit(&self, op: Operation) -> RateLimit {
        match op {
            Operation::Funds => RateLimit::new(2, 3000),
            Operation::Profile => RateLimit::new(1, 1000),
            Operation::Login | Operation::Refresh | Operation::Logout => RateLimit::new(1, 10),
        }
    }

    fn can_refresh(&self) -> bool {
        self.legacy_refresh
    }

    /// `auth_code`, or `redirect_url` with its `auth_code` (the grant: the redirect's `code` is
    /// a status), `s` and `state`; with `legacy_refresh`, also `pin`.
    fn credentials(&self, keys: &mut Keys) -> Result<Credentials> {
        let pin = if self.legacy_refresh {
            Some(Secret::new(keys.required_str("pin").map_err(|_| {
                Error::invalid_argument(
                    "credentials key \"pin\" (the 4-digit Fyers PIN, for \"legacy_refresh\") is missing or not a string",
                )
            })?))
        } else {
            None
        };
        // A failed login's redirect may carry no auth code at all: its `s` is read first, so
        // that it is reported as the refusal it is.
        let mut given = Map::new();
        for key in ["auth_code", "redirect_url"] {
            if let Some(value) = keys.optional_str(key)? {
                given.insert(key.to_string(), Value::String(value));
            }
        }
        if let Some(Value::String(redirect)) = given.get("redirect_url")
            && let Ok(url) = reqwest::Url::parse(redirect)
        {
            let param = |name: &str| {
                url.query_pairs()
                    .find(|(key, value)| key == name && !value.is_empty())
                    .map(|(_, value)| value.into_owned())
            };
            if param("s").is_some_and(|s| !s.eq_ignore_ascii_case("ok")) {
                return Err(failed_login(
                    param("code").as_deref(),
                    param("message").as_deref(),
                ));
            }
        }
        let mut given = Value::Object(given);
        let text = secret_body(&given);
        wipe(&mut given);
        let credentials =
            Keys::parse(text.expose(), "credentials")?.authorization_code(&["auth_code"])?;
        self.pin().pending = pin;
        Ok(credentials)
    }

    fn login(&self, http: &Call<'_>, credentials: &Credentials) -> Result<Tokens> {
        let Credentials::AuthorizationCode { code, redirect } = credentials else {
            return Err(Error::invalid_argument("these credentials are not Fyers'"));
        };
        if let Some(redirect) = redirect {
            self.check_redirect(redirect)?;
        }
        let code = clean_code(code.expose());
        if code.expose().is_empty() {
            return Err(Error::invalid_argument(
                "credentials key \"auth_code\" must not be empty",
            ));
        }
        #[derive(Serialize)]
        struct Body<'a> {
            grant_type: &'a str,
            #[serde(rename = "appIdHash")]
            app_id_hash: &'a str,
            code: &'a str,
        }
        let body = secret_body(&Body {
            grant_type: "authorization_code",
            app_id_hash: &self.app_id_hash(),
            code: code.expose(),
        });
        let request = self.token_request("/validate-authcode", body);
        let mut reply = self.call(http, Operation::Login, &request)?;
        let tokens = tokens_from_reply(&reply, unix_now(), self.expiry_minutes);
        wipe(&mut reply);
        let tokens = tokens?;
        let mut pin = self.pin();
        if let Some(fresh) = pin.pending.take() {
            pin.current = Some(fresh);
        }
        Ok(tokens)
    }

    fn refresh(&self, http: &Call<'_>, tokens: &Tokens) -> Result<Tokens> {
        if !self.legacy_refresh {
            return Err(Error::new(
                Status::Unsupported,
                "Fyers has no token refresh: it requires a new browser login (2FA) every trading day (its refresh token flow was discontinued on 1 April 2026; \"legacy_refresh\": true re-enables the old call for an account where it still works)",
            ));
        }
        let refresh_token = tokens.refresh.as_ref().ok_or_else(|| {
            Error::new(
                Status::SessionExpired,
                "the login gave no refresh token: log in again",
            )
        })?;
        let pin = self.pin().current.clone().ok_or_else(|| {
            Error::new(
                Status::SessionExpired,
                "the legacy refresh needs the PIN given with this session's login (a resumed session has none): log in again",
            )
        })?;
        #[derive(Serialize)]
        struct Body<'a> {
            grant_type: &'a str,
            #[serde(rename = "appIdHash")]
            app_id_hash: &'a str,
            refresh_token: &'a str,
            pin: &'a str,
        }
        let body = secret_body(&Body {
            grant_type: "refresh_token",
            app_id_hash: &self.app_id_hash(),
            refresh_token: refresh_token.expose(),
            pin: pin.expose(),
        });
        let request = self.token_request("/validate-refresh-token", body);
        let mut reply = self.call(http, Operation::Refresh, &request)?;
        let access = text_field(&reply, "access_token").trim().to_string();
        wipe(&mut reply);
        if access.is_empty() {
            return Err(Error::protocol("the refresh reply has no \"access_token\""));
        }
        let access = Secret::new(access);
        let (user_id, expires_at) = reply::access_facts(&access, unix_now(), self.expiry_minutes);
        Ok(Tokens {
            access,
            expires_at: Some(expires_at),
            user_id: if user_id.is_empty() {
                tokens.user_id.clone()
            } else {
                user_id
            },
            ..tokens.clone()
        })
    }

    fn profile(&self, http: &Call<'_>, tokens: &Tokens) -> Result<Profile> {
        let request = self.request(Method::Get, "/profile", tokens, None);
        profile_from(
            self.call(http, Operation::Profile, &request)?,
            &tokens.user_id,
        )
    }

    fn funds(&self, http: &Call<'_>, tokens: &Tokens) -> Result<Funds> {
        let request = self.request(Method::Get, "/funds", tokens, None);
        funds_from(self.call(http, Operation::Funds, &request)?)
    }

    /// `POST /logout` with `{}` (PROTOCOLS.md §6.3): ends this app's session only.
    fn logout(&self, http: &Call<'_>, tokens: &Tokens) -> Result<()> {
        let request = self.request(Method::Post, "/logout", tokens, Some(Secret::new("{}")));
        self.call(http, Operation::Logout, &request).map(drop)
    }
}

#[cfg(test)]
mod tests;
