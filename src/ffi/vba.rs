//! The stdcall twins of the C exports, for Excel and other VBA hosts.
//!
//! VBA's `Declare` can only call stdcall functions, and 32-bit Windows
//! distinguishes stdcall from cdecl, so 32-bit Office needs these
//! `extern "system"` twins of the `extern "C"` exports. On 64-bit Windows
//! and everywhere else "system" is the C calling convention, so the twins
//! are the same functions under another name (bindings/vba/BrokerLink.bas
//! uses the `broker_*` names there).
//!
//! Every twin but one comes from the table in [`twins!`], which writes a
//! function that forwards its arguments, unchanged and in order, to the
//! `broker_*` export of the same name (which holds the panic boundary), and
//! makes the compiler check that the export takes exactly those argument
//! types and returns that type. The twins are not part of the C API:
//! cbindgen does not expand macros, and skips non-"C" functions, so
//! include/brokerlink.h never declares them. tests/it/bindings_vba_twins.rs
//! checks that the library exports a twin of every function in the header
//! and that each answers exactly like its original.

use super::logger::set_logger;
use super::{
    BrokerSession, broker_abi_version, broker_free, broker_get_profile, broker_get_rms,
    broker_login, broker_login_url, broker_logout, broker_new, broker_refresh,
    broker_session_export, broker_session_import, broker_status_name, broker_string_free,
    broker_totp, broker_version,
};
use std::ffi::{c_char, c_void};

/// Writes one stdcall twin per row, `[unsafe] fn twin => original(arg:
/// Type, ...) -> Return;`, as safe or unsafe as its original.
macro_rules! twins {
    () => {};
    (unsafe fn $twin:ident => $original:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty; $($rest:tt)*) => {
        #[doc = concat!("[`", stringify!($original), "`] for VBA (stdcall).")]
        ///
        /// # Safety
        /// As for the original.
        #[unsafe(no_mangle)]
        pub unsafe extern "system" fn $twin($($arg: $ty),*) -> $ret {
            // The original takes exactly these arguments and returns this type.
            const _: unsafe extern "C" fn($($ty),*) -> $ret = $original;
            // SAFETY: the caller keeps the original's promises.
            unsafe { $original($($arg),*) }
        }
        twins!($($rest)*);
    };
    (fn $twin:ident => $original:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty; $($rest:tt)*) => {
        #[doc = concat!("[`", stringify!($original), "`] for VBA (stdcall).")]
        #[unsafe(no_mangle)]
        pub extern "system" fn $twin($($arg: $ty),*) -> $ret {
            // The original takes exactly these arguments and returns this type.
            const _: extern "C" fn($($ty),*) -> $ret = $original;
            $original($($arg),*)
        }
        twins!($($rest)*);
    };
}

twins! {
    fn brokervb_version => broker_version() -> *const c_char;
    fn brokervb_abi_version => broker_abi_version() -> u32;
    fn brokervb_status_name => broker_status_name(status: i32) -> *const c_char;
    unsafe fn brokervb_new => broker_new(config_json: *const c_char, out_session: *mut *mut BrokerSession, out_json: *mut *mut c_char) -> i32;
    fn brokervb_free => broker_free(session: *mut BrokerSession) -> ();
    unsafe fn brokervb_login_url => broker_login_url(session: *mut BrokerSession, out_json: *mut *mut c_char) -> i32;
    unsafe fn brokervb_login => broker_login(session: *mut BrokerSession, credentials_json: *const c_char, out_json: *mut *mut c_char) -> i32;
    unsafe fn brokervb_refresh => broker_refresh(session: *mut BrokerSession, out_json: *mut *mut c_char) -> i32;
    unsafe fn brokervb_get_profile => broker_get_profile(session: *mut BrokerSession, out_json: *mut *mut c_char) -> i32;
    unsafe fn brokervb_get_rms => broker_get_rms(session: *mut BrokerSession, out_json: *mut *mut c_char) -> i32;
    unsafe fn brokervb_logout => broker_logout(session: *mut BrokerSession, out_json: *mut *mut c_char) -> i32;
    unsafe fn brokervb_session_export => broker_session_export(session: *mut BrokerSession, out_json: *mut *mut c_char) -> i32;
    unsafe fn brokervb_session_import => broker_session_import(session: *mut BrokerSession, state_json: *const c_char, out_json: *mut *mut c_char) -> i32;
    unsafe fn brokervb_totp => broker_totp(base32_secret: *const c_char, out_json: *mut *mut c_char) -> i32;
    unsafe fn brokervb_string_free => broker_string_free(s: *mut c_char) -> ();
}

/// A log callback for VBA: as `BrokerLogCallback`, but stdcall, which is
/// what `AddressOf` gives on 32-bit Office.
/// cbindgen:ignore
pub type BrokerVbLogCallback =
    Option<unsafe extern "system" fn(level: i32, line: *const c_char, user: *mut c_void)>;

/// [`broker_set_logger`](super::broker_set_logger) for VBA. The one twin
/// that cannot forward: its callback has the stdcall convention.
/// cbindgen:ignore
#[unsafe(no_mangle)]
pub extern "system" fn brokervb_set_logger(callback: BrokerVbLogCallback, user: *mut c_void) {
    // SAFETY: the host promised a callback that takes these arguments.
    set_logger(callback, user, |cb, level, line, user| unsafe {
        cb(level, line, user)
    })
}
