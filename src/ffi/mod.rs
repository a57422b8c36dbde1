//! The C ABI, and the only module that knows about C: every export, the
//! panic boundary, C strings and session handles. The doc comments here are
//! the header's documentation (cbindgen copies them into `brokerlink.h`).

mod boundary;
mod handles;
mod logger;
pub mod vba;

use crate::error::{Error, Status};
use crate::session::Session;
use crate::totp::TotpSecret;
use boundary::{fallible, infallible, read_str};
use std::ffi::c_char;

pub use logger::{
    BROKER_LOG_DEBUG, BROKER_LOG_ERROR, BROKER_LOG_INFO, BROKER_LOG_WARN, BrokerLogCallback,
    broker_set_logger,
};

/// Major version of the library and of this header.
pub const BROKERLINK_VERSION_MAJOR: u32 = 0;
/// Minor version of the library and of this header.
pub const BROKERLINK_VERSION_MINOR: u32 = 1;
/// Patch version of the library and of this header.
pub const BROKERLINK_VERSION_PATCH: u32 = 0;
/// The ABI version this header describes: compare with broker_abi_version().
pub const BROKERLINK_ABI_VERSION: u32 = (BROKERLINK_VERSION_MAJOR << 16) | BROKERLINK_VERSION_MINOR;

/// An opaque session handle from broker_new. Never dereference it: it is an
/// id, and a freed or unknown one is reported as BROKER_ERR_INVALID_HANDLE.
pub struct BrokerSession {
    _private: [u8; 0],
}

fn session_id(session: *const BrokerSession) -> usize {
    session as usize
}

/// Looks up the session and runs one operation on it, producing JSON.
fn with_session<T: serde::Serialize>(
    session: *const BrokerSession,
    operation: impl FnOnce(&Session) -> crate::error::Result<T>,
) -> crate::error::Result<String> {
    let session = handles::get(session_id(session))?;
    operation(&session).and_then(|value| to_json(&value))
}

fn to_json(value: &impl serde::Serialize) -> crate::error::Result<String> {
    serde_json::to_string(value)
        .map_err(|e| Error::new(Status::Internal, format!("could not write the result: {e}")))
}

/// The library's version, "MAJOR.MINOR.PATCH". The string is static: never free it.
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn broker_version() -> *const c_char {
    infallible(c"0.1.0".as_ptr(), || c"0.1.0".as_ptr())
}

/// The ABI version of the loaded library, (major << 16) | minor. A binding
/// compares it with BROKERLINK_ABI_VERSION and refuses a library that differs.
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn broker_abi_version() -> u32 {
    infallible(BROKERLINK_ABI_VERSION, || BROKERLINK_ABI_VERSION)
}

/// The name of a status code, e.g. "SESSION_EXPIRED" for 5, or "UNKNOWN" for
/// a number that is not a status. The string is static: never free it.
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn broker_status_name(status: i32) -> *const c_char {
    infallible(c"UNKNOWN".as_ptr(), || match Status::from_code(status) {
        Some(s) => s.name_with_nul().as_ptr(),
        None => c"UNKNOWN".as_ptr(),
    })
}

/// Creates a logged-out session from a config JSON object (see the README
/// for every key; unknown keys are an error). No network call is made.
/// With "session_file", the session stored in that file is resumed when it
/// is for the same broker, base URL and account and has not expired; the
/// file is then saved after every login and refresh and removed by
/// broker_logout, and other processes naming it share the session. A
/// session file that is corrupt, unreadable or another account's is
/// BROKER_ERR_INVALID_ARGUMENT with a message naming it (it is left as it is).
///
/// On success writes the new handle to *out_session and, when out_json is not
/// NULL, a JSON description of the session (broker, base_url, user_id and the
/// device headers chosen; with a session file, "session_file" and
/// "resumed":true|false). On failure *out_session is set to NULL and
/// *out_json receives the error object. Free *out_json with broker_string_free
/// and the session with broker_free.
///
/// Returns BROKER_OK, BROKER_ERR_INVALID_ARGUMENT (NULL pointer, bad UTF-8,
/// bad JSON, a missing, invalid or unknown key), BROKER_ERR_TLS (TLS setup
/// failed) or BROKER_ERR_INTERNAL. Thread-safe.
///
/// # Safety
/// config_json is NULL or a NUL-terminated string; out_session and out_json
/// are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn broker_new(
    config_json: *const c_char,
    out_session: *mut *mut BrokerSession,
    out_json: *mut *mut c_char,
) -> i32 {
    fallible!(out_json, {
        if out_session.is_null() {
            return Err(Error::invalid_argument("out_session is NULL"));
        }
        // SAFETY: out_session is non-NULL and writable, as promised.
        unsafe { *out_session = std::ptr::null_mut() };
        // SAFETY: config_json is NULL or NUL-terminated, as promised.
        let config = unsafe { read_str(config_json, "config_json") }?;
        let session = Session::new(config)?;
        let description = to_json(&session.describe())?;
        let id = handles::insert(session);
        // SAFETY: as above.
        unsafe { *out_session = id as *mut BrokerSession };
        Ok(description)
    })
}

