//! The stdcall twins of the C exports, for Excel and other VBA hosts.
//!
//! VBA's `Declare` can only call stdcall functions, and 32-bit Windows
//! distinguishes stdcall from cdecl, so 32-bit Office needs these
//! `extern "system"` twins of the `extern "C"` exports. On 64-bit Windows
//! and everywhere else "system" is the C calling convention, so the twins
//! are the same functions under another name (bindings/vba/BrokerLink.bas
//! uses the `broker_*` names there).
//!
//! Each twin only forwards its arguments to the `broker_*` function of the
//! same name, which holds the panic boundary; nothing else belongs here.
//! The twins are not part of the C API: every one is marked
//! `cbindgen:ignore`, and cbindgen also skips non-"C" functions, so
//! include/brokerlink.h never declares them. tests/header.rs checks that
//! every `broker_*` export has a twin that forwards to it, and
//! tests/bindings_vba.rs that each twin answers exactly like its original.

use super::boundary::infallible;
use super::{
    BrokerSession, broker_abi_version, broker_free, broker_get_profile, broker_get_rms,
    broker_login, broker_login_url, broker_logout, broker_new, broker_refresh,
    broker_session_export, broker_session_import, broker_status_name, broker_string_free,
    broker_totp, broker_version,
};
use super::{LineSink, install_logger};
use std::ffi::{c_char, c_void};
use std::sync::Arc;

/// [`broker_version`] for VBA.
/// cbindgen:ignore
#[unsafe(no_mangle)]
pub extern "system" fn brokervb_version() -> *const c_char {
    broker_version()
}

/// [`broker_abi_version`] for VBA.
/// cbindgen:ignore
#[unsafe(no_mangle)]
pub extern "system" fn brokervb_abi_version() -> u32 {
    broker_abi_version()
}

/// [`broker_status_name`] for VBA.
/// cbindgen:ignore
#[unsafe(no_mangle)]
pub extern "system" fn brokervb_status_name(status: i32) -> *const c_char {
    broker_status_name(status)
}

/// [`broker_new`] for VBA.
/// cbindgen:ignore
///
/// # Safety
/// As for [`broker_new`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn brokervb_new(
    config_json: *const c_char,
    out_session: *mut *mut BrokerSession,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller keeps broker_new's promises.
    unsafe { broker_new(config_json, out_session, out_json) }
}

/// [`broker_free`] for VBA.
/// cbindgen:ignore
#[unsafe(no_mangle)]
pub extern "system" fn brokervb_free(session: *mut BrokerSession) {
    broker_free(session)
}

/// [`broker_login_url`] for VBA.
/// cbindgen:ignore
///
/// # Safety
/// As for [`broker_login_url`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn brokervb_login_url(
    session: *mut BrokerSession,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller keeps broker_login_url's promises.
    unsafe { broker_login_url(session, out_json) }
}

/// [`broker_login`] for VBA.
/// cbindgen:ignore
///
/// # Safety
/// As for [`broker_login`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn brokervb_login(
    session: *mut BrokerSession,
    credentials_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller keeps broker_login's promises.
    unsafe { broker_login(session, credentials_json, out_json) }
}

/// [`broker_refresh`] for VBA.
/// cbindgen:ignore
///
/// # Safety
/// As for [`broker_refresh`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn brokervb_refresh(
    session: *mut BrokerSession,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller keeps broker_refresh's promises.
    unsafe { broker_refresh(session, out_json) }
}

/// [`broker_get_profile`] for VBA.
/// cbindgen:ignore
///
/// # Safety
/// As for [`broker_get_profile`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn brokervb_get_profile(
    session: *mut BrokerSession,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller keeps broker_get_profile's promises.
    unsafe { broker_get_profile(session, out_json) }
}

/// [`broker_get_rms`] for VBA.
/// cbindgen:ignore
///
/// # Safety
/// As for [`broker_get_rms`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn brokervb_get_rms(
    session: *mut BrokerSession,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller keeps broker_get_rms's promises.
    unsafe { broker_get_rms(session, out_json) }
}

/// [`broker_logout`] for VBA.
/// cbindgen:ignore
///
/// # Safety
/// As for [`broker_logout`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn brokervb_logout(
    session: *mut BrokerSession,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller keeps broker_logout's promises.
    unsafe { broker_logout(session, out_json) }
}

/// [`broker_session_export`] for VBA.
/// cbindgen:ignore
///
/// # Safety
/// As for [`broker_session_export`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn brokervb_session_export(
    session: *mut BrokerSession,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller keeps broker_session_export's promises.
    unsafe { broker_session_export(session, out_json) }
}

/// [`broker_session_import`] for VBA.
/// cbindgen:ignore
///
/// # Safety
/// As for [`broker_session_import`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn brokervb_session_import(
    session: *mut BrokerSession,
    state_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller keeps broker_session_import's promises.
    unsafe { broker_session_import(session, state_json, out_json) }
}

/// [`broker_totp`] for VBA.
/// cbindgen:ignore
///
/// # Safety
/// As for [`broker_totp`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn brokervb_totp(
    base32_secret: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller keeps broker_totp's promises.
    unsafe { broker_totp(base32_secret, out_json) }
}

/// [`broker_string_free`] for VBA.
/// cbindgen:ignore
///
/// # Safety
/// As for [`broker_string_free`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn brokervb_string_free(s: *mut c_char) {
    // SAFETY: the caller keeps broker_string_free's promises.
    unsafe { broker_string_free(s) }
}

/// A log callback for VBA: as `BrokerLogCallback`, but stdcall, which is
/// what `AddressOf` gives on 32-bit Office.
/// cbindgen:ignore
pub type BrokerVbLogCallback =
    Option<unsafe extern "system" fn(level: i32, line: *const c_char, user: *mut c_void)>;

/// [`broker_set_logger`](super::broker_set_logger) for VBA. The one twin that cannot simply forward:
/// its callback has the stdcall convention, so it installs the logger itself,
/// behind its own panic boundary.
/// cbindgen:ignore
#[unsafe(no_mangle)]
pub extern "system" fn brokervb_set_logger(callback: BrokerVbLogCallback, user: *mut c_void) {
    let user = user as usize;
    infallible((), || {
        install_logger(callback.map(|cb| -> LineSink {
            // SAFETY: the host promised a callback that takes these arguments.
            Arc::new(move |level, line| unsafe { cb(level, line, user as *mut c_void) })
        }))
    })
}
