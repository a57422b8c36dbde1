//! The panic boundary and the C string conventions every export shares.

use crate::error::{Error, Result, Status};
use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The panic boundary of a fallible export: runs `body`, turning a panic
/// into [`Status::Internal`], then writes the result or error JSON to
/// `out_json` and evaluates to the status. Every fallible export is one call
/// of this macro, so none can forget the boundary.
macro_rules! fallible {
    ($out_json:expr, $body:block) => {{
        let outcome = $crate::ffi::boundary::catch(|| $body);
        // SAFETY: every export documents out_json as NULL or writable.
        unsafe { $crate::ffi::boundary::respond($out_json, outcome) }
    }};
}
pub(crate) use fallible;

/// Runs `body`, turning a panic into an [`Status::Internal`] error.
pub(super) fn catch(body: impl FnOnce() -> Result<String>) -> Result<String> {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| Err(panic_error()))
}

/// Writes the outcome to `out_json` (when not NULL) and returns its status.
///
/// # Safety
/// `out_json` is NULL or points to writable storage for one pointer.
pub(super) unsafe fn respond(out_json: *mut *mut c_char, outcome: Result<String>) -> i32 {
    let (status, json) = match outcome {
        Ok(json) => (Status::Ok, json),
        Err(error) => (error.status, error.to_json()),
    };
    if !out_json.is_null() {
        // SAFETY: the caller promises `out_json` is writable when not NULL.
        unsafe { *out_json = into_c_string(json) };
    }
    status as i32
}

/// Runs the body of an infallible export, returning `fallback` on a panic.
pub(super) fn infallible<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

fn panic_error() -> Error {
    // The panic's own message is not shown: it could hold anything.
    Error::new(
        Status::Internal,
        "brokerlink hit an internal error (a bug); the session is unchanged; please report it",
    )
}

/// Hands a string to C. JSON never holds a NUL byte (serde escapes it), but
/// a stray one is replaced rather than trusted.
pub(super) fn into_c_string(text: String) -> *mut c_char {
    let c = CString::new(text).unwrap_or_else(|e| {
        let mut bytes = e.into_vec();
        bytes.retain(|b| *b != 0);
        CString::new(bytes).unwrap_or_default()
    });
    c.into_raw()
}

/// Reads a NUL-terminated UTF-8 argument, naming it in the error.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that stays valid and
/// unchanged for the lifetime `'a`.
pub(super) unsafe fn read_str<'a>(ptr: *const c_char, name: &str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(Error::invalid_argument(format!("{name} is NULL")));
    }
    // SAFETY: non-NULL and NUL-terminated by the caller's promise.
    let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
    std::str::from_utf8(bytes).map_err(|e| {
        Error::invalid_argument(format!(
            "{name} is not valid UTF-8 (bad byte at offset {})",
            e.valid_up_to()
        ))
    })
}

/// Frees a string made by [`into_c_string`], wiping it first: it may be an
/// exported session state.
///
/// # Safety
/// `ptr` is NULL or came from [`into_c_string`] and was not freed before.
pub(super) unsafe fn free_c_string(ptr: *mut c_char) {
    if ptr.is_null() {
        return;
    }
    // SAFETY: the caller promises `ptr` came from CString::into_raw.
    let owned = unsafe { CString::from_raw(ptr) };
    let mut bytes = owned.into_bytes_with_nul();
    zeroize::Zeroize::zeroize(&mut bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_internal_with_json() {
        let mut out: *mut c_char = std::ptr::null_mut();
        let status = unsafe { respond(&mut out, catch(|| panic!("secret 1234 in a panic"))) };
        assert_eq!(status, Status::Internal as i32);
        let text = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_owned();
        unsafe { free_c_string(out) };
        assert!(text.contains("\"code\":\"INTERNAL\""));
        assert!(!text.contains("1234"));
    }

    #[test]
    fn null_out_json_is_allowed() {
        let status = unsafe { respond(std::ptr::null_mut(), catch(|| Ok("{}".into()))) };
        assert_eq!(status, 0);
    }

    #[test]
    fn interior_nul_is_dropped_not_trusted() {
        let p = into_c_string("a\0b".into());
        assert_eq!(unsafe { CStr::from_ptr(p) }.to_str().unwrap(), "ab");
        unsafe { free_c_string(p) };
    }

    #[test]
    fn read_str_rejects_null_and_bad_utf8() {
        let bad = c"ok\xff";
        let e = unsafe { read_str(bad.as_ptr(), "config_json") }.unwrap_err();
        assert!(e.message.contains("config_json is not valid UTF-8"));
        let e = unsafe { read_str(std::ptr::null(), "config_json") }.unwrap_err();
        assert_eq!(e.message, "config_json is NULL");
    }
}
