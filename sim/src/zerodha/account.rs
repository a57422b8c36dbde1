//! Kite Connect accounts the simulator knows ([`ZerodhaAccount`]), and the fixed demo account.

use serde_json::{Value, json};

/// A Kite Connect app and the user who logs in to it: the app's API key and secret, where the
/// login page redirects, and the data the profile and margins calls return.
///
/// Accounts are told apart by user id; API keys should be unique across accounts.
#[derive(Clone, Debug, PartialEq)]
pub struct ZerodhaAccount {
    /// The app's `api_key` (the login page's and every call's).
    pub api_key: String,
    /// The app's `api_secret`, part of the checksums.
    pub api_secret: String,
    /// The user id, e.g. `ZD1234`.
    pub user_id: String,
    /// `user_name`.
    pub user_name: String,
    /// `user_shortname`.
    pub user_shortname: String,
    /// `email`.
    pub email: String,
    /// The app's registered redirect URL, where the login page sends the browser with
    /// `?action=login&type=login&status=success&request_token=…`. A value starting with `/` is
    /// taken relative to the simulator's base URL when the account is added.
    pub redirect_url: String,
    /// Whether the app is an approved platform that gets a `refresh_token` at login (and may
    /// renew at `POST /session/refresh_token`); ordinary apps get `""` (PROTOCOLS.md §4.4).
    pub refresh_tokens: bool,
    /// A request token the simulator accepts at every exchange, never used up, for test programs
    /// that log in several times with the same credentials. The real Kite has no such thing:
    /// its request tokens are single-use. `None` (the demo account) disables it.
    pub reusable_request_token: Option<String>,
    /// The `data` `GET /user/margins` returns, verbatim (`{"equity":{…},"commodity":{…}}`);
    /// `/user/margins/<segment>` returns the segment's object.
    pub margins: Value,
}

impl ZerodhaAccount {
    /// The fixed demo account: API key `zerodha-api-key`, API secret `zerodha-api-secret`, user
    /// `ZD1234` (`Kite Demo`, `kite.demo@example.com`), redirect URL `/connect/callback` (the
    /// simulator's own callback page), no refresh token, and the margins of
    /// PROTOCOLS.md §4.4's mock with its float noise (`99725.05000000002`) and a `-0`.
    #[must_use]
    pub fn demo() -> ZerodhaAccount {
        ZerodhaAccount {
            api_key: "zerodha-api-key".to_owned(),
            api_secret: "zerodha-api-secret".to_owned(),
            user_id: "ZD1234".to_owned(),
            user_name: "Kite Demo".to_owned(),
            user_shortname: "Demo".to_owned(),
            email: "kite.demo@example.com".to_owned(),
            redirect_url: "/connect/callback".to_owned(),
            refresh_tokens: false,
            reusable_request_token: None,
            margins: demo_margins(),
        }
    }
}

/// The demo account's margins: equity exactly as the mock of PROTOCOLS.md §4.4, commodity with
/// its own figures (net `96426.32999999999`, a `-0` payout).
fn demo_margins() -> Value {
    // Parsed from text, so that the numbers keep the digits Kite sends.
    serde_json::from_str(
        r#"{"equity":{"enabled":true,"net":99725.05000000002,
            "available":{"adhoc_margin":0,"cash":245431.6,"opening_balance":245431.6,
                "live_balance":99725.05000000002,"collateral":0,"intraday_payin":0},
            "utilised":{"debits":145706.55,"exposure":38981.25,"m2m_realised":761.7,
                "m2m_unrealised":0,"option_premium":0,"payout":0,"span":101989,
                "holding_sales":0,"turnover":0,"liquid_collateral":0,"stock_collateral":0,
                "delivery":0}},
        "commodity":{"enabled":true,"net":96426.32999999999,
            "available":{"adhoc_margin":0,"cash":97297.5,"opening_balance":97297.5,
                "live_balance":96426.32999999999,"collateral":0,"intraday_payin":0},
            "utilised":{"debits":871.17,"exposure":0,"m2m_realised":0,"m2m_unrealised":0,
                "option_premium":0,"payout":-0,"span":871.17,"holding_sales":0,"turnover":0,
                "liquid_collateral":0,"stock_collateral":0,"delivery":0}}}"#,
    )
    .unwrap_or_else(|_| json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_margins_have_both_segments() {
        let margins = ZerodhaAccount::demo().margins;
        assert_eq!(margins["equity"]["available"]["cash"], json!(245431.6));
        assert_eq!(margins["commodity"]["utilised"]["debits"], json!(871.17));
    }
}
