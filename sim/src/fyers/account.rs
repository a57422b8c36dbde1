//! Fyers accounts the simulator knows ([`FyersAccount`]), and the fixed demo account.

use serde_json::Value;

/// A Fyers API v3 user and the app they log in through: the app's id, secret and registered
/// redirect URI, the user's id and PIN, and the data `/profile` and `/funds` return.
///
/// Accounts are told apart by app id (one user per app here); fy ids should be unique too.
#[derive(Clone, Debug, PartialEq)]
pub struct FyersAccount {
    /// The app id with its type suffix, e.g. `FYDEMOAPP1-100`: `client_id` on the login page,
    /// the first half of every `Authorization` header.
    pub app_id: String,
    /// The app's secret: only its SHA-256 with the app id (`appIdHash`) is ever sent.
    pub app_secret: String,
    /// The redirect URI registered with the app; the login page accepts no other. A value
    /// starting with `/` is taken relative to the simulator's base URL when the account is added.
    pub redirect_uri: String,
    /// The user's Fyers id (`fy_id`), e.g. `XD12345`.
    pub fy_id: String,
    /// The user's 4-digit PIN, which the legacy `/validate-refresh-token` checks.
    pub pin: String,
    /// An auth code that `/validate-authcode` accepts any number of times, besides the
    /// single-use codes of the login page. The real broker has no such thing: it exists for host
    /// test suites that log in repeatedly with fixed credentials. `None` (the demo account's
    /// value) accepts single-use codes only.
    pub reusable_auth_code: Option<String>,
    /// The `data` object `/profile` returns, verbatim (mobile, email and PAN masked, as Fyers
    /// sends them since September 2025).
    pub profile: Value,
    /// The `fund_limit` array `/funds` returns, verbatim.
    pub fund_limit: Value,
}

impl FyersAccount {
    /// The fixed demo account:
    ///
    /// | field | value |
    /// |---|---|
    /// | app_id | `FYDEMOAPP1-100` |
    /// | app_secret | `FYDEMOSECRET` |
    /// | redirect_uri | `/fyers/callback` (the simulator's own callback page) |
    /// | fy_id | `XD12345` |
    /// | pin | `1234` |
    /// | reusable_auth_code | `None` |
    ///
    /// Its profile is the documentation's sample with the demo's values (`name` `DEMO FYERS
    /// TRADER`, `email_id` `dxxxxxxx@example.com`, `mobile_number` `98xxxxxx10`, `PAN`
    /// `DFxxxxxx4Z`), and its ten funds rows carry JSON floats with binary noise
    /// (`25150.450000000004`) and both ledgers: Clear Balance 21940.250000000004 + 749.5,
    /// Available Balance 26940.250000000004 + 749.5, Utilized Amount 3210.2 + 250.5, Realized
    /// Profit and Loss -120.35, Collaterals 5000, Fund Transfer 1500.5.
    #[must_use]
    pub fn demo() -> FyersAccount {
        FyersAccount {
            app_id: "FYDEMOAPP1-100".to_owned(),
            app_secret: "FYDEMOSECRET".to_owned(),
            redirect_uri: "/fyers/callback".to_owned(),
            fy_id: "XD12345".to_owned(),
            pin: "1234".to_owned(),
            reusable_auth_code: None,
            profile: demo_profile(),
            fund_limit: demo_fund_limit(),
        }
    }
}

/// The demo account's profile `data` (PROTOCOLS.md §6.4's sample, the demo's values).
fn demo_profile() -> Value {
    serde_json::json!({
        "name": "DEMO FYERS TRADER",
        "image": null,
        "display_name": "DEMO",
        "email_id": "dxxxxxxx@example.com",
        "PAN": "DFxxxxxx4Z",
        "fy_id": "XD12345",
        "pin_change_date": "19-08-2020 14:58:41",
        "mobile_number": "98xxxxxx10",
        "totp": true,
        "pwd_change_date": "19-08-2020 14:58:41",
        "pwd_to_expire": 42,
        "ddpi_enabled": false,
        "mtf_enabled": false
    })
}

/// The demo account's funds rows. Parsed from text, so that the numbers keep the digits Fyers
/// sends (binary noise included) whether or not serde_json keeps number text.
fn demo_fund_limit() -> Value {
    const ROWS: &str = r#"[
 {"id":1,"title":"Total Balance","equityAmount":25150.450000000004,"commodityAmount":1000},
 {"id":2,"title":"Utilized Amount","equityAmount":3210.2,"commodityAmount":250.5},
 {"id":3,"title":"Clear Balance","equityAmount":21940.250000000004,"commodityAmount":749.5},
 {"id":4,"title":"Realized Profit and Loss","equityAmount":-120.35,"commodityAmount":0},
 {"id":5,"title":"Collaterals","equityAmount":5000,"commodityAmount":0},
 {"id":6,"title":"Fund Transfer","equityAmount":1500.5,"commodityAmount":0},
 {"id":7,"title":"Receivables","equityAmount":0,"commodityAmount":0},
 {"id":8,"title":"Adhoc Limit","equityAmount":0,"commodityAmount":0},
 {"id":9,"title":"Limit at start of the day","equityAmount":23650.75,"commodityAmount":1000},
 {"id":10,"title":"Available Balance","equityAmount":26940.250000000004,"commodityAmount":749.5}]"#;
    serde_json::from_str(ROWS).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_funds_have_ten_rows_with_float_noise() {
        let rows = FyersAccount::demo().fund_limit;
        assert_eq!(rows.as_array().map(Vec::len), Some(10));
        let text = rows.to_string();
        assert!(text.contains("21940.250000000004"), "{text}");
        assert_eq!(FyersAccount::demo().profile["fy_id"], "XD12345");
    }
}
