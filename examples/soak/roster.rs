//! Who takes part: the accounts brokersim registers for the soak, and the
//! sessions the soak opens on them, family by family (how each logs in,
//! what a forced expiry costs it, which paths its reads take).
//!
//! Both sides use it: brokersim (in the child process, or in this one)
//! registers [`accounts`], and the soak builds each [`Spec`] from the same
//! accounts and brokersim's startup line.

use brokersim::ZerodhaAccount;
use brokersim::{AngelAccount, DhanAccount, FyersAccount, NorenAccount, Sim, UpstoxAccount};
use serde_json::{Value, json};
use std::time::Duration;

/// Every session's timeout: far above the injected latency.
const TIMEOUT_MS: u32 = 20_000;
/// Reads per second a paced Noren session allows itself (Noren brokers
/// publish no limits; this keeps the soak's CPU use modest).
const NOREN_PACING: &str = r#""rate_limits":{"funds":{"per_second":8},"profile":{"per_second":8}}"#;
/// How long brokersim's Dhan tokens live: a little over the minute before
/// expiry in which brokerlink renews them, so that the Dhan session renews
/// by RenewToken a few seconds after each login or renewal.
pub const DHAN_TOKEN_TTL: Duration = Duration::from_secs(63);
/// Fyers' pacing lifted for the soak. Logins and refreshes (1/s and 10/h
/// each, for a user who logs in once a day) to 1/s with no hourly cap: the
/// soak forces an expiry every few seconds. Reads to 1/s each without an
/// hourly cap (the default 1000 profiles and 3000 funds an hour run out
/// within the soak, and then every read is refused). brokersim still
/// enforces Fyers' 10/s and 200/min, which this keeps within.
const FYERS_PACING: &str = r#"{"login":{"per_second":1,"per_hour":0},"refresh":{"per_second":1,"per_hour":0},"profile":{"per_second":1,"per_hour":0},"funds":{"per_second":1,"per_hour":0}}"#;
/// Upstox's reads at 1/s each without an hourly cap: the default (8/s and
/// 2000 an hour) runs out after a few minutes of the soak, and then every
/// read is refused; brokersim enforces Upstox's 2000 per 30 minutes per API,
/// which 1/s keeps within.
const UPSTOX_PACING: &str =
    r#"{"profile":{"per_second":1,"per_hour":0},"funds":{"per_second":1,"per_hour":0}}"#;

/// A broker family as the soak drives it (the Noren presets apart, since
/// Zebu refreshes and Tradesmart does not).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Family {
    /// Angel One: refresh by generateTokens.
    Angel,
    /// Noren at Zebu: refresh by RefreshToken.
    Zebu,
    /// Noren at Tradesmart: no refresh.
    Tradesmart,
    /// Zerodha Kite: renewal by `/session/refresh_token` for approved apps only.
    Zerodha,
    /// Upstox: no refresh.
    Upstox,
    /// Fyers: the legacy refresh (refresh token + PIN) when opted in.
    Fyers,
    /// Dhan: RenewToken before expiry; an expired token needs a new login.
    Dhan,
}

impl Family {
    /// Every family, in report order.
    pub const ALL: [Family; 7] = [
        Family::Angel,
        Family::Zebu,
        Family::Tradesmart,
        Family::Zerodha,
        Family::Upstox,
        Family::Fyers,
        Family::Dhan,
    ];

