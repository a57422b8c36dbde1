//! Zerodha Kite Connect v3 (PROTOCOLS.md §4): a browser login whose
//! `request_token` is exchanged with a SHA-256 checksum, profile, margins
//! (funds), logout, and renewal for the approved platforms that get a
//! refresh token.

mod reply;

pub use reply::{FundsSegment, error_for, funds_from, parse_reply, profile_from, tokens_from};

use super::{Broker, Tokens, wipe};
use crate::config::{Credentials, Keys};
use crate::error::{Error, Result, Status};
use crate::http::{Call, Method, Request};
use crate::model::{Funds, Profile};
use crate::operation::Operation;
use crate::pacing::RateLimit;
use crate::secret::Secret;
use crate::time::unix_now;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Kite Connect's REST base URL.
pub(crate) const DEFAULT_BASE_URL: &str = "https://api.kite.trade";
/// Kite's browser login page.
pub(crate) const DEFAULT_LOGIN_URL: &str = "https://kite.zerodha.com/connect/login";

const SESSION_PATH: &str = "/session/token";
const RENEW_PATH: &str = "/session/refresh_token";
const PROFILE_PATH: &str = "/user/profile";
const MARGINS_PATH: &str = "/user/margins";

/// A Kite Connect app: its API key and secret, and where it lives.
#[derive(Debug)]
pub(crate) struct Zerodha {
    base_url: String,
    login_url: String,
    api_key: Secret,
    api_secret: Secret,
    segment: FundsSegment,
}

impl Zerodha {
    /// Reads Zerodha's config keys: `api_key`, `api_secret`, and the
    /// optional `oauth_url` (the login page) and `funds_segment`.
    pub(crate) fn from_config(keys: &mut Keys, base_url: Option<&str>) -> Result<Box<dyn Broker>> {
        let api_key = Secret::new(keys.required_str("api_key")?);
        let api_secret = Secret::new(keys.required_str("api_secret")?);
        let login_url = keys.optional_url("oauth_url")?;
        let segment = match keys.optional_str("funds_segment")?.as_deref() {
            None | Some("equity") => FundsSegment::Equity,
            Some("commodity") => FundsSegment::Commodity,
            Some("both") => FundsSegment::Both,
            Some(_) => {
                return Err(Error::invalid_argument(
                    "config key \"funds_segment\" must be \"equity\", \"commodity\" or \"both\"",
                ));
            }
        };
        Ok(Box::new(Zerodha {
            base_url: base_url.unwrap_or(DEFAULT_BASE_URL).to_string(),
            login_url: login_url.unwrap_or_else(|| DEFAULT_LOGIN_URL.to_string()),
            api_key,
            api_secret,
            segment,
        }))
    }

    /// Lowercase hex SHA-256 of `api_key + token + api_secret` (§4.2): the
    /// only form in which the secret leaves the library.
    fn checksum(&self, token: &Secret) -> Secret {
        let mut hasher = Sha256::new();
        hasher.update(self.api_key.expose().as_bytes());
        hasher.update(token.expose().as_bytes());
        hasher.update(self.api_secret.expose().as_bytes());
        Secret::new(hex::encode(hasher.finalize()))
    }

    /// A request with `X-Kite-Version: 3`, `Authorization: token
    /// api_key:access_token` when there is a session, and the parameters in
    /// a form body (POST) or the query (GET, DELETE).
    fn request(
        &self,
        method: Method,
        path: &str,
        access: Option<&Secret>,
        params: &[(&str, &str)],
    ) -> Request {
        let mut headers = vec![("X-Kite-Version", Secret::new("3"))];
        if let Some(token) = access {
            headers.push((
                "Authorization",
                Secret::new(format!(
                    "token {}:{}",
                    self.api_key.expose(),
                    token.expose()
                )),
            ));
        }
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.extend_pairs(params);
        let params = Secret::new(form.finish());
        let mut url = format!("{}{path}", self.base_url);
        let mut body = None;
        if method == Method::Post {
            headers.push((
                "Content-Type",
                Secret::new("application/x-www-form-urlencoded"),
            ));
            body = Some(params);
        } else if !params.expose().is_empty() {
            url = format!("{url}?{}", params.expose());
        }
        Request {
            method,
            url,
            headers,
            body,
        }
    }

    fn call(&self, http: &Call<'_>, op: Operation, request: &Request) -> Result<Value> {
        parse_reply(op, &http.send(request)?)
    }

    /// `DELETE /session/token` for one token (`access_token` or
    /// `refresh_token`), with the session's Authorization.
    fn invalidate(
        &self,
        http: &Call<'_>,
        tokens: &Tokens,
        name: &str,
        token: &Secret,
    ) -> Result<()> {
        let request = self.request(
            Method::Delete,
            SESSION_PATH,
            Some(&tokens.access),
            &[("api_key", self.api_key.expose()), (name, token.expose())],
        );
        self.call(http, Operation::Logout, &request).map(drop)
    }
}

