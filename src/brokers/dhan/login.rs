//! Dhan's logins (PROTOCOLS.md §7.2): the consent login (generate-consent,
//! the browser, consumeApp-consent), PIN + TOTP (generateAccessToken, the
//! secrets in the query string), and a token from web.dhan.co (checked
//! with `/profile`).

use super::reply::{check_client, expiry, parse_reply, tokens_from_login};
use super::{Dhan, Tokens};
use crate::brokers::{TokenStyle, text_field, wipe};
use crate::error::{Error, Reason, Result, Status};
use crate::http::{Call, Method, Request, Response};
use crate::operation::Operation;
use crate::secret::Secret;
use crate::time::unix_now;
use serde_json::Value;
use zeroize::Zeroize;

impl Dhan {
    /// The app's key and secret, which the consent login needs.
    fn app(&self) -> Result<(&Secret, &Secret)> {
        match (&self.app_id, &self.app_secret) {
            (Some(id), Some(secret)) => Ok((id, secret)),
            _ => Err(Error::invalid_argument(
                "config keys \"app_id\" and \"app_secret\" (the API key and secret from web.dhan.co) are required for the consent login; the PIN + TOTP login needs no browser",
            )),
        }
    }

    /// `<auth_url><path>?<params>`, the values percent-encoded.
    fn auth_address(&self, path: &str, params: &[(&str, &str)]) -> Result<String> {
        let mut url = reqwest::Url::parse(&format!("{}{path}", self.auth_url))
            .map_err(|_| Error::invalid_argument("config key \"auth_url\" is not a valid URL"))?;
        {
            let mut query = url.query_pairs_mut();
            for (name, value) in params {
                query.append_pair(name, value);
            }
        }
        Ok(url.into())
    }

    /// Sends a request to the auth host and reads the reply, then wipes the
    /// URL: it may hold the PIN and TOTP.
    fn send_auth(&self, http: &Call<'_>, mut request: Request) -> Result<Response> {
        let response = http.send(&request);
        request.url.zeroize();
        response
    }

    /// generate-consent (POST, app headers, no body), then the browser
    /// address `…/login/consentApp-login?consentAppId=<id>`.
    pub(super) fn consent_url(&self, http: &Call<'_>) -> Result<String> {
        let (app_id, app_secret) = self.app()?;
        let request = Request {
            method: Method::Post,
            url: self.auth_address("/app/generate-consent", &[("client_id", &self.client_id)])?,
            headers: vec![
                ("app_id", app_id.clone()),
                ("app_secret", app_secret.clone()),
                ("Accept", Secret::new("application/json")),
            ],
            // An empty body, sent with Content-Length: 0, as the SDK's requests.post does.
            body: Some(Secret::new("")),
        };
        let response = self.send_auth(http, request)?;
        let reply = parse_reply(Operation::Login, &response).map_err(consent_refused)?;
        let id = text_field(&reply, "consentAppId").trim().to_string();
        let status = text_field(&reply, "status");
        if id.is_empty() || !(status.is_empty() || status.eq_ignore_ascii_case("success")) {
            return Err(Error::protocol(
                "the generate-consent reply has no \"consentAppId\" with \"status\":\"success\"",
            )
            .with_http_status(response.status));
        }
        self.auth_address("/login/consentApp-login", &[("consentAppId", &id)])
    }

    /// consumeApp-consent (GET, app headers): the browser's `tokenId` for
    /// the session's tokens.
    pub(super) fn consume_consent(
        &self,
        http: &Call<'_>,
        token_id: &Secret,
    ) -> Result<(Tokens, String)> {
        let (app_id, app_secret) = self.app()?;
        let request = Request {
            method: Method::Get,
            url: self.auth_address("/app/consumeApp-consent", &[("tokenId", token_id.expose())])?,
            headers: vec![
                ("app_id", app_id.clone()),
                ("app_secret", app_secret.clone()),
                ("Accept", Secret::new("application/json")),
            ],
            body: None,
        };
        let response = self.send_auth(http, request)?;
        let reply = parse_reply(Operation::Login, &response).map_err(|e| {
            if e.status == Status::Auth && e.reason.is_none() {
                Error {
                    message: "Dhan refused the tokenId: it may be used already or expired, or \"app_id\"/\"app_secret\" are wrong; log in again in the browser (broker_login_url)".to_string(),
                    ..e
                }
            } else {
                e
            }
        })?;
        self.tokens_from(reply)
    }