    /// Its name on the control channel and in the report.
    pub fn name(self) -> &'static str {
        match self {
            Family::Angel => "angelone",
            Family::Zebu => "zebu",
            Family::Tradesmart => "tradesmart",
            Family::Zerodha => "zerodha",
            Family::Upstox => "upstox",
            Family::Fyers => "fyers",
            Family::Dhan => "dhan",
        }
    }

    /// The family named `name`.
    pub fn named(name: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// The accounts the soak uses, the same in brokersim and in the soak.
pub struct Accounts {
    /// Two long-lived sessions and the churned one (brokersim counts Angel
    /// One's rate limits per client code).
    pub angel: [AngelAccount; 3],
    pub zebu: [NorenAccount; 2],
    pub tradesmart: NorenAccount,
    /// An approved platform (it gets a refresh token) and the demo app
    /// (an ordinary one: a new login each day).
    pub zerodha: [ZerodhaAccount; 2],
    pub upstox: UpstoxAccount,
    /// The demo user with the legacy refresh, and a second user without.
    pub fyers: [FyersAccount; 2],
    pub dhan: DhanAccount,
}

/// The soak's accounts.
pub fn accounts() -> Accounts {
    let angel = |n: usize| AngelAccount {
        api_key: format!("soak-key-{n}"),
        client_code: format!("S{n:04}"),
        ..AngelAccount::demo()
    };
    Accounts {
        angel: [angel(1), angel(2), angel(3)],
        zebu: [
            NorenAccount::demo("zebu"),
            NorenAccount {
                user_id: "NZEB02".into(),
                account_id: "NZEB02".into(),
                client_id: "zebu-client-2".into(),
                vendor_code: "NZEB02_U".into(),
                ..NorenAccount::demo("zebu")
            },
        ],
        tradesmart: NorenAccount::demo("tradesmart"),
        zerodha: [
            ZerodhaAccount {
                api_key: "soak-platform-key".into(),
                api_secret: "soak-platform-secret".into(),
                user_id: "ZS0001".into(),
                refresh_tokens: true,
                ..ZerodhaAccount::demo()
            },
            ZerodhaAccount::demo(),
        ],
        upstox: UpstoxAccount::demo(),
        fyers: [
            FyersAccount::demo(),
            FyersAccount {
                app_id: "FYSOAK0002-100".into(),
                app_secret: "FYSOAKSECRET2".into(),
                fy_id: "XS00002".into(),
                ..FyersAccount::demo()
            },
        ],
        dhan: DhanAccount::demo(),
    }
}

/// Registers the soak's accounts (the demo ones are already there) and
/// shortens Dhan's token lifetime to [`DHAN_TOKEN_TTL`].
pub fn register(sim: &Sim) {
    let accounts = accounts();
    for account in accounts.angel {
        sim.add_angel_account(account);
    }
    sim.add_noren_account(accounts.zebu[1].clone());
    sim.add_zerodha_account(accounts.zerodha[0].clone());
    sim.add_fyers_account(accounts.fyers[1].clone());
    sim.set_dhan_token_ttl(DHAN_TOKEN_TTL);
}

/// What a forced expiry should cost a session.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Heal {
    /// Exactly one refresh, made by the library on its own.
    Refresh,
    /// A new login by the host (the library reports the expiry).
    NewLogin,
}

impl Heal {
    /// [`Heal::Refresh`] for a session that refreshes, else [`Heal::NewLogin`].
    fn refreshing(refreshes: bool) -> Heal {
        if refreshes {
            Heal::Refresh
        } else {
            Heal::NewLogin
        }
    }
}

/// One long-lived session: how to open it, log it in and expire it.
pub struct Spec {
    pub family: Family,
    /// The user brokersim's `expire` command takes.
    pub user: String,
    /// The app a login code is minted for (empty: the family logs in
    /// with PIN and TOTP).
    pub app: String,
    pub heal: Heal,
    /// `broker_new`'s config.
    pub config: String,
    /// The credentials' key for a minted code (`code`, `request_token`,
    /// `auth_code`), or `None` when [`Spec::fixed`] is all there is.
    pub code_key: Option<&'static str>,
    /// Credentials besides the code (PIN, TOTP secret).
    pub fixed: Value,
    /// How brokersim's refresh events name this session: the header or
    /// form value it sends, or `None` to take the refresh token from the
    /// exported state after login.
    pub refresh_key: Option<String>,
    /// The paths of its reads (profile, funds), for faults.
    pub reads: [String; 2],
}

