//! Angel One SmartAPI (PROTOCOLS.md §1): MPIN + TOTP login, token refresh,
//! profile, RMS (funds) and logout, with both reply envelopes.

use super::{
    Broker, TOTP_REFUSED, TokenStyle, Tokens, is_true, secret_body, string_list, text_field, wipe,
    with_clock_check,
};
use crate::config::{Credentials, Keys};
use crate::error::{Error, Reason, Result, Status};
use crate::http::{self, Call, Method, Request, Response};
use crate::model::{Funds, Money, Profile};
use crate::netinfo;
use crate::operation::Operation;
use crate::pacing::RateLimit;
use crate::secret::Secret;
use base64::Engine;
use serde::Serialize;
use serde_json::{Value, json};
use std::net::IpAddr;

/// Angel One's production REST base URL.
pub(crate) const DEFAULT_BASE_URL: &str = "https://apiconnect.angelone.in";
/// The SmartAPI publisher login page, for apps that log in in a browser.
pub(crate) const PUBLISHER_LOGIN_URL: &str = "https://smartapi.angelone.in/publisher-login";

const LOGIN_PATH: &str = "/rest/auth/angelbroking/user/v1/loginByPassword";
const REFRESH_PATH: &str = "/rest/auth/angelbroking/jwt/v1/generateTokens";
const PROFILE_PATH: &str = "/rest/secure/angelbroking/user/v1/getProfile";
const RMS_PATH: &str = "/rest/secure/angelbroking/user/v1/getRMS";
const LOGOUT_PATH: &str = "/rest/secure/angelbroking/user/v1/logout";

/// An Angel One SmartAPI account: API key, client code, device headers.
#[derive(Debug)]
pub(crate) struct AngelOne {
    base_url: String,
    api_key: Secret,
    client_code: String,
    local_ip: IpAddr,
    public_ip: IpAddr,
    mac_address: String,
}

impl AngelOne {
    /// Reads Angel One's config keys (`api_key`, `client_code`, and the
    /// device headers `local_ip`, `public_ip`, `mac_address`); the device
    /// headers the caller did not set are read from this machine. The
    /// public IP defaults to the local one: looking it up would be a network
    /// call nobody asked for.
    pub(crate) fn from_config(keys: &mut Keys, base_url: Option<&str>) -> Result<Box<dyn Broker>> {
        let api_key = Secret::new(keys.required_str("api_key")?);
        let client_code = keys.required_str("client_code")?;
        let local_ip = keys.optional_ip("local_ip")?;
        let public_ip = keys.optional_ip("public_ip")?;
        let mac_address = keys.optional_mac("mac_address")?;
        let base_url = base_url.unwrap_or(DEFAULT_BASE_URL).to_string();
        let local_ip =
            local_ip.unwrap_or_else(|| netinfo::outbound_ip(netinfo::host_ip(&base_url)));
        Ok(Box::new(AngelOne {
            api_key,
            client_code,
            local_ip,
            public_ip: public_ip.unwrap_or(local_ip),
            mac_address: mac_address.unwrap_or_else(netinfo::machine_mac),
            base_url,
        }))
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&Secret>,
        body: Option<Secret>,
    ) -> Request {
        let plain = |v: &str| Secret::new(v);
        let mut headers = vec![
            ("Content-Type", plain("application/json")),
            ("Accept", plain("application/json")),
            ("X-UserType", plain("USER")),
            ("X-SourceID", plain("WEB")),
            ("X-ClientLocalIP", Secret::new(self.local_ip.to_string())),
            ("X-ClientPublicIP", Secret::new(self.public_ip.to_string())),
            ("X-MACAddress", Secret::new(self.mac_address.as_str())),
            ("X-PrivateKey", self.api_key.clone()),
        ];
        if let Some(token) = bearer {
            headers.push((
                "Authorization",
                Secret::new(format!("Bearer {}", token.expose())),
            ));
        }
        Request {
            method,
            url: format!("{}{path}", self.base_url),
            headers,
            body,
        }
    }

    fn call(&self, http: &Call<'_>, op: Operation, request: &Request) -> Result<Value> {
        let response = http.send(request)?;
        parse_reply(op, &response)
    }
}