    /// generateAccessToken (POST, no body, no auth header) with the client
    /// id, PIN and TOTP in the query string.
    pub(super) fn pin_totp_login(
        &self,
        http: &Call<'_>,
        pin: &Secret,
        totp: &Secret,
    ) -> Result<(Tokens, String)> {
        let request = Request {
            method: Method::Post,
            url: self.auth_address(
                "/app/generateAccessToken",
                &[
                    ("dhanClientId", &self.client_id),
                    ("pin", pin.expose()),
                    ("totp", totp.expose()),
                ],
            )?,
            headers: vec![("Accept", Secret::new("application/json"))],
            body: Some(Secret::new("")),
        };
        let response = self.send_auth(http, request)?;
        let reply = parse_reply(Operation::Login, &response)?;
        self.tokens_from(reply)
    }

    /// A token generated on web.dhan.co: `/profile` says whether it works
    /// and whose it is.
    pub(super) fn token_login(&self, http: &Call<'_>, token: &Secret) -> Result<(Tokens, String)> {
        let mut tokens = Tokens {
            access: token.clone(),
            refresh: None,
            feed: None,
            user_id: self.client_id.clone(),
            account_id: None,
            style: TokenStyle::Bearer,
            expires_at: None,
        };
        let request = self.api_get("/profile", &tokens, "dhanClientId");
        let reply = parse_reply(Operation::Login, &http.send(&request)?).map_err(|e| {
            if e.status == Status::Auth && e.reason.is_none() {
                Error {
                    message: "Dhan refused the access token (expired, renewed since, or for another client id): check \"client_id\", or generate a new token on web.dhan.co (My Profile > Access DhanHQ APIs)".to_string(),
                    ..e
                }
            } else {
                e
            }
        })?;
        check_client(&reply, &self.client_id)?;
        tokens.expires_at = Some(expiry(token.expose(), &reply, unix_now()));
        Ok((tokens, String::new()))
    }

    fn tokens_from(&self, mut reply: Value) -> Result<(Tokens, String)> {
        let tokens = tokens_from_login(&reply, &self.client_id, unix_now());
        wipe(&mut reply);
        tokens
    }
}

/// A refused generate-consent: the daily cap of 25 consents (§7.2) is a
/// refusal the user can act on (`daily_limit_reached`); any other refusal
/// names the app's keys.
pub(super) fn consent_refused(error: Error) -> Error {
    let said = format!(
        "{} {}",
        error.broker_message.as_deref().unwrap_or_default(),
        error.broker_code.as_deref().unwrap_or_default()
    )
    .to_ascii_lowercase();
    let capped = (said.contains("limit") || said.contains("exceed") || said.contains("maximum"))
        && (said.contains("day") || said.contains("daily") || said.contains("25"));
    if capped {
        return Error {
            status: Status::RateLimited,
            message: "Dhan's daily cap of 25 consent logins is reached: try again tomorrow, or log in with the PIN and TOTP (no consent needed)".to_string(),
            retryable: false,
            ..error
        }
        .with_reason(Reason::DailyLimitReached);
    }
    if error.status == Status::Auth && error.reason.is_none() {
        return Error {
            message: format!(
                "Dhan refused the consent request{}: check \"app_id\", \"app_secret\" and \"client_id\"",
                error
                    .broker_message
                    .as_deref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default()
            ),
            ..error
        };
    }
    error
}
