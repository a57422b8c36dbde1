//! DhanHQ API v2 (PROTOCOLS.md §7): three logins (PIN + TOTP, the consent
//! login with the app's key and secret, an access token from web.dhan.co),
//! RenewToken, profile and fund limits. Dhan has no logout endpoint.
//!
//! Two hosts: the REST API (`base_url`, `https://api.dhan.co/v2`) and the
//! auth host (`auth_url`, `https://auth.dhan.co`). The PIN and TOTP travel
//! in the auth host's query string, so a URL is never logged or put in an
//! error (the log keeps paths only; reqwest's errors are stripped of URLs).

mod login;
mod reply;

pub use reply::{
    funds_from, ist_timestamp, jwt_expiry, parse_reply, profile_from, token_validity,
    tokens_from_login, tokens_from_renewal,
};

use super::{Broker, Tokens};
use crate::config::{Credentials, Keys};
use crate::error::{Error, Result, Status};
use crate::http::{Call, Method, Request};
use crate::model::{Funds, Profile};
use crate::operation::Operation;
use crate::pacing::RateLimit;
use crate::secret::Secret;
use crate::time::unix_now;
use serde_json::{Value, json};
use std::sync::{Mutex, PoisonError};

/// Dhan's REST base URL.
pub(crate) const DEFAULT_BASE_URL: &str = "https://api.dhan.co/v2";
/// Dhan's auth host: consent, token generation.
pub(crate) const DEFAULT_AUTH_URL: &str = "https://auth.dhan.co";

/// A Dhan account: the client id, the hosts, and the app (API key and
/// secret) when the consent login is used.
#[derive(Debug)]
pub(crate) struct Dhan {
    base_url: String,
    auth_url: String,
    client_id: String,
    app_id: Option<Secret>,
    app_secret: Option<Secret>,
    redirect_uri: Option<String>,
    /// The account holder's name from the last login reply, by client id:
    /// the profile has none (§7.4).
    name: Mutex<Option<(String, String)>>,
}

impl Dhan {
    /// Reads Dhan's config keys: `client_id` (required), `app_id` and
    /// `app_secret` (together, for the consent login), `auth_url`,
    /// `redirect_uri`.
    pub(crate) fn from_config(keys: &mut Keys, base_url: Option<&str>) -> Result<Box<dyn Broker>> {
        let client_id = keys.required_str("client_id")?.trim().to_string();
        if client_id.is_empty() || client_id.chars().any(|c| c.is_control() || c == ' ') {
            return Err(Error::invalid_argument(
                "config key \"client_id\" must be the Dhan client id (10 digits), without spaces",
            ));
        }
        let app_id = keys.optional_str("app_id")?.map(Secret::new);
        let app_secret = keys.optional_str("app_secret")?.map(Secret::new);
        let auth_url = keys.optional_url("auth_url")?;
        let redirect_uri = keys.optional_url("redirect_uri")?;
        match (&app_id, &app_secret) {
            (Some(_), None) => {
                return Err(Error::invalid_argument(
                    "config key \"app_secret\" is required with \"app_id\" (the consent login needs both)",
                ));
            }
            (None, Some(_)) => {
                return Err(Error::invalid_argument(
                    "config key \"app_id\" is required with \"app_secret\" (the consent login needs both)",
                ));
            }
            _ => {}
        }
        Ok(Box::new(Dhan {
            base_url: base_url.unwrap_or(DEFAULT_BASE_URL).to_string(),
            auth_url: auth_url
                .as_deref()
                .unwrap_or(DEFAULT_AUTH_URL)
                .trim_end_matches('/')
                .to_string(),
            client_id,
            app_id,
            app_secret,
            redirect_uri,
            name: Mutex::new(None),
        }))
    }

    /// A GET to the REST API with the token and the client id under the
    /// header name the endpoint wants (`client-id` or `dhanClientId`, §7.3).
    fn api_get(&self, path: &str, tokens: &Tokens, client_header: &'static str) -> Request {
        Request {
            method: Method::Get,
            url: format!("{}{path}", self.base_url),
            headers: vec![
                ("access-token", tokens.access.clone()),
                (client_header, Secret::new(tokens.user_id.as_str())),
                ("Content-Type", Secret::new("application/json")),
                ("Accept", Secret::new("application/json")),
            ],
            body: None,
        }
    }

    fn remember_name(&self, user_id: &str, name: String) {
        let mut slot = self.name.lock().unwrap_or_else(PoisonError::into_inner);
        *slot = (!name.is_empty()).then(|| (user_id.to_string(), name));
    }