impl Broker for AngelOne {
    fn name(&self) -> &'static str {
        "angelone"
    }

    fn describe(&self) -> Value {
        json!({
            "broker": self.name(),
            "base_url": self.base_url,
            "user_id": self.client_code,
            "local_ip": self.local_ip.to_string(),
            "public_ip": self.public_ip.to_string(),
            "mac_address": self.mac_address,
        })
    }

    fn base_url(&self) -> &str {
        &self.base_url
    }

    fn login_url(&self, _http: &Call<'_>) -> Result<String> {
        let mut url = reqwest::Url::parse(PUBLISHER_LOGIN_URL)
            .map_err(|e| Error::new(Status::Internal, format!("bad publisher URL: {e}")))?;
        url.query_pairs_mut()
            .append_pair("api_key", self.api_key.expose());
        Ok(url.into())
    }

    /// PROTOCOLS.md §1.5: per client code, rolling windows.
    fn rate_limit(&self, op: Operation) -> RateLimit {
        match op {
            Operation::Login | Operation::Logout => RateLimit::new(1, 0),
            Operation::Refresh => RateLimit::new(1, 1000),
            Operation::Profile => RateLimit::new(3, 1000),
            Operation::Funds => RateLimit::new(2, 0),
        }
    }

    fn can_refresh(&self) -> bool {
        true
    }

    /// `pin` (the MPIN) and `totp` or `totp_secret`.
    fn credentials(&self, keys: &mut Keys) -> Result<Credentials> {
        Ok(Credentials::PinTotp {
            pin: Secret::new(keys.required_str("pin")?),
            totp: keys.totp_input()?,
        })
    }

    fn login(&self, http: &Call<'_>, credentials: &Credentials) -> Result<Tokens> {
        let Credentials::PinTotp { pin, totp } = credentials else {
            return Err(Error::invalid_argument(
                "these credentials are not Angel One's",
            ));
        };
        #[derive(Serialize)]
        struct Body<'a> {
            clientcode: &'a str,
            password: &'a str,
            totp: &'a str,
        }
        let code = totp.code();
        let body = secret_body(&Body {
            clientcode: &self.client_code,
            password: pin.expose(),
            totp: code.expose(),
        });
        let request = self.request(Method::Post, LOGIN_PATH, None, Some(body));
        let mut data = self.call(http, Operation::Login, &request)?;
        let tokens = tokens_from_reply(&data, None, &self.client_code);
        wipe(&mut data);
        tokens
    }

    fn refresh(&self, http: &Call<'_>, tokens: &Tokens) -> Result<Tokens> {
        let refresh_token = tokens.refresh.as_ref().ok_or_else(|| {
            Error::new(
                Status::SessionExpired,
                "the login gave no refresh token: log in again",
            )
        })?;
        #[derive(Serialize)]
        struct Body<'a> {
            #[serde(rename = "refreshToken")]
            refresh_token: &'a str,
        }
        let body = secret_body(&Body {
            refresh_token: refresh_token.expose(),
        });
        let request = self.request(Method::Post, REFRESH_PATH, Some(&tokens.access), Some(body));
        let mut data = self.call(http, Operation::Refresh, &request)?;
        let fresh = tokens_from_reply(&data, Some(tokens), &self.client_code);
        wipe(&mut data);
        fresh
    }

    fn profile(&self, http: &Call<'_>, tokens: &Tokens) -> Result<Profile> {
        let request = self.request(Method::Get, PROFILE_PATH, Some(&tokens.access), None);
        profile_from(
            self.call(http, Operation::Profile, &request)?,
            &tokens.user_id,
        )
    }

    fn funds(&self, http: &Call<'_>, tokens: &Tokens) -> Result<Funds> {
        let request = self.request(Method::Get, RMS_PATH, Some(&tokens.access), None);
        funds_from(self.call(http, Operation::Funds, &request)?)
    }

    fn logout(&self, http: &Call<'_>, tokens: &Tokens) -> Result<()> {
        let body = secret_body(&json!({ "clientcode": self.client_code }));
        let request = self.request(Method::Post, LOGOUT_PATH, Some(&tokens.access), Some(body));
        self.call(http, Operation::Logout, &request).map(drop)
    }
}

/// Reads either envelope and returns `data`, or the classified error. Any
/// other reply (plain text, HTML, empty) goes to the transport classes.
pub fn parse_reply(op: Operation, response: &Response) -> Result<Value> {
    let mut reply = match serde_json::from_slice::<Value>(&response.body) {
        Ok(reply @ Value::Object(_)) => reply,
        _ => return Err(http::classify_non_json(response)),
    };
    // The gateway envelope says `success`/`errorCode`; the service one `status`/`errorcode`.
    let (ok, code_key) = if let Some(status) = reply.get("status") {
        (is_true(Some(status)), "errorcode")
    } else if let Some(success) = reply.get("success") {
        (is_true(Some(success)), "errorCode")
    } else {
        return Err(
            Error::protocol("the reply has neither \"status\" nor \"success\"")
                .with_http_status(response.status),
        );
    };
    if !ok {
        let code = text_field(&reply, code_key);
        let message = text_field(&reply, "message");
        return Err(with_clock_check(
            error_for_code(op, &code, &message).with_http_status(response.status),
            response,
        ));
    }
    Ok(match reply.get_mut("data").map(Value::take) {
        Some(Value::String(s)) if s == "null" => Value::Null,
        Some(data) => data,
        None => Value::Null,
    })
}

