//! Upstox API v2, funds also v3 (PROTOCOLS.md §5): a browser login whose
//! code is exchanged for an access token (form-encoded, with the app's
//! secret), or an access token the user already holds; profile, funds (v3,
//! falling back to v2) and logout. No refresh: a new browser login each day.

mod reply;

pub use reply::{error_for_code, funds_v2_from, funds_v3_from, parse_reply, profile_from};

use super::angelone::jwt_expiry;
use super::{Broker, TokenStyle, Tokens, random_state, text_field, wipe};
use crate::config::{Credentials, Keys};
use crate::error::{Error, Result, Status};
use crate::http::{Call, Method, Request, Response};
use crate::model::{Funds, Profile};
use crate::operation::Operation;
use crate::pacing::RateLimit;
use crate::secret::Secret;
use crate::time::{next_day_end, unix_now};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, Ordering};

/// Upstox's REST base URL (§5).
pub(crate) const DEFAULT_BASE_URL: &str = "https://api.upstox.com";
/// The authorization dialog the user logs in on (§5.1).
pub(crate) const DEFAULT_OAUTH_URL: &str = "https://api.upstox.com/v2/login/authorization/dialog";

const TOKEN_PATH: &str = "/v2/login/authorization/token";
const PROFILE_PATH: &str = "/v2/user/profile";
const FUNDS_V3_PATH: &str = "/v3/user/get-funds-and-margin";
const FUNDS_V2_PATH: &str = "/v2/user/get-funds-and-margin";
const LOGOUT_PATH: &str = "/v2/logout";

/// The access token lasts until the next 03:30 IST (§5.7), in minutes after
/// midnight IST.
pub(crate) const TOKEN_DAY_END_IST: u32 = 3 * 60 + 30;

/// Which funds endpoint a session reads (config key `funds_version`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FundsVersion {
    /// v3, and v2 when v3 answers 404 or UDAPI10000 (§5.5).
    Auto,
    /// v3 only.
    V3,
    /// v2 only.
    V2,
}

impl FundsVersion {
    fn name(self) -> &'static str {
        match self {
            FundsVersion::Auto => "auto",
            FundsVersion::V3 => "v3",
            FundsVersion::V2 => "v2",
        }
    }
}

/// An Upstox app: client id and secret, its redirect URI, and this
/// session's OAuth `state`.
#[derive(Debug)]
pub(crate) struct Upstox {
    base_url: String,
    oauth_url: String,
    api_key: Secret,
    api_secret: Option<Secret>,
    redirect_uri: Option<String>,
    funds_version: FundsVersion,
    /// This session's OAuth `state`, made once when the session is made: the
    /// login URL carries it and a redirect must bring it back.
    state: String,
    /// Set once v3 funds answered that they are not there (`auto` only).
    v3_missing: AtomicBool,
}

impl Upstox {
    /// Reads Upstox's config keys: `api_key` (the app's client id),
    /// `api_secret` and `redirect_uri` (needed for a browser login),
    /// `oauth_url` and `funds_version`.
    pub(crate) fn from_config(keys: &mut Keys, base_url: Option<&str>) -> Result<Box<dyn Broker>> {
        let api_key = Secret::new(keys.required_str("api_key")?);
        let api_secret = keys.optional_str("api_secret")?.map(Secret::new);
        let redirect_uri = keys.optional_str("redirect_uri")?;
        let oauth_url = keys.optional_url("oauth_url")?;
        let funds_version = match keys.optional_str("funds_version")?.as_deref() {
            None | Some("auto") => FundsVersion::Auto,
            Some("v3") => FundsVersion::V3,
            Some("v2") => FundsVersion::V2,
            Some(_) => {
                return Err(Error::invalid_argument(
                    "config key \"funds_version\" must be \"auto\", \"v3\" or \"v2\"",
                ));
            }
        };
        if let Some(uri) = &redirect_uri {
            reqwest::Url::parse(uri).map_err(|_| {
                Error::invalid_argument(
                    "config key \"redirect_uri\" must be an absolute URL (the one registered with the app)",
                )
            })?;
        }
        Ok(Box::new(Upstox {
            base_url: base_url.unwrap_or(DEFAULT_BASE_URL).to_string(),
            oauth_url: oauth_url.unwrap_or_else(|| DEFAULT_OAUTH_URL.to_string()),
            api_key,
            api_secret,
            redirect_uri,
            funds_version,
            state: random_state()?,
            v3_missing: AtomicBool::new(false),
        }))
    }

    /// A request with the headers of §5.3: `Accept`, `Api-Version`, and the
    /// Bearer token when there is one.
    fn request(
        &self,
        method: Method,
        path: &str,
        api_version: &str,
        token: Option<&Secret>,
    ) -> Request {
        let mut headers = vec![
            ("Accept", Secret::new("application/json")),
            ("Api-Version", Secret::new(api_version)),
        ];
        if let Some(token) = token {
            headers.push((
                "Authorization",
                Secret::new(format!("Bearer {}", token.expose())),
            ));
        }
        Request {
            method,
            url: format!("{}{path}", self.base_url),
            headers,
            body: None,
        }
    }

