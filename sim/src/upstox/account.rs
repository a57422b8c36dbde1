//! Upstox accounts the simulator knows ([`UpstoxAccount`]), and the fixed demo account.

use serde_json::{Value, json};

/// An Upstox user with one API app: the app's client id, secret and redirect URI, and the data
/// the profile and funds endpoints return.
#[derive(Clone, Debug, PartialEq)]
pub struct UpstoxAccount {
    /// The user id (the UCC), e.g. `UP1234`.
    pub user_id: String,
    /// The app's API key: the OAuth `client_id`. Keys should be unique across accounts.
    pub api_key: String,
    /// The app's API secret: the token exchange's `client_secret`.
    pub api_secret: String,
    /// The redirect URI registered with the app: the authorization dialog and the token
    /// exchange accept only this one. A value starting with `/` is taken relative to the
    /// simulator's base URL when the account is added.
    pub redirect_uri: String,
    /// The account holder's name (`user_name`).
    pub name: String,
    /// The account holder's email address.
    pub email: String,
    /// The `data` object of `GET /v3/user/get-funds-and-margin`, verbatim.
    pub funds_v3: Value,
    /// The `data` object of `GET /v2/user/get-funds-and-margin`, verbatim (`equity` and
    /// `commodity`; `segment=SEC` or `COM` picks one).
    pub funds_v2: Value,
}

impl UpstoxAccount {
    /// The fixed demo account: user `UP1234`, API key `upstox-api-key`, API secret
    /// `upstox-api-secret`, redirect URI `/upstox/callback` (the simulator's own callback page),
    /// name `Demo Upstox Trader`, email `up1234@example.com`.
    ///
    /// Its v3 funds are the documentation's sample (PROTOCOLS.md §5.4) with floats and ints
    /// mixed, a `null` and a `-0.0`: cash available `5117.34` (opening balance `5137.34`, added
    /// today `110.0`, withdrawn today `-130.0`), pledge margin `263.49` of which `1.8` used, total
    /// `5379.03`. Its v2 funds are the v2 sample: equity available margin `15507.46`, used margin
    /// `0.8`, payin `200.0`; commodity all zeros.
    #[must_use]
    pub fn demo() -> UpstoxAccount {
        UpstoxAccount {
            user_id: "UP1234".to_owned(),
            api_key: "upstox-api-key".to_owned(),
            api_secret: "upstox-api-secret".to_owned(),
            redirect_uri: "/upstox/callback".to_owned(),
            name: "Demo Upstox Trader".to_owned(),
            email: "up1234@example.com".to_owned(),
            funds_v3: demo_funds_v3(),
            funds_v2: demo_funds_v2(),
        }
    }
}

/// The demo account's v3 funds: the documentation's sample, with a `null` and a `-0.0`.
fn demo_funds_v3() -> Value {
    json!({
        "available_to_trade": {
            "total": 5379.03,
            "cash_available_to_trade": {
                "total": 5117.34,
                "cash": {
                    "opening_balance": 5137.34,
                    "added_today": 110.0,
                    "withdrawn_today": -130.0,
                    "amount_from_stock_sale": null,
                    "unpaid_charges": 0
                },
                "margin_used": {
                    "total": 0.0,
                    "mtf": 0.0,
                    "loss": {"total": -0.0, "realised": -0.0, "unrealised": 0.0},
                    "span_exposure": 0.0,
                    "cash_margin_var_elm": 0.0,
                    "premium_present": 0.0,
                    "delivery_margin": {"total": 0.0, "equity": 0.0, "fo_settlement": 0.0}
                }
            },
            "pledge_available_to_trade": {
                "total": 261.69,
                "margin_from_pledge": {"total": 263.49, "equity": 263.49, "mutual_funds": 0.0},
                "margin_used": {
                    "total": 1.8,
                    "mtf": 0.0,
                    "span_exposure": 0.0,
                    "cash_margin_var_elm": 1.8,
                    "premium_present": 0.0,
                    "delivery_margin": {"total": 0.0, "equity": 0.0, "fo_settlement": 0.0}
                }
            }
        },
        "unavailable_to_trade": {
            "cash_unavailable_to_trade": {
                "unsettled_profit": {"todays_profit": 0.0, "previous_days": 0.0}
            },
            "pledge_unavailable_to_trade": {"equity": 0.0, "mutual_funds": 0.0}
        }
    })
}

/// The demo account's v2 funds: the documentation's sample.
fn demo_funds_v2() -> Value {
    json!({
        "equity": {
            "used_margin": 0.8,
            "payin_amount": 200.0,
            "span_margin": 0.0,
            "adhoc_margin": 0.0,
            "notional_cash": 0.0,
            "available_margin": 15507.46,
            "exposure_margin": 0.0
        },
        "commodity": {
            "used_margin": 0,
            "payin_amount": 0,
            "span_margin": 0,
            "adhoc_margin": 0,
            "notional_cash": 0,
            "available_margin": 0,
            "exposure_margin": 0
        }
    })
}
