//! The Noren OMS family (PROTOCOLS.md §2): Kambala, Shoonya, Zebu,
//! TradeSmart, Flattrade and any other broker on the same back office.
//! Bodies are the raw text `jData=<json>`; OAuth sessions send a Bearer
//! token, password and Flattrade sessions append `&jKey=<token>`.

mod login;
mod login_page;
mod presets;
mod reply;

pub(crate) use presets::{CodeExchange, PRESET_NAMES, Preset};
pub use reply::{error_for_emsg, funds_from, parse_reply, profile_from};

use super::{Broker, TokenStyle, Tokens, secret_body, text_field, wipe};
use crate::config::{Credentials, Keys, validate_url};
use crate::error::{Error, Result, Status};
use crate::http::{Call, Method, Request};
use crate::model::{Funds, Profile};
use crate::netinfo;
use crate::operation::Operation;
use crate::pacing::RateLimit;
use crate::secret::Secret;
use crate::time::unix_now;
pub use login::expiry_from;
use login::non_empty;
use serde::Serialize;
use serde_json::{Value, json};

/// How a Noren session logs in (config key `auth`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NorenAuth {
    /// A code from the broker's browser login (GenAcsTok; Flattrade's apitoken).
    OAuth,
    /// Password and TOTP (QuickAuth).
    Password,
}

/// A Noren broker account: where it lives and how it logs in.
#[derive(Debug)]
pub(crate) struct Noren {
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
    /// Reads the Noren config keys, resolves the preset against them, and
    /// checks that the login kind has every key it needs, naming the first
    /// one missing.
    pub(crate) fn from_config(keys: &mut Keys, base_url: Option<&str>) -> Result<Box<dyn Broker>> {
        let auth = match keys.optional_str("auth")?.as_deref() {
            None | Some("oauth") => NorenAuth::OAuth,
            Some("password") => NorenAuth::Password,
            Some(_) => {
                return Err(Error::invalid_argument(
                    "config key \"auth\" must be \"oauth\" or \"password\"",
                ));
            }
        };
        let preset_name = keys.required_str("preset")?;
        let oauth_url = match keys.optional_str("oauth_url")? {
            Some(url) if !login_page::is_template(&url) => Some(validate_url("oauth_url", &url)?),
            other => other,
        };
        let token_url = keys.optional_url("token_url")?;
        let client_id = keys.optional_str("client_id")?;
        let secret = keys.optional_str("secret")?.map(Secret::new);
        let user_id = keys.optional_str("user_id")?;
        let account_id = keys.optional_str("account_id")?;
        let api_key = keys.optional_str("api_key")?.map(Secret::new);
        let vendor_code = keys.optional_str("vendor_code")?;
        let api_secret = keys.optional_str("api_secret")?.map(Secret::new);
        let imei = keys.optional_str("imei")?;
        let supports_refresh = keys.optional_bool("supports_refresh")?;

        let preset = presets::find(&preset_name).ok_or_else(|| {
            Error::invalid_argument(format!(
                "config key \"preset\" must be one of {}",
                presets::names()
            ))
        })?;
        let preset_base = match auth {
            NorenAuth::OAuth => preset.rest_base,
            NorenAuth::Password => preset.password_base,
        };
        let base_url = base_url.map(str::to_owned).or(preset_base.map(str::to_owned)).ok_or_else(|| {
            let why = match auth {
                NorenAuth::OAuth => format!("for preset \"{}\"", preset.name),
                NorenAuth::Password => format!(
                    "for a password login with preset \"{}\" (its NorenWClientTP address), or use \"auth\":\"oauth\"",
                    preset.name
                ),
            };
            missing("base_url", &why)
        })?;
        let noren = Noren {
            preset,
            auth,
            base_url,
            oauth_url: oauth_url.or(preset.oauth_url.map(str::to_owned)),
            token_url: token_url.or(preset.token_url.map(str::to_owned)),
            client_id,
            secret,
            user_id,
            account_id,
            api_key,
            vendor_code,
            api_secret,
            imei: imei.unwrap_or_else(netinfo::machine_mac),
            refresh: supports_refresh.unwrap_or(preset.refresh),
        };
        noren.check_login_keys()?;
        // A template is filled at broker_login_url; a placeholder that can
        // never be filled is a config mistake, reported now.
        if let Some(url) = noren
            .oauth_url
            .as_deref()
            .filter(|u| login_page::is_template(u))
        {
            noren.fill_login_page(url)?;
        }
        Ok(Box::new(noren))
    }

    /// The login page from an `oauth_url` template, with this config's values.
    fn fill_login_page(&self, template: &str) -> Result<String> {
        login_page::fill(template, |name| match name {
            "client_id" => self.client_id.clone(),
            "user_id" => self.user_id.clone(),
            "api_key" => self.api_key.as_ref().map(|k| k.expose().to_string()),
            _ => None,
        })
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

    fn call(&self, http: &Call<'_>, op: Operation, request: &Request) -> Result<Value> {
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

    fn login_url(&self, _http: &Call<'_>) -> Result<String> {
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
        if login_page::is_template(base) {
            return self.fill_login_page(base);
        }
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

    /// `password` and `totp`/`totp_secret` for `"auth":"password"`; else
    /// `code`, or `redirect_url` with its `code` (Flattrade: `request_code`)
    /// and `client` query parameters.
    fn credentials(&self, keys: &mut Keys) -> Result<Credentials> {
        match self.auth {
            NorenAuth::Password => Ok(Credentials::PasswordTotp {
                password: Secret::new(keys.required_str("password")?),
                totp: keys.totp_input()?,
            }),
            NorenAuth::OAuth => keys.authorization_code(&["code", "request_code"]),
        }
    }

    fn login(&self, http: &Call<'_>, credentials: &Credentials) -> Result<Tokens> {
        match (credentials, self.preset.exchange) {
            (Credentials::AuthorizationCode { code, redirect }, exchange) => {
                // Flattrade's redirect names the user as `client`.
                let user_id = redirect.as_ref().and_then(|r| r.param("client"));
                match exchange {
                    CodeExchange::GenAcsTok => self.exchange_code(http, code, user_id),
                    CodeExchange::FlattradeApiToken => self.flattrade_token(http, code, user_id),
                }
            }
            (Credentials::PasswordTotp { password, totp }, _) => {
                self.password_login(http, password, &totp.code())
            }
            (Credentials::PinTotp { .. } | Credentials::AccessToken(_), _) => {
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
        let mut reply = self.call(http, Operation::Refresh, &request)?;
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
            self.call(http, Operation::Profile, &request)?,
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
        funds_from(self.call(http, Operation::Funds, &request)?)
    }

    fn logout(&self, http: &Call<'_>, tokens: &Tokens) -> Result<()> {
        let request = self.request(
            "Logout",
            &json!({ "ordersource": "API", "uid": tokens.user_id }),
            Some(tokens),
        );
        self.call(http, Operation::Logout, &request).map(drop)
    }
}