    fn call(&self, http: &Call<'_>, op: Operation, request: &Request) -> Result<Value> {
        parse_reply(op, &http.send(request)?)
    }

    fn redirect_uri(&self, why: &str) -> Result<&str> {
        self.redirect_uri.as_deref().ok_or_else(|| {
            Error::invalid_argument(format!(
                "config key \"redirect_uri\" is required {why} (the redirect URI registered with the Upstox app)"
            ))
        })
    }

    /// The token exchange of §5.2: the code, the app's id and secret and the
    /// redirect URI, form-encoded; the reply is flat (§5.4).
    fn exchange_code(&self, http: &Call<'_>, code: &Secret) -> Result<Tokens> {
        let why = "for a login with a code";
        let redirect_uri = self.redirect_uri(why)?;
        let secret = self.api_secret.as_ref().ok_or_else(|| {
            Error::invalid_argument(format!("config key \"api_secret\" is required {why}"))
        })?;
        let body = Secret::new(
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("code", code.expose())
                .append_pair("client_id", self.api_key.expose())
                .append_pair("client_secret", secret.expose())
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("grant_type", "authorization_code")
                .finish(),
        );
        let mut request = self.request(Method::Post, TOKEN_PATH, "2.0", None);
        request.headers.push((
            "Content-Type",
            Secret::new("application/x-www-form-urlencoded"),
        ));
        request.body = Some(body);
        let mut reply = self.call(http, Operation::Login, &request)?;
        let tokens = tokens_from(&reply, unix_now());
        wipe(&mut reply);
        tokens
    }

    /// A session from a token the user already holds: no exchange, but one
    /// profile read, which names the user and tells at once whether Upstox
    /// takes the token (a refused one is SESSION_EXPIRED).
    fn adopt_token(&self, http: &Call<'_>, token: &Secret) -> Result<Tokens> {
        let token = token.expose().trim();
        let token = token.strip_prefix("Bearer ").unwrap_or(token).trim();
        if token.is_empty() {
            return Err(Error::invalid_argument(
                "credentials key \"access_token\" must not be empty",
            ));
        }
        let access = Secret::new(token);
        let request = self.request(Method::Get, PROFILE_PATH, "2.0", Some(&access));
        let user_id = match self.call(http, Operation::Login, &request) {
            Ok(data) => text_field(&data, "user_id").trim().to_string(),
            Err(e) if e.status == Status::SessionExpired => {
                return Err(Error {
                    message: "Upstox refused the access token (expired at 03:30 IST, logged out, or not an Upstox token): get a new one".to_string(),
                    ..e
                });
            }
            // An extended token may not read the profile (UNCONFIRMED which
            // calls take it): the session starts without a user id.
            Err(e) if e.status == Status::Unsupported => String::new(),
            Err(e) => return Err(e),
        };
        Ok(Tokens {
            expires_at: Some(token_expiry(access.expose(), unix_now())),
            access,
            refresh: None,
            feed: None,
            user_id,
            account_id: None,
            style: TokenStyle::Bearer,
        })
    }

    /// v3 funds, or `None` when v3 is not there and `auto` may fall back.
    fn funds_v3(&self, http: &Call<'_>, tokens: &Tokens) -> Result<Option<Funds>> {
        let request = self.request(Method::Get, FUNDS_V3_PATH, "3.0", Some(&tokens.access));
        let response = http.send(&request)?;
        let fallback = self.funds_version == FundsVersion::Auto;
        if fallback && v3_is_missing(&response) {
            self.v3_missing.store(true, Ordering::Relaxed);
            return Ok(None);
        }
        funds_v3_from(parse_reply(Operation::Funds, &response)?).map(Some)
    }

    fn funds_v2(&self, http: &Call<'_>, tokens: &Tokens) -> Result<Funds> {
        let request = self.request(Method::Get, FUNDS_V2_PATH, "2.0", Some(&tokens.access));
        funds_v2_from(self.call(http, Operation::Funds, &request)?)
    }
}

/// Whether a v3 funds reply says the endpoint is not there: HTTP 404, or
/// the error UDAPI10000 (§5.5; the trigger is UNCONFIRMED).
fn v3_is_missing(response: &Response) -> bool {
    response.status == 404
        || parse_reply(Operation::Funds, response)
            .is_err_and(|e| e.broker_code.as_deref() == Some(reply::NOT_SUPPORTED))
}

/// When an access token expires: the JWT's `exp` when it has one, else the
/// next 03:30 IST after `now` (§5.7).
pub fn token_expiry(token: &str, now: i64) -> i64 {
    jwt_expiry(token)
        .filter(|exp| *exp > 0)
        .unwrap_or_else(|| next_day_end(now, TOKEN_DAY_END_IST))
}

