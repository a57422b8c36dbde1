//! The Noren OMS family (PROTOCOLS.md §2): Kambala, Shoonya, Zebu,
//! TradeSmart, Flattrade and any other broker on the same back office.
//! Bodies are the raw text `jData=<json>`; OAuth sessions send a Bearer
//! token, password and Flattrade sessions append `&jKey=<token>`.

mod login;
mod presets;
mod reply;

pub use presets::{CodeExchange, PRESETS, Preset};
pub use reply::{Op, error_for_emsg, funds_from, parse_reply, profile_from};

use super::{Broker, TokenStyle, Tokens, secret_body, text_field, wipe};
use crate::config::{Credentials, NorenAuth, NorenConfig};
use crate::error::{Error, Result, Status};
use crate::http::{Call, Method, Request};
use crate::model::{Funds, Profile, unix_now};
use crate::netinfo;
use crate::pacing::{Operation, RateLimit};
use crate::secret::Secret;
pub use login::expiry_from;
use login::non_empty;
use serde::Serialize;
use serde_json::{Value, json};

/// A Noren broker account: where it lives and how it logs in.
pub struct Noren {
    preset: &'static Preset,
    auth: NorenAuth,
    base_url: String,
    oauth_url: Option<String>,
    token_url: Option<String>,
    client_id: Option<String>,
    secret: Option<Secret>,
    user_id: Option<String>,
    account_id: Option<String>,
    api_key: Option<Secret>,
    vendor_code: Option<String>,
    api_secret: Option<Secret>,
    imei: String,
    refresh: bool,
}

fn missing(key: &str, why: &str) -> Error {
    Error::invalid_argument(format!("config key \"{key}\" is required {why}"))
}

impl Noren {
    /// Resolves the preset against the config and checks that the login
    /// kind has every key it needs, naming the first one missing.
    pub fn new(config: &NorenConfig, base_url: Option<&str>) -> Result<Noren> {
        let preset = presets::find(&config.preset).ok_or_else(|| {
            Error::invalid_argument(format!(
                "config key \"preset\" must be one of {}",
                presets::names()
            ))
        })?;
        let preset_base = match config.auth {
            NorenAuth::OAuth => preset.rest_base,
            NorenAuth::Password => preset.password_base,
        };
        let base_url = base_url.map(str::to_owned).or(preset_base.map(str::to_owned)).ok_or_else(|| {
            let why = match config.auth {
                NorenAuth::OAuth => format!("for preset \"{}\"", preset.name),
                NorenAuth::Password => format!(
                    "for a password login with preset \"{}\" (its NorenWClientTP address), or use \"auth\":\"oauth\"",
                    preset.name
                ),
            };
            missing("base_url", &why)
        })?;
        if config.token_url.is_some() && preset.exchange != CodeExchange::FlattradeApiToken {
            return Err(Error::invalid_argument(
                "config key \"token_url\" applies only to preset \"flattrade\"",
            ));
        }
        let noren = Noren {
            preset,
            auth: config.auth,
            base_url,
            oauth_url: config
                .oauth_url
                .clone()
                .or(preset.oauth_url.map(str::to_owned)),
            token_url: config
                .token_url
                .clone()
                .or(preset.token_url.map(str::to_owned)),
            client_id: config.client_id.clone(),
            secret: config.secret.clone(),
            user_id: config.user_id.clone(),
            account_id: config.account_id.clone(),
            api_key: config.api_key.clone(),
            vendor_code: config.vendor_code.clone(),
            api_secret: config.api_secret.clone(),
            imei: config.imei.clone().unwrap_or_else(netinfo::machine_mac),
            refresh: config.supports_refresh.unwrap_or(preset.refresh),
        };
        noren.check_login_keys()?;
        Ok(noren)
    }

    fn check_login_keys(&self) -> Result<()> {
        let need = |present: bool, key: &str, why: &str| {
            if present {
                Ok(())
            } else {
                Err(missing(key, why))
            }
        };
        match (self.auth, self.preset.exchange) {
            (NorenAuth::Password, _) => {
                let why = "for a password login";
                need(self.user_id.is_some(), "user_id", why)?;
                need(self.vendor_code.is_some(), "vendor_code", why)?;
                need(self.api_secret.is_some(), "api_secret", why)
            }
            (NorenAuth::OAuth, CodeExchange::GenAcsTok) => {
                need(self.client_id.is_some(), "client_id", "for an OAuth login")?;
                need(self.secret.is_some(), "secret", "for an OAuth login")
            }
            (NorenAuth::OAuth, CodeExchange::FlattradeApiToken) => {
                need(self.api_key.is_some(), "api_key", "for a Flattrade login")?;
                need(self.secret.is_some(), "secret", "for a Flattrade login")
            }
        }
    }

    /// `POST <base>/<endpoint>` with `jData=<json>`, and the session's token
    /// as Bearer or `&jKey=`.
    fn request(&self, endpoint: &str, data: &impl Serialize, tokens: Option<&Tokens>) -> Request {
        // The JSON goes in raw; only `&` inside values is escaped, or it would end jData.
        let json = secret_body(data);
        let mut body = format!("jData={}", json.expose().replace('&', "%26"));
        let mut headers = vec![("Content-Type", Secret::new("text/plain"))];
        match tokens {
            Some(t) if t.style == TokenStyle::JKey => {
                body.push_str(&format!("&jKey={}", t.access.expose()))
            }
            Some(t) => headers.push((
                "Authorization",
                Secret::new(format!("Bearer {}", t.access.expose())),
            )),
            None => {}
        }
        Request {
            method: Method::Post,
            url: format!("{}/{endpoint}", self.base_url),
            headers,
            body: Some(Secret::new(body)),
        }
    }

