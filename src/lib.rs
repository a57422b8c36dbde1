//! brokerlink: log in to Indian brokers' REST APIs from any language that
//! can call C, and read the account's profile and funds as JSON.
//!
//! The C ABI lives in [`ffi`]; everything else is plain Rust. Data flows one
//! way: `ffi` (C strings, handles) -> [`session`] (login state, what to do)
//! -> [`brokers`] (wire requests and replies) -> [`http`] (the transport).

pub mod brokers;
pub mod config;
pub mod error;
pub mod ffi;
pub mod http;
pub mod log;
pub mod model;
pub mod netinfo;
pub mod pacing;
pub mod secret;
pub mod session;
pub mod totp;