/// Frees a session: logs nothing out at the broker (call broker_logout
/// first for that). NULL, an already freed or an unknown handle are ignored.
/// Calls already running on the session on other threads finish normally;
/// calls made after this return BROKER_ERR_INVALID_HANDLE. Safe from any
/// thread, including a garbage collector's finalizer thread.
#[unsafe(no_mangle)]
pub extern "C" fn broker_free(session: *mut BrokerSession) {
    infallible((), || {
        handles::remove(session_id(session));
    })
}

/// The browser address where the user logs in, for brokers whose login
/// happens in a browser (OAuth-style): {"url":"https://..."}. Open it, log
/// in, and pass the code from the page it redirects to to broker_login.
/// For Angel One this is the SmartAPI publisher login page, which carries
/// the app's API key as the broker requires. No network call is made,
/// except for Dhan's consent login: Dhan must first be asked for a consent
/// id (generate-consent, which spends one of the 25 consents Dhan allows a
/// day), so this call then blocks for at most the configured timeout, is
/// logged as a login request, and may fail like any other call: a refusal
/// of the daily cap is BROKER_ERR_RATE_LIMITED with "reason":
/// "daily_limit_reached". Returns BROKER_OK, BROKER_ERR_INVALID_ARGUMENT,
/// BROKER_ERR_INVALID_HANDLE, BROKER_ERR_UNSUPPORTED, BROKER_ERR_INTERNAL,
/// and for Dhan also a transport or broker error as for broker_login.
/// Thread-safe.
///
/// # Safety
/// out_json is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn broker_login_url(
    session: *mut BrokerSession,
    out_json: *mut *mut c_char,
) -> i32 {
    fallible!(out_json, { with_session(session, Session::login_url) })
}

/// Logs in. credentials_json depends on the broker; for Angel One:
/// {"pin":"1234","totp":"123456"} or {"pin":"1234","totp_secret":"BASE32"}
/// (the library computes the code). A previous login is replaced only when
/// this one succeeds. With a session file, the new session is saved there
/// first; a file that is corrupt or holds another account's session is not
/// replaced, and the login is BROKER_ERR_INVALID_ARGUMENT (a file whose lock
/// another process holds past the timeout: BROKER_ERR_TIMEOUT).
///
/// On success *out_json receives {"broker","user_id","logged_in_at",
/// "access_expires_at"?}; tokens are never returned. Returns BROKER_OK,
/// BROKER_ERR_INVALID_ARGUMENT, BROKER_ERR_INVALID_HANDLE, BROKER_ERR_AUTH,
/// BROKER_ERR_RATE_LIMITED, BROKER_ERR_BROKER, BROKER_ERR_NETWORK,
/// BROKER_ERR_TIMEOUT, BROKER_ERR_TLS, BROKER_ERR_PROTOCOL or
/// BROKER_ERR_INTERNAL. Blocks for at most the configured timeout.
/// Thread-safe.
///
/// # Safety
/// credentials_json is NULL or a NUL-terminated string; out_json is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn broker_login(
    session: *mut BrokerSession,
    credentials_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    fallible!(out_json, {
        // SAFETY: credentials_json is NULL or NUL-terminated, as promised.
        let credentials = unsafe { read_str(credentials_json, "credentials_json") }?;
        with_session(session, |s| s.login(credentials))
    })
}

/// Trades the refresh token for new tokens. On failure the old tokens are
/// kept. On success *out_json receives {"broker","user_id","refreshed_at",
/// "access_expires_at"?}. Returns BROKER_OK, BROKER_ERR_INVALID_HANDLE,
/// BROKER_ERR_NOT_LOGGED_IN, BROKER_ERR_SESSION_EXPIRED (log in again),
/// BROKER_ERR_UNSUPPORTED, or a transport or broker error as for
/// broker_login. Thread-safe.
///
/// # Safety
/// out_json is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn broker_refresh(
    session: *mut BrokerSession,
    out_json: *mut *mut c_char,
) -> i32 {
    fallible!(out_json, { with_session(session, Session::refresh) })
}

/// Reads the account holder's profile: {"broker","user_id","name","email",
/// "mobile","exchanges":[...],"products":[...],"raw":{...}}. Returns
/// BROKER_OK, BROKER_ERR_INVALID_HANDLE, BROKER_ERR_NOT_LOGGED_IN,
/// BROKER_ERR_SESSION_EXPIRED, or a transport or broker error as for
/// broker_login. Thread-safe.
///
/// # Safety
/// out_json is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn broker_get_profile(
    session: *mut BrokerSession,
    out_json: *mut *mut c_char,
) -> i32 {
    fallible!(out_json, { with_session(session, Session::profile) })
}

