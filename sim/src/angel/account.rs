//! Angel One accounts the simulator knows, and the fixed demo account.

use serde_json::{Value, json};

/// An Angel One SmartAPI account: the app's API key, the client's login credentials and the data
/// getProfile and getRMS return.
#[derive(Clone, Debug, PartialEq)]
pub struct AngelAccount {
    /// The SmartAPI app's API key, sent as `X-PrivateKey`. Keys should be unique across accounts.
    pub api_key: String,
    /// The client code, e.g. `D12345`.
    pub client_code: String,
    /// The 4-digit MPIN, sent as `password` at login.
    pub pin: String,
    /// The base32 TOTP secret.
    pub totp_secret: String,
    /// The account holder's name.
    pub name: String,
    /// The account holder's email address.
    pub email: String,
    /// The account holder's mobile number.
    pub mobile: String,
    /// The `data` object getRMS returns, verbatim.
    pub rms: Value,
}

impl AngelAccount {
    /// The fixed demo account: API key `demo-api-key`, client code `D12345`, PIN `1234`, TOTP
    /// secret `JBSWY3DPEHPK3PXP`, name `Demo Trader`, email `demo@example.com`, mobile
    /// `9999999999`, and funds with all 14 RMS keys as decimal strings of varying precision (one
    /// of them `null`), as the real API sends them.
    #[must_use]
    pub fn demo() -> AngelAccount {
        AngelAccount {
            api_key: "demo-api-key".to_owned(),
            client_code: "D12345".to_owned(),
            pin: "1234".to_owned(),
            totp_secret: "JBSWY3DPEHPK3PXP".to_owned(),
            name: "Demo Trader".to_owned(),
            email: "demo@example.com".to_owned(),
            mobile: "9999999999".to_owned(),
            rms: demo_rms(),
        }
    }
}

/// The demo account's getRMS data.
fn demo_rms() -> Value {
    json!({
        "net": "19948.7700",
        "availablecash": "12554.549999999999272",
        "availableintradaypayin": "0",
        "availablelimitmargin": "0",
        "collateral": "5000.00",
        "m2munrealized": "-1053.75",
        "m2mrealized": "250.5",
        "utiliseddebits": "7393.23",
        "utilisedspan": null,
        "utilisedoptionpremium": "0",
        "utilisedholdingsales": "0",
        "utilisedexposure": "0",
        "utilisedturnover": "0",
        "utilisedpayout": "0"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_rms_has_the_fourteen_documented_keys() {
        let rms = AngelAccount::demo().rms;
        let keys: Vec<&str> = rms
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(keys.len(), 14);
        for value in rms.as_object().into_iter().flat_map(|o| o.values()) {
            assert!(value.is_string() || value.is_null());
        }
    }
}
