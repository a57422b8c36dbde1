//! brokerlink: log in to Indian brokers' REST APIs from any language that
//! can call C, and read the account's profile and funds as JSON.
//!
//! The C ABI lives in [`ffi`]; everything else is plain Rust. Data flows one
//! way: `ffi` (C strings, handles) -> [`session`] (login state, what to do)
//! -> [`brokers`] (wire requests and replies) -> [`http`] (the transport).

#![warn(missing_docs)]

pub mod brokers;
pub mod config;
pub mod error;
pub mod ffi;
pub mod http;
pub mod log;
pub mod model;
pub mod money;
pub mod netinfo;
pub mod pacing;
pub mod secret;
pub mod session;
pub mod totp;

/// The parsers the fuzz targets (`fuzz/`) and property tests
/// (`tests/properties.rs`) drive, gathered in one place. Not a stable API.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::brokers::angelone::{
        self, funds_from as angelone_funds_from, jwt_expiry, parse_reply as angelone_parse_reply,
        profile_from as angelone_profile_from, tokens_from_reply as angelone_tokens_from_reply,
    };
    pub use crate::brokers::noren::{
        self, error_for_emsg as noren_error_for_emsg, expiry_from as noren_expiry_from,
        funds_from as noren_funds_from, parse_reply as noren_parse_reply,
        profile_from as noren_profile_from,
    };
    pub use crate::config::{parse_config, parse_credentials};
    pub use crate::http::{Response, classify_non_json};
    pub use crate::model::Money;
    pub use crate::session::state::{
        STATE_VERSION, export as export_state, import as import_state,
    };
    pub use crate::totp::TotpSecret;
}
