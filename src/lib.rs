//! brokerlink: log in to Indian brokers' REST APIs from any language that
//! can call C, and read the account's profile and funds as JSON.
//!
//! Most programs use the C ABI ([`ffi`], `include/brokerlink.h`). Rust
//! programs (the `brokerlink` command-line tool, the tests) use the same
//! operations through [`Session`]:
//!
//! ```no_run
//! let session = brokerlink::Session::new(
//!     r#"{"broker":"angelone","api_key":"KEY","client_code":"A123456"}"#,
//! )?;
//! session.login(r#"{"pin":"1234","totp_secret":"BASE32SECRET"}"#)?;
//! println!("{}", session.funds()?.available_cash);
//! # Ok::<(), brokerlink::Error>(())
//! ```
//!
//! Data flows one way: `ffi` (C strings, handles) -> `session` (login
//! state, what to do) -> `brokers` (wire requests and replies) -> `http`
//! (the transport). docs/ARCHITECTURE.md maps every module.

#![warn(missing_docs)]
#![deny(unreachable_pub, dead_code)]

mod brokers;
mod config;
mod error;
pub mod ffi;
mod http;
mod log;
mod model;
mod money;
mod netinfo;
mod operation;
mod pacing;
mod secret;
mod session;
mod time;
mod totp;

pub use error::{Error, Reason, Result, Status};
pub use model::{
    BrokerKind, Funds, Imported, LoggedOut, LoginInfo, LoginUrl, Profile, Refreshed, SessionStatus,
};
pub use money::Money;
pub use session::Session;
pub use totp::{TotpCode, TotpSecret};

/// Every broker family the library speaks, with the logins each takes and
/// its presets, from the library's one registry.
pub fn brokers() -> Vec<BrokerKind> {
    brokers::families()
}

/// The parsers the fuzz targets (`fuzz/`) and property tests
/// (`tests/it/properties`) drive, gathered in one place. Not a stable API.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::brokers::Tokens;
    pub use crate::brokers::angelone::{
        funds_from as angelone_funds_from, jwt_expiry, parse_reply as angelone_parse_reply,
        profile_from as angelone_profile_from, tokens_from_reply as angelone_tokens_from_reply,
    };
    pub use crate::brokers::dhan::{
        funds_from as dhan_funds_from, ist_timestamp as dhan_ist_timestamp,
        jwt_expiry as dhan_jwt_expiry, parse_reply as dhan_parse_reply,
        profile_from as dhan_profile_from, token_validity as dhan_token_validity,
        tokens_from_login as dhan_tokens_from_login,
        tokens_from_renewal as dhan_tokens_from_renewal,
    };
    pub use crate::brokers::fyers::{
        error_for_code as fyers_error_for_code, funds_from as fyers_funds_from,
        parse_reply as fyers_parse_reply, profile_from as fyers_profile_from,
        tokens_from_reply as fyers_tokens_from_reply,
    };
    pub use crate::brokers::noren::{
        error_for_emsg as noren_error_for_emsg, expiry_from as noren_expiry_from,
        funds_from as noren_funds_from, parse_reply as noren_parse_reply,
        profile_from as noren_profile_from,
    };
    pub use crate::brokers::upstox::{
        error_for_code as upstox_error_for_code, funds_v2_from as upstox_funds_v2_from,
        funds_v3_from as upstox_funds_v3_from, parse_reply as upstox_parse_reply,
        profile_from as upstox_profile_from, token_expiry as upstox_token_expiry,
        tokens_from as upstox_tokens_from,
    };
    pub use crate::brokers::zerodha::{
        FundsSegment as ZerodhaFundsSegment, error_for as zerodha_error_for,
        funds_from as zerodha_funds_from, parse_reply as zerodha_parse_reply,
        profile_from as zerodha_profile_from, tokens_from as zerodha_tokens_from,
    };
    pub use crate::config::{Credentials, Redirect, TotpInput};
    pub use crate::http::{Response, classify_non_json};
    pub use crate::operation::Operation;
    pub use crate::session::file::parse_file as parse_session_file;
    pub use crate::session::state::{
        STATE_VERSION, Saved as SavedState, export as export_state, import as import_state,
        parse as parse_state,
    };

    /// A `broker_new` config, parsed: the shared settings and the broker
    /// family built from its own keys.
    #[derive(Debug)]
    pub struct ConfiguredBroker {
        _config: crate::config::Config,
        broker: Box<dyn crate::brokers::Broker>,
    }

    /// Parses and validates a `broker_new` config.
    pub fn parse_config(json: &str) -> crate::Result<ConfiguredBroker> {
        crate::brokers::configure(json).map(|(config, broker)| ConfiguredBroker {
            _config: config,
            broker,
        })
    }

    impl ConfiguredBroker {
        /// Parses `broker_login`'s credentials for this broker.
        pub fn parse_credentials(&self, json: &str) -> crate::Result<Credentials> {
            crate::brokers::parse_credentials(self.broker.as_ref(), json)
        }
    }
}
