//! Dhan accounts the simulator knows ([`DhanAccount`]), and the fixed demo account.

use serde_json::{Value, json};

/// One Dhan user: the client id, the PIN + TOTP login's secrets, the API app (key and secret)
/// of the consent login, and what `/v2/profile` and `/v2/fundlimit` return.
#[derive(Clone, Debug, PartialEq)]
pub struct DhanAccount {
    /// The Dhan client id (`dhanClientId`), a 10-digit string.
    pub client_id: String,
    /// The account holder's name, as the login replies give it (`dhanClientName`).
    pub name: String,
    /// The unique client code (`dhanClientUcc`).
    pub ucc: String,
    /// The PIN generateAccessToken checks.
    pub pin: String,
    /// The base32 TOTP secret generateAccessToken checks `totp` against.
    pub totp_secret: String,
    /// The API key (`app_id` header) of the account's app, for the consent login.
    pub app_id: String,
    /// The API secret (`app_secret` header).
    pub app_secret: String,
    /// Where the consent page redirects with `?tokenId=`. A value starting with `/` is taken
    /// relative to the simulator's base URL when the account is added.
    pub redirect_url: String,
    /// The profile's `activeSegment`.
    pub active_segment: String,
    /// Whether the account may use the APIs: `false` answers profile and funds with `DH-902`.
    pub api_access: bool,
    /// What `/v2/fundlimit` returns besides `dhanClientId`, verbatim (the real API sends JSON
    /// numbers, floats with a `.0` among them).
    pub fund_limit: Value,
}

impl DhanAccount {
    /// The fixed demo account:
    ///
    /// | field | value |
    /// |---|---|
    /// | client_id | `1000000001` |
    /// | name | `DEMO DHAN TRADER` |
    /// | ucc | `DEMO0001` |
    /// | pin | `123456` |
    /// | totp_secret | `JBSWY3DPEHPK3PXP` |
    /// | app_id, app_secret | `dhan-demo-app-id`, `dhan-demo-app-secret` |
    /// | redirect_url | `/dhan/callback` (the simulator's own callback page) |
    /// | active_segment | `Equity, Derivative, Currency, Commodity` |
    /// | api_access | `true` |
    ///
    /// Its fund limit is the documentation's sample, misspellings included: `availabelBalance`
    /// `98440.0`, `sodLimit` `113642`, `collateralAmount` `0.0`, `receiveableAmount` `0.0`,
    /// `utilizedAmount` `15202.0`, `blockedPayoutAmount` `0.0`, `withdrawableBalance` `98310.0`.
    #[must_use]
    pub fn demo() -> DhanAccount {
        DhanAccount {
            client_id: "1000000001".to_owned(),
            name: "DEMO DHAN TRADER".to_owned(),
            ucc: "DEMO0001".to_owned(),
            pin: "123456".to_owned(),
            totp_secret: "JBSWY3DPEHPK3PXP".to_owned(),
            app_id: "dhan-demo-app-id".to_owned(),
            app_secret: "dhan-demo-app-secret".to_owned(),
            redirect_url: "/dhan/callback".to_owned(),
            active_segment: "Equity, Derivative, Currency, Commodity".to_owned(),
            api_access: true,
            fund_limit: json!({
                "availabelBalance": 98440.0,
                "sodLimit": 113_642,
                "collateralAmount": 0.0,
                "receiveableAmount": 0.0,
                "utilizedAmount": 15202.0,
                "blockedPayoutAmount": 0.0,
                "withdrawableBalance": 98310.0
            }),
        }
    }
}
