//! Noren accounts the simulator knows ([`NorenAccount`]), and the fixed demo account of each
//! preset.

use serde_json::{Map, Value, json};

use crate::noren::preset::Preset;

/// The state of a QuickAuth user's password.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PasswordState {
    /// The password is current: QuickAuth succeeds.
    #[default]
    Ok,
    /// QuickAuth answers `Invalid Input : Password Expired`.
    Expired,
    /// QuickAuth answers `Invalid Input : Change Password`.
    MustChange,
}

/// A user of one Noren broker (one preset): the OAuth app, the password-login credentials, the
/// Flattrade app and the data UserDetails and Limits return.
///
/// Accounts are told apart by preset and user id; within a preset, OAuth client ids and
/// Flattrade API keys should be unique.
#[derive(Clone, Debug, PartialEq)]
pub struct NorenAccount {
    /// The preset (broker) the account belongs to: `"kambala"`, `"shoonya"`, `"zebu"`,
    /// `"tradesmart"` or `"flattrade"`.
    pub preset: String,
    /// The user id (`uid`, `USERID`), e.g. `NKAM01`.
    pub user_id: String,
    /// The account id (`actid`).
    pub account_id: String,
    /// The OAuth app's client id (Shoonya's is `<user id>_U`); the authorize page's `client_id`.
    pub client_id: String,
    /// The OAuth app's secret, part of GenAcsTok's checksum; also Flattrade's API secret, part
    /// of its apitoken checksum.
    pub secret: String,
    /// Where the authorize page redirects with `?code=`. A value starting with `/` is taken
    /// relative to the simulator's base URL when the account is added.
    pub redirect_url: String,
    /// The password QuickAuth checks (sent as its SHA-256).
    pub password: String,
    /// The base32 TOTP secret QuickAuth checks `factor2` against.
    pub totp_secret: String,
    /// The vendor code QuickAuth expects in `vc`.
    pub vendor_code: String,
    /// The API secret in QuickAuth's `appkey` (SHA-256 of `<uid>|<api_secret>`).
    pub api_secret: String,
    /// Whether QuickAuth requires a non-empty `imei`.
    pub imei_required: bool,
    /// Flattrade's app key: the login page's `app_key` and apitoken's `api_key`.
    pub api_key: String,
    /// Whether QuickAuth accepts the password or asks for a new one.
    pub password_state: PasswordState,
    /// Whether the user is enabled for API access; when not, GenAcsTok and QuickAuth answer
    /// `User Not enabled on : API` (PROTOCOLS.md §8).
    pub api_enabled: bool,
    /// The account holder's name (`uname`).
    pub name: String,
    /// The account holder's email address.
    pub email: String,
    /// The account holder's mobile number (`m_num`).
    pub mobile: String,
    /// The fields Limits returns besides `stat`, `request_time` and `actid`, verbatim (an object
    /// of strings, as the brokers send them).
    pub limits: Value,
}

