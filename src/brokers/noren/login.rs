//! The three ways a Noren session starts: GenAcsTok (OAuth code),
//! Flattrade's token service, and QuickAuth (password + TOTP).

use super::{Noren, error_for_emsg, parse_reply};
use crate::brokers::{TokenStyle, Tokens, secret_body, text_field, wipe};
use crate::error::{Error, Reason, Result, Status};
use crate::http::{Call, Method, Request, Response};
use crate::operation::Operation;
use crate::secret::Secret;
use crate::time::unix_now;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

impl Noren {
    /// GenAcsTok: the browser's code and `sha256(client_id + secret + code)`.
    pub(super) fn exchange_code(
        &self,
        http: &Call<'_>,
        code: &Secret,
        user_id: Option<&str>,
    ) -> Result<Tokens> {
        let (client_id, secret) = (self.client_id.as_deref().unwrap_or(""), self.secret_text());
        let checksum = sha256_hex(&[client_id, secret, code.expose()]);
        #[derive(Serialize)]
        struct Body<'a> {
            code: &'a str,
            checksum: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            uid: Option<&'a str>,
        }
        let uid = user_id.or(self.user_id.as_deref());
        let mut request = self.request(
            "GenAcsTok",
            &Body {
                code: code.expose(),
                checksum: &checksum,
                uid,
            },
            None,
        );
        // The token service may live on another host (Shoonya, PROTOCOLS.md §2.2).
        if let Some(token_url) = &self.token_url {
            request.url = token_url.clone();
        }
        let mut reply = self.call(http, Operation::Login, &request)?;
        let tokens = self.tokens_from(&reply, "access_token", TokenStyle::Bearer, uid);
        wipe(&mut reply);
        tokens
    }

    /// Flattrade's token service: JSON body, `sha256(api_key + code + secret)`.
    pub(super) fn flattrade_token(
        &self,
        http: &Call<'_>,
        code: &Secret,
        user_id: Option<&str>,
    ) -> Result<Tokens> {
        let api_key = self.api_key.as_ref().map_or("", Secret::expose);
        let api_secret = sha256_hex(&[api_key, code.expose(), self.secret_text()]);
        let body = secret_body(
            &json!({ "api_key": api_key, "request_code": code.expose(), "api_secret": api_secret }),
        );
        let request = Request {
            method: Method::Post,
            url: self.token_url.clone().unwrap_or_default(),
            headers: vec![("Content-Type", Secret::new("application/json"))],
            body: Some(body),
        };
        let mut reply = self.call(http, Operation::Login, &request)?;
        let user_id = user_id
            .map(str::to_owned)
            .or_else(|| non_empty(text_field(&reply, "client")));
        let tokens = self.tokens_from(&reply, "token", TokenStyle::JKey, user_id.as_deref());
        wipe(&mut reply);
        tokens
    }

    /// QuickAuth: hashed password and app key, TOTP, vendor code.
    pub(super) fn password_login(
        &self,
        http: &Call<'_>,
        password: &Secret,
        totp: &Secret,
    ) -> Result<Tokens> {
        let uid = self.user_id.as_deref().unwrap_or("");
        let api_secret = self.api_secret.as_ref().map_or("", Secret::expose);
        #[derive(Serialize)]
        struct Body<'a> {
            apkversion: &'a str,
            uid: &'a str,
            pwd: &'a str,
            factor2: &'a str,
            vc: &'a str,
            appkey: &'a str,
            imei: &'a str,
            source: &'a str,
        }
        let body = Body {
            apkversion: "1.0.0",
            uid,
            pwd: &sha256_hex(&[password.expose()]),
            factor2: totp.expose(),
            vc: self.vendor_code.as_deref().unwrap_or(""),
            appkey: &sha256_hex(&[uid, "|", api_secret]),
            imei: &self.imei,
            source: "API",
        };
        let response = http.send(&self.request("QuickAuth", &body, None))?;
        if self.preset.quickauth_closed && !is_json_object(&response) {
            return Err(Error::new(
                Status::Auth,
                format!(
                    "preset \"{}\" closed the password login (QuickAuth) to API users in April 2026: log in with OAuth (\"auth\":\"oauth\", the default; broker_login_url gives the page)",
                    self.preset.name
                ),
            )
            .with_reason(Reason::LoginMethodClosed)
            .with_http_status(response.status));
        }
        let mut reply = parse_reply(Operation::Login, &response)?;
        if text_field(&reply, "spasswordreset").eq_ignore_ascii_case("y") {
            wipe(&mut reply);
            return Err(error_for_emsg(Operation::Login, "Change Password"));
        }
        let tokens = self.tokens_from(&reply, "susertoken", TokenStyle::JKey, Some(uid));
        wipe(&mut reply);
        tokens
    }

    /// Tokens from a login reply: the token under `token_key`, the user id
    /// from `USERID`, else `uid`, else what the caller knew.
    fn tokens_from(
        &self,
        reply: &Value,
        token_key: &str,
        style: TokenStyle,
        known_user: Option<&str>,
    ) -> Result<Tokens> {
        let access = non_empty(text_field(reply, token_key))
            .ok_or_else(|| Error::protocol(format!("the login reply has no \"{token_key}\"")))?;
        let user_id = non_empty(text_field(reply, "USERID"))
            .or_else(|| non_empty(text_field(reply, "uid")))
            .or_else(|| known_user.map(str::to_owned))
            .or_else(|| self.user_id.clone())
            .ok_or_else(|| {
                Error::protocol(
                    "the login reply does not name the user: set config key \"user_id\"",
                )
            })?;
        let account_id = self
            .account_id
            .clone()
            .or_else(|| non_empty(text_field(reply, "actid")))
            .unwrap_or_else(|| user_id.clone());
        Ok(Tokens {
            access: Secret::new(access),
            refresh: non_empty(text_field(reply, "refresh_token")).map(Secret::new),
            feed: None,
            user_id,
            account_id: Some(account_id),
            style,
            expires_at: expiry_from(reply, unix_now()),
        })
    }

    fn secret_text(&self) -> &str {
        self.secret.as_ref().map_or("", Secret::expose)
    }
}