    fn call(&self, http: &Call<'_>, op: Op, request: &Request) -> Result<Value> {
        parse_reply(op, &http.send(request)?)
    }
}

impl Broker for Noren {
    fn name(&self) -> &'static str {
        "noren"
    }

    fn describe(&self) -> Value {
        json!({
            "broker": self.name(),
            "preset": self.preset.name,
            "auth": match self.auth { NorenAuth::OAuth => "oauth", NorenAuth::Password => "password" },
            "base_url": self.base_url,
            "user_id": self.user_id,
            "supports_refresh": self.refresh,
        })
    }

    fn base_url(&self) -> &str {
        &self.base_url
    }

    fn login_url(&self) -> Result<String> {
        if self.auth == NorenAuth::Password {
            return Err(Error::new(
                Status::Unsupported,
                "a password login needs no browser: call broker_login",
            ));
        }
        let base = self.oauth_url.as_deref().ok_or_else(|| {
            missing(
                "oauth_url",
                &format!(
                    "for preset \"{}\": its browser login address is not published",
                    self.preset.name
                ),
            )
        })?;
        let mut url = reqwest::Url::parse(base)
            .map_err(|_| Error::invalid_argument("config key \"oauth_url\" is not a valid URL"))?;
        let (name, value) = match self.preset.exchange {
            CodeExchange::GenAcsTok => ("client_id", self.client_id.as_deref().unwrap_or("")),
            CodeExchange::FlattradeApiToken => {
                ("app_key", self.api_key.as_ref().map_or("", Secret::expose))
            }
        };
        url.query_pairs_mut().append_pair(name, value);
        Ok(url.into())
    }

    /// No Noren broker publishes limits: configure `rate_limits` to pace.
    fn rate_limit(&self, _op: Operation) -> RateLimit {
        RateLimit::NONE
    }

    fn can_refresh(&self) -> bool {
        self.refresh
    }

    fn login(&self, http: &Call<'_>, credentials: &Credentials) -> Result<Tokens> {
        match (credentials, self.preset.exchange) {
            (Credentials::NorenCode { code, user_id }, CodeExchange::GenAcsTok) => {
                self.exchange_code(http, code, user_id.as_deref())
            }
            (Credentials::NorenCode { code, user_id }, CodeExchange::FlattradeApiToken) => {
                self.flattrade_token(http, code, user_id.as_deref())
            }
            (Credentials::NorenPassword { password, totp }, _) => {
                self.password_login(http, password, &totp.code())
            }
            (Credentials::AngelOne { .. }, _) => {
                Err(Error::invalid_argument("these credentials are not Noren's"))
            }
        }
    }

    fn refresh(&self, http: &Call<'_>, tokens: &Tokens) -> Result<Tokens> {
        if !self.refresh {
            return Err(Error::new(
                Status::Unsupported,
                format!(
                    "preset \"{}\" has no token refresh: log in again (set \"supports_refresh\": true if your broker has /RefreshToken)",
                    self.preset.name
                ),
            ));
        }
        let refresh_token = tokens.refresh.as_ref().ok_or_else(|| {
            Error::new(
                Status::SessionExpired,
                "the login gave no refresh token: log in again",
            )
        })?;
        let request = self.request(
            "RefreshToken",
            &json!({ "refresh_token": refresh_token.expose() }),
            None,
        );
        let mut reply = self.call(http, Op::Refresh, &request)?;
        let access = non_empty(text_field(&reply, "access_token"));
        let expires_at = expiry_from(&reply, unix_now());
        wipe(&mut reply);
        let access = access
            .ok_or_else(|| Error::protocol("the RefreshToken reply has no \"access_token\""))?;
        Ok(Tokens {
            access: Secret::new(access),
            expires_at,
            ..tokens.clone()
        })
    }

    fn profile(&self, http: &Call<'_>, tokens: &Tokens) -> Result<Profile> {
        let request = self.request(
            "UserDetails",
            &json!({ "uid": tokens.user_id }),
            Some(tokens),
        );
        Ok(profile_from(
            self.call(http, Op::Session, &request)?,
            &tokens.user_id,
        ))
    }

    fn funds(&self, http: &Call<'_>, tokens: &Tokens) -> Result<Funds> {
        let account = tokens.account_id.as_deref().unwrap_or(&tokens.user_id);
        let request = self.request(
            "Limits",
            &json!({ "uid": tokens.user_id, "actid": account }),
            Some(tokens),
        );
        funds_from(self.call(http, Op::Session, &request)?)
    }

    fn logout(&self, http: &Call<'_>, tokens: &Tokens) -> Result<()> {
        let request = self.request(
            "Logout",
            &json!({ "ordersource": "API", "uid": tokens.user_id }),
            Some(tokens),
        );
        self.call(http, Op::Session, &request).map(drop)
    }
}