/// Reads funds and margins (the broker's RMS limits): {"broker",
/// "available_cash","net","used_margin","collateral","payin","payout",
/// "m2m_realized","m2m_unrealized","raw":{...}}, amounts as exact JSON
/// numbers in rupees. Returns as broker_get_profile. Thread-safe.
///
/// # Safety
/// out_json is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn broker_get_rms(
    session: *mut BrokerSession,
    out_json: *mut *mut c_char,
) -> i32 {
    fallible!(out_json, { with_session(session, Session::funds) })
}

/// Ends the session at the broker and forgets its tokens; the handle stays
/// valid for a new broker_login. A session the broker had already ended
/// counts as logged out. On any other failure the tokens are kept so the
/// call can be retried. On success *out_json receives {"broker","user_id",
/// "logged_out":true,"revoked_at_broker":true}. A broker with no logout
/// endpoint (Dhan) is not called: the tokens are forgotten here, stay valid
/// at the broker until they expire, and "revoked_at_broker" is false.
/// With a session file, the file is removed when it holds this user's session.
/// Returns as broker_get_profile. Thread-safe.
///
/// # Safety
/// out_json is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn broker_logout(
    session: *mut BrokerSession,
    out_json: *mut *mut c_char,
) -> i32 {
    fallible!(out_json, { with_session(session, Session::logout) })
}

/// Writes the logged-in session's state (broker, user, tokens, expiry) as
/// versioned JSON to *out_json, so another session, even in another process,
/// can resume it with broker_session_import instead of logging in again.
/// THE STATE IS A SECRET: whoever holds it can act as the user until it
/// expires. Store it encrypted or in the OS credential store, never in a
/// shared workbook. This is the only function that returns tokens.
/// Returns BROKER_OK, BROKER_ERR_INVALID_HANDLE, BROKER_ERR_NOT_LOGGED_IN or
/// BROKER_ERR_INTERNAL. Thread-safe.
///
/// # Safety
/// out_json is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn broker_session_export(
    session: *mut BrokerSession,
    out_json: *mut *mut c_char,
) -> i32 {
    fallible!(out_json, {
        let session = handles::get(session_id(session))?;
        session.export()
    })
}

/// Resumes a session from broker_session_export's JSON, replacing any
/// current login. The state must come from the same broker and base_url and
/// a version this library reads. On success *out_json receives
/// {"broker","user_id","access_expires_at"?}. On failure the session is
/// unchanged. Returns BROKER_OK, BROKER_ERR_INVALID_ARGUMENT (NULL, bad
/// UTF-8 or JSON, another broker, base_url or version),
/// BROKER_ERR_SESSION_EXPIRED (the saved token has expired: log in again),
/// BROKER_ERR_INVALID_HANDLE or BROKER_ERR_INTERNAL. No network call is
/// made. Thread-safe.
///
/// # Safety
/// state_json is NULL or a NUL-terminated string; out_json is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn broker_session_import(
    session: *mut BrokerSession,
    state_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    fallible!(out_json, {
        // SAFETY: state_json is NULL or NUL-terminated, as promised.
        let state = unsafe { read_str(state_json, "state_json") }?;
        with_session(session, |s| s.import(state))
    })
}

/// Computes the current RFC 6238 code (6 digits, 30 s, SHA-1) for a base32
/// TOTP secret: {"code":"123456","valid_for_s":17}. No session or network is
/// needed. Returns BROKER_OK or BROKER_ERR_INVALID_ARGUMENT. Thread-safe.
///
/// # Safety
/// base32_secret is NULL or a NUL-terminated string; out_json is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn broker_totp(
    base32_secret: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    fallible!(out_json, {
        // SAFETY: base32_secret is NULL or NUL-terminated, as promised.
        let text = unsafe { read_str(base32_secret, "base32_secret") }?;
        let code = TotpSecret::from_base32(text)?.current_code();
        to_json(&serde_json::json!({ "code": code.code.as_str(), "valid_for_s": code.valid_for_s }))
    })
}

/// Frees a string that a brokerlink function wrote to an out_json. Its bytes
/// are wiped first. NULL is ignored. Thread-safe.
///
/// # Safety
/// s is NULL or a string from brokerlink that was not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn broker_string_free(s: *mut c_char) {
    // SAFETY: as the caller promises.
    infallible((), || unsafe { boundary::free_c_string(s) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_constants_match_cargo() {
        assert_eq!(
            BROKERLINK_VERSION_MAJOR.to_string(),
            env!("CARGO_PKG_VERSION_MAJOR")
        );
        assert_eq!(
            BROKERLINK_VERSION_MINOR.to_string(),
            env!("CARGO_PKG_VERSION_MINOR")
        );
        assert_eq!(
            BROKERLINK_VERSION_PATCH.to_string(),
            env!("CARGO_PKG_VERSION_PATCH")
        );
        let version = unsafe { std::ffi::CStr::from_ptr(broker_version()) };
        assert_eq!(version.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
        assert_eq!(
            broker_abi_version(),
            (BROKERLINK_VERSION_MAJOR << 16) | BROKERLINK_VERSION_MINOR
        );
    }
}