impl Broker for Zerodha {
    fn name(&self) -> &'static str {
        "zerodha"
    }

    fn describe(&self) -> Value {
        json!({
            "broker": self.name(),
            "base_url": self.base_url,
            "oauth_url": self.login_url,
            "funds_segment": self.segment.name(),
        })
    }

    fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The login page with `v=3` and the api_key (§4.1).
    fn login_url(&self, _http: &Call<'_>) -> Result<String> {
        let mut url = reqwest::Url::parse(&self.login_url)
            .map_err(|_| Error::invalid_argument("config key \"oauth_url\" is not a valid URL"))?;
        url.query_pairs_mut()
            .append_pair("v", "3")
            .append_pair("api_key", self.api_key.expose());
        Ok(url.into())
    }

    /// §4.7: 10 requests a second per api_key, shared by every endpoint
    /// brokerlink calls, and repeated breaches can get the app blocked. So
    /// the budget is split: 4/s each for profile and funds, 1/s each for
    /// login, refresh and logout; a login, eight reads and a logout fit in
    /// one second.
    fn rate_limit(&self, op: Operation) -> RateLimit {
        match op {
            Operation::Profile | Operation::Funds => RateLimit::new(4, 0),
            Operation::Login | Operation::Refresh | Operation::Logout => RateLimit::new(1, 0),
        }
    }

    fn can_refresh(&self) -> bool {
        true
    }

    /// Only a login that carried a refresh token (approved platforms).
    fn can_refresh_tokens(&self, tokens: &Tokens) -> bool {
        tokens.refresh.is_some()
    }

    /// `request_token`, or `redirect_url` (the address the browser landed
    /// on), whose `status` must be `success` when present (§4.1).
    fn credentials(&self, keys: &mut Keys) -> Result<Credentials> {
        let credentials = keys.completed_authorization_code(
            &["request_token"],
            "the redirect has no \"request_token\": the Kite login did not complete; log in again in the browser",
        )?;
        if let Credentials::AuthorizationCode {
            redirect: Some(redirect),
            ..
        } = &credentials
            && redirect
                .param("status")
                .is_some_and(|status| status != "success")
        {
            return Err(Error::new(
                Status::Auth,
                "the Kite login did not succeed (the redirect's \"status\" is not \"success\"): log in again in the browser",
            ));
        }
        Ok(credentials)
    }

    fn login(&self, http: &Call<'_>, credentials: &Credentials) -> Result<Tokens> {
        let Credentials::AuthorizationCode { code, .. } = credentials else {
            return Err(Error::invalid_argument(
                "these credentials are not Zerodha's",
            ));
        };
        let checksum = self.checksum(code);
        let request = self.request(
            Method::Post,
            SESSION_PATH,
            None,
            &[
                ("api_key", self.api_key.expose()),
                ("request_token", code.expose()),
                ("checksum", checksum.expose()),
            ],
        );
        let mut data = self.call(http, Operation::Login, &request)?;
        let tokens = tokens_from(&data, None, unix_now());
        wipe(&mut data);
        tokens
    }

    fn refresh(&self, http: &Call<'_>, tokens: &Tokens) -> Result<Tokens> {
        let refresh_token = tokens.refresh.as_ref().ok_or_else(|| {
            Error::new(
                Status::Unsupported,
                "Zerodha gave this session no refresh token (only approved platforms get one): a new browser login is needed each day (broker_login_url, then broker_login)",
            )
        })?;
        let checksum = self.checksum(refresh_token);
        let request = self.request(
            Method::Post,
            RENEW_PATH,
            None,
            &[
                ("api_key", self.api_key.expose()),
                ("refresh_token", refresh_token.expose()),
                ("checksum", checksum.expose()),
            ],
        );
        let mut data = self.call(http, Operation::Refresh, &request)?;
        let fresh = tokens_from(&data, Some(tokens), unix_now());
        wipe(&mut data);
        fresh
    }

    fn profile(&self, http: &Call<'_>, tokens: &Tokens) -> Result<Profile> {
        let request = self.request(Method::Get, PROFILE_PATH, Some(&tokens.access), &[]);
        profile_from(
            self.call(http, Operation::Profile, &request)?,
            &tokens.user_id,
        )
    }

    fn funds(&self, http: &Call<'_>, tokens: &Tokens) -> Result<Funds> {
        let request = self.request(Method::Get, MARGINS_PATH, Some(&tokens.access), &[]);
        funds_from(self.call(http, Operation::Funds, &request)?, self.segment)
    }

    /// Invalidates the refresh token if the session has one (while the
    /// access token still authorizes the call), then the access token, so
    /// that nothing the library forgets stays usable at Kite. A token Kite
    /// no longer knows counts as invalidated.
    fn logout(&self, http: &Call<'_>, tokens: &Tokens) -> Result<()> {
        let already_ended = |result: Result<()>| match result {
            Err(e) if e.status == Status::SessionExpired => Ok(()),
            other => other,
        };
        if let Some(refresh) = &tokens.refresh {
            already_ended(self.invalidate(http, tokens, "refresh_token", refresh))?;
        }
        already_ended(self.invalidate(http, tokens, "access_token", &tokens.access))
    }
}

#[cfg(test)]
mod tests;