impl NorenAccount {
    /// The fixed demo account of `preset`, where `Xxx` is the preset's name capitalized and
    /// `XXX` its first three letters in upper case:
    ///
    /// | field | value |
    /// |---|---|
    /// | user_id, account_id | `NXXX01` (`NKAM01`, `NSHO01`, `NZEB01`, `NTRA01`, `NFLA01`) |
    /// | client_id | `<preset>-client` (Shoonya: `NSHO01_U`) |
    /// | secret | `<preset>-secret` |
    /// | redirect_url | `/noren/callback` (the simulator's own callback page) |
    /// | password | `Passw0rd!` |
    /// | totp_secret | `JBSWY3DPEHPK3PXP` |
    /// | vendor_code | `NXXX01_U` (Shoonya: `NSHO01_U`) |
    /// | api_secret | `<preset>-api-secret` |
    /// | imei_required | `true` |
    /// | api_key | `<preset>-api-key` |
    /// | password_state | [`PasswordState::Ok`] |
    /// | name | `Demo Xxx Trader` |
    /// | email | `<user id in lower case>@example.com` |
    /// | mobile | `9876543210` |
    ///
    /// Its limits hold huge and odd values as strings: `cash` `"1500000000000000.00"` (beyond
    /// f64's exact range at paise resolution), `payin` `"2500.50"`, `payout` `"0.00"`,
    /// `brkcollamt` `"12000.75"`, `marginused` `"3000.25"`, `rpnl` `"-150.25"`, unrealised MTM
    /// `"410.10"` (as `unmtom` at Kambala, Shoonya and Flattrade, as `urmtom` at Zebu and
    /// Tradesmart), `unclearedcash` `"0"`, `span` `"1200.00"`, `span_d_i` `"1200.00"`, `expo`
    /// `"800.5"`, `expo_d_i` `"800.5"`, `premium` `"0.00"`, `collateral` `"12000.75"`,
    /// `daycash` `"0.00"` and `turnover` `"250000.00"`.
    ///
    /// # Panics
    ///
    /// When `preset` is not one of the five preset names.
    #[must_use]
    pub fn demo(preset: &str) -> NorenAccount {
        let known = crate::noren::known_preset(preset);
        let name = known.name();
        let user_id = format!("N{}01", name[..3].to_ascii_uppercase());
        let client_id = match known {
            Preset::Shoonya => format!("{user_id}_U"),
            _ => format!("{name}-client"),
        };
        let mut display = name.to_owned();
        display[..1].make_ascii_uppercase();
        NorenAccount {
            preset: name.to_owned(),
            account_id: user_id.clone(),
            client_id,
            secret: format!("{name}-secret"),
            redirect_url: "/noren/callback".to_owned(),
            password: "Passw0rd!".to_owned(),
            totp_secret: "JBSWY3DPEHPK3PXP".to_owned(),
            vendor_code: format!("{user_id}_U"),
            api_secret: format!("{name}-api-secret"),
            imei_required: true,
            api_key: format!("{name}-api-key"),
            password_state: PasswordState::Ok,
            api_enabled: true,
            name: format!("Demo {display} Trader"),
            email: format!("{}@example.com", user_id.to_ascii_lowercase()),
            mobile: "9876543210".to_owned(),
            limits: demo_limits(known),
            user_id,
        }
    }
}

/// The demo accounts' Limits fields (PROTOCOLS.md §2.5 names only).
fn demo_limits(preset: Preset) -> Value {
    let mut limits: Map<String, Value> = match json!({
        "cash": "1500000000000000.00",
        "payin": "2500.50",
        "payout": "0.00",
        "brkcollamt": "12000.75",
        "unclearedcash": "0",
        "daycash": "0.00",
        "marginused": "3000.25",
        "rpnl": "-150.25",
        "span": "1200.00",
        "span_d_i": "1200.00",
        "expo": "800.5",
        "expo_d_i": "800.5",
        "premium": "0.00",
        "collateral": "12000.75",
        "turnover": "250000.00"
    }) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    limits.insert(preset.unrealised_mtm_field().to_owned(), json!("410.10"));
    Value::Object(limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_accounts_follow_the_naming_scheme() {
        let kambala = NorenAccount::demo("kambala");
        assert_eq!(kambala.user_id, "NKAM01");
        assert_eq!(kambala.account_id, "NKAM01");
        assert_eq!(kambala.client_id, "kambala-client");
        assert_eq!(kambala.name, "Demo Kambala Trader");
        assert_eq!(kambala.limits["unmtom"], "410.10");
        let shoonya = NorenAccount::demo("shoonya");
        assert_eq!(shoonya.client_id, "NSHO01_U");
        assert_eq!(shoonya.vendor_code, "NSHO01_U");
        let tradesmart = NorenAccount::demo("tradesmart");
        assert_eq!(tradesmart.user_id, "NTRA01");
        assert_eq!(tradesmart.limits["urmtom"], "410.10");
        assert!(tradesmart.limits.get("unmtom").is_none());
    }

    #[test]
    fn demo_limits_are_all_strings() {
        for preset in Preset::ALL {
            let limits = NorenAccount::demo(preset.name()).limits;
            let fields = limits.as_object().map(Map::len).unwrap_or_default();
            assert_eq!(fields, 16);
            assert!(
                limits
                    .as_object()
                    .into_iter()
                    .flatten()
                    .all(|(_, v)| v.is_string())
            );
        }
    }

    #[test]
    #[should_panic(expected = "unknown Noren preset")]
    fn unknown_preset_panics() {
        let _ = NorenAccount::demo("nope");
    }
}