impl Spec {
    /// `family/user`, for the report.
    pub fn name(&self) -> String {
        format!("{}/{}", self.family.name(), self.user)
    }
}

/// The path of `url` (what follows the host), for `Sim::inject`.
pub fn path_of(url: &str) -> String {
    let rest = url.split_once("//").map_or(url, |(_, rest)| rest);
    rest.find('/')
        .map_or(String::new(), |i| rest[i..].to_owned())
}

/// The paths of the reads `profile` and `funds` below the REST base `base`.
fn reads(base: &str, profile: &str, funds: &str) -> [String; 2] {
    [
        path_of(&format!("{base}{profile}")),
        path_of(&format!("{base}{funds}")),
    ]
}

/// Credentials by PIN and TOTP secret.
fn pin_totp(pin: &str, totp_secret: &str) -> Value {
    json!({"pin": pin, "totp_secret": totp_secret})
}

/// A config with the session-wide keys every soak session shares.
fn config(mut fields: Value) -> String {
    fields["timeout_ms"] = json!(TIMEOUT_MS);
    fields.to_string()
}

/// The long-lived sessions, built from brokersim's startup line.
pub fn specs(startup: &Value) -> Vec<Spec> {
    let a = accounts();
    let mut specs: Vec<Spec> = a.angel[..2].iter().map(|x| angel(startup, x)).collect();
    for account in &a.zebu {
        specs.push(noren(startup, Family::Zebu, account));
    }
    specs.push(noren(startup, Family::Tradesmart, &a.tradesmart));
    for account in &a.zerodha {
        specs.push(zerodha(startup, account));
    }
    specs.push(upstox(startup, &a.upstox));
    specs.push(fyers(startup, &a.fyers[0], true));
    specs.push(fyers(startup, &a.fyers[1], false));
    specs.push(dhan(startup, &a.dhan));
    specs
}

/// The Angel One session that is created and freed under its readers.
pub fn churn(startup: &Value) -> Spec {
    angel(startup, &accounts().angel[2])
}

/// An Angel One session (PIN and TOTP; refresh by generateTokens, which
/// names the app in `X-PrivateKey`).
fn angel(startup: &Value, account: &AngelAccount) -> Spec {
    let base = startup["angelone"]["base_url"].as_str().unwrap();
    Spec {
        family: Family::Angel,
        user: account.client_code.clone(),
        app: String::new(),
        heal: Heal::Refresh,
        config: config(json!({"broker": "angelone", "api_key": account.api_key,
            "client_code": account.client_code, "base_url": base})),
        code_key: None,
        fixed: pin_totp(&account.pin, &account.totp_secret),
        refresh_key: Some(account.api_key.clone()),
        reads: [
            "/rest/secure/angelbroking/user/v1/getProfile".into(),
            "/rest/secure/angelbroking/user/v1/getRMS".into(),
        ],
    }
}

/// A Noren session by OAuth code (Zebu refreshes with its refresh token,
/// Tradesmart cannot).
fn noren(startup: &Value, family: Family, account: &NorenAccount) -> Spec {
    let preset = &startup["noren"][family.name()];
    let base = preset["base_url"].as_str().unwrap();
    let mut fields = serde_json::from_str::<Value>(&format!("{{{NOREN_PACING}}}")).unwrap();
    for (key, value) in [
        ("broker", "noren"),
        ("preset", family.name()),
        ("client_id", &account.client_id),
        ("secret", &account.secret),
        ("base_url", base),
        ("oauth_url", preset["oauth_url"].as_str().unwrap()),
    ] {
        fields[key] = json!(value);
    }
    Spec {
        family,
        user: account.user_id.clone(),
        app: account.client_id.clone(),
        heal: Heal::refreshing(family == Family::Zebu),
        config: config(fields),
        code_key: Some("code"),
        fixed: json!({}),
        refresh_key: None,
        reads: reads(base, "/UserDetails", "/Limits"),
    }
}