/// Classes an Angel One error code as PROTOCOLS.md §1.4 says.
fn error_for_code(op: Operation, code: &str, message: &str) -> Error {
    const RELOGIN: &str = "the session is no longer valid: log in again";
    let broker = (Some(code.to_string()), Some(message.to_string()));
    // "LoginbyPassword is not allowed. Please switch to Login by MPIN now."
    // comes with no documented code: PROTOCOLS.md §1.1 says match on MPIN.
    if message.to_ascii_lowercase().contains("mpin") {
        return Error::new(
            Status::Auth,
            "Angel One wants the 4-digit MPIN as \"pin\", not the web password",
        )
        .with_reason(Reason::MpinRequired)
        .with_broker(broker.0, broker.1);
    }
    let reason = match code {
        "AG7002" => Some(Reason::IpNotRegistered),
        "AB1050" => Some(Reason::TotpRejected),
        _ => None,
    };
    let (status, text, retryable) = match code {
        "AG8001" | "AG8002" | "AG8003" | "AB1010" | "AB1011" if op == Operation::Refresh => (
            Status::SessionExpired,
            "the refresh was refused: log in again",
            false,
        ),
        "AG8001" | "AG8002" | "AG8003" | "AB1010" | "AB1011" => {
            (Status::SessionExpired, RELOGIN, false)
        }
        "AB8050" | "AB8051" => (
            Status::SessionExpired,
            "the refresh token is invalid or expired: log in again",
            false,
        ),
        "AG8004" | "AB1034" => (
            Status::Auth,
            "the API key was refused: check \"api_key\"",
            false,
        ),
        "AG7002" => (
            Status::Auth,
            "this machine's IP address is not registered with the API key: register the static IP for the app in the SmartAPI dashboard",
            false,
        ),
        "AB1000" => (Status::Auth, WRONG_PIN, false),
        "AB1007" if op == Operation::Login => (Status::Auth, WRONG_PIN, false),
        "AB1050" => (Status::Auth, TOTP_REFUSED, false),
        "AB1004" | "AB2001" => (Status::Broker, "", true),
        _ => (Status::Broker, "", false),
    };
    let text = if text.is_empty() {
        format!(
            "Angel One reported an error: {}",
            if message.is_empty() { code } else { message }
        )
    } else {
        text.to_string()
    };
    let error = Error::new(status, text)
        .retryable(retryable)
        .with_broker(broker.0, broker.1);
    match reason {
        Some(reason) => error.with_reason(reason),
        None => error,
    }
}

const WRONG_PIN: &str = "the client code or PIN was refused: check \"client_code\" and \"pin\" (the 4-digit MPIN, not the web password)";

/// Tokens from a login or refresh reply. A refresh reply replaces each token
/// it carries and keeps the previous refresh and feed tokens otherwise.
pub fn tokens_from_reply(
    data: &Value,
    previous: Option<&Tokens>,
    client_code: &str,
) -> Result<Tokens> {
    let token = |key: &str| {
        let text = text_field(data, key);
        let text = text
            .strip_prefix("Bearer ")
            .unwrap_or(&text)
            .trim()
            .to_string();
        (!text.is_empty()).then(|| Secret::new(text))
    };
    let access =
        token("jwtToken").ok_or_else(|| Error::protocol("the reply has no \"jwtToken\""))?;
    Ok(Tokens {
        expires_at: jwt_expiry(access.expose()),
        refresh: token("refreshToken").or_else(|| previous.and_then(|p| p.refresh.clone())),
        feed: token("feedToken").or_else(|| previous.and_then(|p| p.feed.clone())),
        user_id: previous.map_or_else(|| client_code.to_string(), |p| p.user_id.clone()),
        account_id: None,
        style: TokenStyle::Bearer,
        access,
    })
}

/// The `exp` claim of a JWT, seconds since the epoch. The signature is not
/// checked: only the broker can, and the value is a hint for refreshing early.
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
}

/// The normalized profile from getProfile's `data`.
pub fn profile_from(data: Value, user_id: &str) -> Result<Profile> {
    if !data.is_object() {
        return Err(Error::protocol(
            "the getProfile reply has no \"data\" object",
        ));
    }
    let client = text_field(&data, "clientcode");
    Ok(Profile {
        broker: "angelone",
        user_id: if client.is_empty() {
            user_id.to_string()
        } else {
            client
        },
        name: text_field(&data, "name"),
        email: text_field(&data, "email"),
        mobile: text_field(&data, "mobileno"),
        exchanges: string_list(data.get("exchanges")),
        products: string_list(data.get("products")),
        raw: data,
    })
}

/// The normalized funds from getRMS's `data`.
pub fn funds_from(data: Value) -> Result<Funds> {
    if !data.is_object() {
        return Err(Error::protocol("the getRMS reply has no \"data\" object"));
    }
    let money = |key: &str| {
        Money::from_wire(data.get(key))
            .map_err(|why| Error::protocol(format!("the getRMS field \"{key}\" {why}")))
    };
    Ok(Funds {
        broker: "angelone",
        available_cash: money("availablecash")?,
        net: money("net")?,
        used_margin: money("utiliseddebits")?,
        collateral: money("collateral")?,
        payin: money("availableintradaypayin")?,
        payout: money("utilisedpayout")?,
        m2m_realized: money("m2mrealized")?,
        m2m_unrealized: money("m2munrealized")?,
        raw: data,
    })
}

#[cfg(test)]
mod tests;