    fn name_of(&self, user_id: &str) -> String {
        let slot = self.name.lock().unwrap_or_else(PoisonError::into_inner);
        slot.as_ref()
            .filter(|(user, _)| user == user_id)
            .map(|(_, name)| name.clone())
            .unwrap_or_default()
    }
}

impl Broker for Dhan {
    fn name(&self) -> &'static str {
        "dhan"
    }

    fn describe(&self) -> Value {
        json!({
            "broker": self.name(),
            "base_url": self.base_url,
            "auth_url": self.auth_url,
            "user_id": self.client_id,
            "consent_login": self.app_id.is_some(),
            "redirect_uri": self.redirect_uri,
        })
    }

    fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The consent login's browser address. Dhan must first hand out a
    /// consent id (generate-consent, at most 25 a day): this is the one
    /// login URL that costs a network call.
    fn login_url(&self, http: &Call<'_>) -> Result<String> {
        self.consent_url(http)
    }

    /// §7.6: `/profile`, `/fundlimit` and `/RenewToken` are presumed "Non
    /// Trading APIs", 20 a second; the auth host publishes no limit.
    fn rate_limit(&self, op: Operation) -> RateLimit {
        match op {
            Operation::Profile | Operation::Funds | Operation::Refresh => RateLimit::new(20, 0),
            Operation::Login | Operation::Logout => RateLimit::NONE,
        }
    }

    fn can_refresh(&self) -> bool {
        true
    }

    /// `pin` with `totp` or `totp_secret`; `access_token`; or `token_id`
    /// (or `redirect_url` with its `tokenId`) after the consent login.
    fn credentials(&self, keys: &mut Keys) -> Result<Credentials> {
        let pin = keys.optional_str("pin")?;
        let access_token = keys.optional_str("access_token")?;
        match (pin, access_token) {
            (Some(_), Some(_)) => Err(Error::invalid_argument(
                "credentials must have \"pin\" or \"access_token\", not both",
            )),
            (Some(pin), None) => Ok(Credentials::PinTotp {
                pin: Secret::new(pin),
                totp: keys.totp_input()?,
            }),
            (None, Some(token)) => Ok(Credentials::AccessToken(Secret::new(token))),
            (None, None) => keys.authorization_code(&["token_id", "tokenId"]),
        }
    }

    fn login(&self, http: &Call<'_>, credentials: &Credentials) -> Result<Tokens> {
        let (tokens, name) = match credentials {
            Credentials::PinTotp { pin, totp } => self.pin_totp_login(http, pin, &totp.code())?,
            Credentials::AuthorizationCode { code, .. } => self.consume_consent(http, code)?,
            Credentials::AccessToken(token) => self.token_login(http, token)?,
            Credentials::PasswordTotp { .. } => {
                return Err(Error::invalid_argument("these credentials are not Dhan's"));
            }
        };
        self.remember_name(&tokens.user_id, name);
        Ok(tokens)
    }

    /// RenewToken (GET, §7.2): a new token for 24 hours; the old one dies.
    fn refresh(&self, http: &Call<'_>, tokens: &Tokens) -> Result<Tokens> {
        let request = self.api_get("/RenewToken", tokens, "dhanClientId");
        let mut reply = parse_reply(Operation::Refresh, &http.send(&request)?)?;
        let fresh = tokens_from_renewal(&reply, tokens, unix_now());
        super::wipe(&mut reply);
        fresh
    }

    fn profile(&self, http: &Call<'_>, tokens: &Tokens) -> Result<Profile> {
        let request = self.api_get("/profile", tokens, "dhanClientId");
        let reply = parse_reply(Operation::Profile, &http.send(&request)?)?;
        Ok(profile_from(
            reply,
            &tokens.user_id,
            &self.name_of(&tokens.user_id),
        ))
    }

    fn funds(&self, http: &Call<'_>, tokens: &Tokens) -> Result<Funds> {
        let request = self.api_get("/fundlimit", tokens, "client-id");
        funds_from(parse_reply(Operation::Funds, &http.send(&request)?)?)
    }

    /// Never called: Dhan has no logout endpoint (§7.1), so
    /// [`Broker::revokes_at_logout`] is false and the session only forgets
    /// the tokens.
    fn logout(&self, _http: &Call<'_>, _tokens: &Tokens) -> Result<()> {
        Err(Error::new(
            Status::Unsupported,
            "Dhan has no logout endpoint: the token stays valid until it expires",
        ))
    }

    fn revokes_at_logout(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests;