/// Tokens from the token exchange's flat reply (§5.4): `access_token` and
/// `user_id`; the `extended_token` is not kept.
pub fn tokens_from(reply: &Value, now: i64) -> Result<Tokens> {
    let access = text_field(reply, "access_token").trim().to_string();
    if access.is_empty() {
        return Err(Error::protocol("the token reply has no \"access_token\""));
    }
    let user_id = text_field(reply, "user_id").trim().to_string();
    if user_id.is_empty() {
        return Err(Error::protocol("the token reply has no \"user_id\""));
    }
    Ok(Tokens {
        expires_at: Some(token_expiry(&access, now)),
        access: Secret::new(access),
        refresh: None,
        feed: None,
        user_id,
        account_id: None,
        style: TokenStyle::Bearer,
    })
}

impl Broker for Upstox {
    fn name(&self) -> &'static str {
        "upstox"
    }

    fn describe(&self) -> Value {
        json!({
            "broker": self.name(),
            "base_url": self.base_url,
            "oauth_url": self.oauth_url,
            "redirect_uri": self.redirect_uri,
            "funds_version": self.funds_version.name(),
        })
    }

    fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The authorization dialog (§5.1) with this session's `state`.
    fn login_url(&self, _http: &Call<'_>) -> Result<String> {
        let redirect_uri = self.redirect_uri("for a browser login")?;
        let mut url = reqwest::Url::parse(&self.oauth_url)
            .map_err(|_| Error::invalid_argument("config key \"oauth_url\" is not a valid URL"))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", self.api_key.expose())
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", &self.state);
        Ok(url.into())
    }

    /// §5.7: 50/s, 500/min and 2000/30 min per user and API for the standard
    /// APIs (profile and logout presumed among them). The pacer counts
    /// seconds and hours, so 8/s (at most ~440 a minute) and 2000/h keep
    /// within all three windows. The token exchange has no published limit.
    fn rate_limit(&self, op: Operation) -> RateLimit {
        match op {
            Operation::Profile | Operation::Funds | Operation::Logout => RateLimit::new(8, 2000),
            Operation::Login | Operation::Refresh => RateLimit::NONE,
        }
    }

    fn can_refresh(&self) -> bool {
        false
    }

    /// `code`, `redirect_url` (with `code` and this session's `state`), or
    /// `access_token`: exactly one.
    fn credentials(&self, keys: &mut Keys) -> Result<Credentials> {
        if let Some(token) = keys.optional_str("access_token")?.map(Secret::new) {
            if keys.optional_str("code")?.is_some() || keys.optional_str("redirect_url")?.is_some()
            {
                return Err(Error::invalid_argument(
                    "credentials must have one of \"code\", \"redirect_url\" or \"access_token\"",
                ));
            }
            return Ok(Credentials::AccessToken(token));
        }
        // Upstox's failure redirect is not documented (PROTOCOLS.md §5.1).
        keys.completed_authorization_code(
            &["code"],
            "the address the browser landed on carries no \"code\": the Upstox login did not complete; log in again in the browser",
        )
    }

    fn login(&self, http: &Call<'_>, credentials: &Credentials) -> Result<Tokens> {
        match credentials {
            Credentials::AuthorizationCode { code, redirect } => {
                if let Some(redirect) = redirect
                    && redirect.param("state") != Some(self.state.as_str())
                {
                    return Err(Error::new(
                        Status::Auth,
                        "the redirect's \"state\" is not this session's: it did not come from this session's broker_login_url (possibly a forged redirect); log in again from broker_login_url's address, or pass {\"code\":…}",
                    ));
                }
                self.exchange_code(http, code)
            }
            Credentials::AccessToken(token) => self.adopt_token(http, token),
            Credentials::PinTotp { .. } | Credentials::PasswordTotp { .. } => Err(
                Error::invalid_argument("these credentials are not Upstox's"),
            ),
        }
    }

    fn refresh(&self, _http: &Call<'_>, _tokens: &Tokens) -> Result<Tokens> {
        Err(Error::new(
            Status::Unsupported,
            "Upstox has no token refresh: the access token lasts until 03:30 IST, then log in again in the browser (broker_login_url) each day",
        ))
    }

    fn profile(&self, http: &Call<'_>, tokens: &Tokens) -> Result<Profile> {
        let request = self.request(Method::Get, PROFILE_PATH, "2.0", Some(&tokens.access));
        profile_from(
            self.call(http, Operation::Profile, &request)?,
            &tokens.user_id,
        )
    }

    fn funds(&self, http: &Call<'_>, tokens: &Tokens) -> Result<Funds> {
        let v2 = self.funds_version == FundsVersion::V2
            || (self.funds_version == FundsVersion::Auto
                && self.v3_missing.load(Ordering::Relaxed));
        if !v2 && let Some(funds) = self.funds_v3(http, tokens)? {
            return Ok(funds);
        }
        self.funds_v2(http, tokens)
    }

    fn logout(&self, http: &Call<'_>, tokens: &Tokens) -> Result<()> {
        let request = self.request(Method::Delete, LOGOUT_PATH, "2.0", Some(&tokens.access));
        self.call(http, Operation::Logout, &request).map(drop)
    }
}

#[cfg(test)]
mod tests;