/// A Kite session by request token; it renews when the app is an approved
/// platform (the renewal's form names the `api_key`).
fn zerodha(startup: &Value, account: &ZerodhaAccount) -> Spec {
    let kite = &startup["zerodha"];
    Spec {
        family: Family::Zerodha,
        user: account.user_id.clone(),
        app: account.api_key.clone(),
        heal: Heal::refreshing(account.refresh_tokens),
        config: config(json!({"broker": "zerodha", "api_key": account.api_key,
            "api_secret": account.api_secret, "base_url": kite["base_url"],
            "oauth_url": kite["login_url"]})),
        code_key: Some("request_token"),
        fixed: json!({}),
        refresh_key: Some(account.api_key.clone()),
        reads: ["/user/profile".into(), "/user/margins".into()],
    }
}

/// The Upstox session by authorization code: no refresh.
fn upstox(startup: &Value, account: &UpstoxAccount) -> Spec {
    let up = &startup["upstox"];
    let base = up["base_url"].as_str().unwrap();
    let redirect = up["accounts"][0]["redirect_uri"].clone();
    Spec {
        family: Family::Upstox,
        user: account.user_id.clone(),
        app: account.api_key.clone(),
        heal: Heal::NewLogin,
        config: config(json!({"broker": "upstox", "api_key": account.api_key,
            "api_secret": account.api_secret, "redirect_uri": redirect,
            "base_url": base, "oauth_url": up["oauth_url"],
            "rate_limits": serde_json::from_str::<Value>(UPSTOX_PACING).unwrap()})),
        code_key: Some("code"),
        fixed: json!({}),
        refresh_key: None,
        reads: reads(base, "/v2/user/profile", "/v3/user/get-funds-and-margin"),
    }
}

/// A Fyers session by auth code; with `legacy_refresh` it refreshes with
/// its refresh token and the PIN, else an expiry means a new login.
fn fyers(startup: &Value, account: &FyersAccount, legacy_refresh: bool) -> Spec {
    let base = startup["fyers"]["base_url"].as_str().unwrap();
    let redirect = format!("{}/fyers/callback", startup["base_url"].as_str().unwrap());
    Spec {
        family: Family::Fyers,
        user: account.fy_id.clone(),
        app: account.app_id.clone(),
        heal: Heal::refreshing(legacy_refresh),
        config: config(json!({"broker": "fyers", "app_id": account.app_id,
            "app_secret": account.app_secret, "redirect_uri": redirect, "base_url": base,
            "legacy_refresh": legacy_refresh,
            "rate_limits": serde_json::from_str::<Value>(FYERS_PACING).unwrap()})),
        code_key: Some("auth_code"),
        fixed: if legacy_refresh {
            json!({"pin": account.pin})
        } else {
            json!({})
        },
        refresh_key: None,
        reads: reads(base, "/profile", "/funds"),
    }
}

/// The Dhan session by PIN and TOTP. It renews its short-lived tokens by
/// RenewToken ahead of expiry (which names the client in `dhanClientId`);
/// a forced expiry cannot be renewed and means a new login.
fn dhan(startup: &Value, account: &DhanAccount) -> Spec {
    let dhan = &startup["dhan"];
    let base = dhan["base_url"].as_str().unwrap();
    Spec {
        family: Family::Dhan,
        user: account.client_id.clone(),
        app: String::new(),
        heal: Heal::NewLogin,
        config: config(json!({"broker": "dhan", "client_id": account.client_id,
            "base_url": base, "auth_url": dhan["auth_url"]})),
        code_key: None,
        fixed: pin_totp(&account.pin, &account.totp_secret),
        refresh_key: Some(account.client_id.clone()),
        reads: reads(base, "/profile", "/fundlimit"),
    }
}