/// Lowercase hex SHA-256 of the parts, concatenated with no separator.
pub(super) fn sha256_hex(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

pub(super) fn non_empty(text: String) -> Option<String> {
    let text = text.trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// `expires_in` is epoch seconds at Kambala but seconds remaining at Zebu:
/// a value below 10^9 is a duration (PROTOCOLS.md §2.2).
pub fn expiry_from(reply: &Value, now: i64) -> Option<i64> {
    let value: i64 = text_field(reply, "expires_in").trim().parse().ok()?;
    match value {
        v if v <= 0 => None,
        v if v < 1_000_000_000 => Some(now + v),
        v => Some(v),
    }
}

/// Whether a reply's body is a JSON object: Shoonya's closed QuickAuth
/// answers 502 or a page instead.
fn is_json_object(response: &Response) -> bool {
    response.status != 502
        && matches!(
            serde_json::from_slice::<Value>(&response.body),
            Ok(Value::Object(_))
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_is_sha256_of_the_plain_concatenation() {
        // echo -n "abc" | sha256sum
        assert_eq!(
            sha256_hex(&["a", "b", "c"]),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn expires_in_is_epoch_or_duration() {
        assert_eq!(
            expiry_from(&json!({"expires_in": "1772527627"}), 100),
            Some(1_772_527_627)
        );
        assert_eq!(expiry_from(&json!({"expires_in": "3600"}), 100), Some(3700));
        assert_eq!(expiry_from(&json!({"expires_in": 3600}), 100), Some(3700));
        assert_eq!(expiry_from(&json!({"expires_in": ""}), 100), None);
        assert_eq!(expiry_from(&json!({}), 100), None);
        assert_eq!(expiry_from(&json!({"expires_in": "soon"}), 100), None);
    }
}
