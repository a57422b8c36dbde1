//! Bad input through the C ABI: NULLs, bad UTF-8, bad JSON, unknown or
//! missing keys, forged, freed and double-freed handles. Each gets a clear
//! error and a non-zero status, never a crash.

use crate::support::*;
use brokerlink::Status;
use brokerlink::ffi::*;
use std::ffi::{CStr, c_char};

const INVALID_ARGUMENT: i32 = Status::InvalidArgument as i32;
const INVALID_HANDLE: i32 = Status::InvalidHandle as i32;
const NOT_LOGGED_IN: i32 = Status::NotLoggedIn as i32;

const OFFLINE_CONFIG: &str =
    r#"{"broker":"angelone","api_key":"k","client_code":"C1","base_url":"http://127.0.0.1:9"}"#;

#[test]
fn version_and_abi_version_match_the_header_macros() {
    let version = unsafe { CStr::from_ptr(broker_version()) }
        .to_str()
        .unwrap();
    assert_eq!(
        version,
        format!("{BROKERLINK_VERSION_MAJOR}.{BROKERLINK_VERSION_MINOR}.{BROKERLINK_VERSION_PATCH}")
    );
    assert_eq!(broker_abi_version(), BROKERLINK_ABI_VERSION);
    assert_eq!(BROKERLINK_ABI_VERSION >> 16, BROKERLINK_VERSION_MAJOR);
    assert_eq!(BROKERLINK_ABI_VERSION & 0xffff, BROKERLINK_VERSION_MINOR);
}

#[test]
fn status_names_cover_every_code_and_unknown_numbers() {
    let name = |s| {
        unsafe { CStr::from_ptr(broker_status_name(s)) }
            .to_str()
            .unwrap()
    };
    assert_eq!(name(0), "OK");
    assert_eq!(name(5), "SESSION_EXPIRED");
    assert_eq!(name(13), "INTERNAL");
    for unknown in [-1, 14, i32::MAX, i32::MIN] {
        assert_eq!(name(unknown), "UNKNOWN");
    }
}

#[test]
fn null_config_is_invalid_argument() {
    let mut session = std::ptr::null_mut();
    let mut out = std::ptr::null_mut();
    let status = unsafe { broker_new(std::ptr::null(), &mut session, &mut out) };
    let reply = Reply::take(status, out);
    reply.err(INVALID_ARGUMENT);
    assert!(
        reply.json["message"]
            .as_str()
            .unwrap()
            .contains("config_json is NULL")
    );
    assert!(session.is_null());
}

#[test]
fn null_out_session_is_invalid_argument() {
    let config = cstring(OFFLINE_CONFIG);
    let mut out = std::ptr::null_mut();
    let status = unsafe { broker_new(config.as_ptr(), std::ptr::null_mut(), &mut out) };
    let reply = Reply::take(status, out);
    reply.err(INVALID_ARGUMENT);
    assert!(reply.text.contains("out_session is NULL"));
}

#[test]
fn null_out_json_still_returns_the_status() {
    let config = cstring("{");
    let mut session = std::ptr::null_mut();
    let status = unsafe { broker_new(config.as_ptr(), &mut session, std::ptr::null_mut()) };
    assert_eq!(status, INVALID_ARGUMENT);
    assert!(session.is_null());
}

#[test]
fn bad_utf8_config_names_the_argument_and_offset() {
    let bytes = b"{\"broker\":\"angel\xffone\"}\0";
    let mut session = std::ptr::null_mut();
    let mut out = std::ptr::null_mut();
    let status = unsafe { broker_new(bytes.as_ptr() as *const c_char, &mut session, &mut out) };
    let reply = Reply::take(status, out);
    reply.err(INVALID_ARGUMENT);
    assert!(
        reply.text.contains("config_json is not valid UTF-8"),
        "{}",
        reply.text
    );
}

#[test]
fn bad_json_and_non_objects_are_invalid_arguments() {
    for bad in ["", "{", "[]", "null", "42", "{\"broker\":}"] {
        let (reply, _) = new_session(bad);
        reply.err(INVALID_ARGUMENT);
    }
}

#[test]
fn unknown_and_missing_keys_are_named() {
    let (reply, _) =
        new_session(r#"{"broker":"angelone","api_key":"k","client_code":"C","timeout":5}"#);
    assert_eq!(
        reply.err(INVALID_ARGUMENT)["message"],
        "unknown config key \"timeout\""
    );
    let (reply, _) = new_session(r#"{"broker":"angelone","api_key":"k"}"#);
    assert_eq!(
        reply.err(INVALID_ARGUMENT)["message"],
        "config key \"client_code\" is missing"
    );
    let (reply, _) = new_session(r#"{"api_key":"k","client_code":"C"}"#);
    assert_eq!(
        reply.err(INVALID_ARGUMENT)["message"],
        "config key \"broker\" is missing"
    );
    let (reply, _) = new_session(r#"{"broker":"no-such-broker","api_key":"k","client_code":"C"}"#);
    assert!(
        reply.err(INVALID_ARGUMENT)["message"]
            .as_str()
            .unwrap()
            .contains("\"broker\"")
    );
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let (reply, _) = new_session(
        r#"{"broker":"angelone","api_key":"k","client_code":"C","base_url":"http://apiconnect.angelone.in"}"#,
    );
    assert!(
        reply.err(INVALID_ARGUMENT)["message"]
            .as_str()
            .unwrap()
            .contains("loopback")
    );
}

#[test]
fn new_describes_the_session_without_secrets() {
    let config = r#"{"broker":"angelone","api_key":"SECRET-KEY-123","client_code":"C1","base_url":"http://127.0.0.1:9","public_ip":"203.0.113.7","mac_address":"02:00:00:00:00:01"}"#;
    let (reply, _handle) = new_session(config);
    let json = reply.ok();
    assert_eq!(json["broker"], "angelone");
    assert_eq!(json["user_id"], "C1");
    assert_eq!(json["public_ip"], "203.0.113.7");
    assert_eq!(json["mac_address"], "02:00:00:00:00:01");
    assert_eq!(
        json["local_ip"], "127.0.0.1",
        "loopback broker -> loopback source address"
    );
    assert!(!reply.text.contains("SECRET-KEY-123"));
}

#[test]
fn operations_before_login_are_not_logged_in() {
    let handle = Handle::new(OFFLINE_CONFIG);
    for reply in [
        handle.profile(),
        handle.rms(),
        handle.refresh(),
        handle.logout(),
    ] {
        reply.err(NOT_LOGGED_IN);
    }
}

#[test]
fn bad_credentials_json_is_invalid_argument_without_network() {
    let handle = Handle::new(OFFLINE_CONFIG);
    handle.login("{").err(INVALID_ARGUMENT);
    let reply = handle.login(r#"{"pin":"9876","totp":"12"}"#);
    reply.err(INVALID_ARGUMENT);
    assert!(!reply.text.contains("9876"));
    let reply = handle.login(r#"{"pin":"9876","totp":"123456","extra":1}"#);
    assert_eq!(
        reply.err(INVALID_ARGUMENT)["message"],
        "unknown credentials key \"extra\""
    );
    let reply = handle.login(r#"{"pin":"9876","totp_secret":"!!!"}"#);
    assert!(
        reply.err(INVALID_ARGUMENT)["message"]
            .as_str()
            .unwrap()
            .contains("totp_secret")
    );
    let mut out = std::ptr::null_mut();
    let status = unsafe { broker_login(handle.0, std::ptr::null(), &mut out) };
    assert!(
        Reply::take(status, out).err(INVALID_ARGUMENT)["message"]
            .as_str()
            .unwrap()
            .contains("credentials_json is NULL")
    );
}

#[test]
fn null_forged_freed_and_double_freed_handles_are_invalid_handle() {
    let handle = Handle::new(OFFLINE_CONFIG);
    let raw = handle.0;
    for forged in [
        std::ptr::null_mut(),
        0xdead_beef_usize as *mut BrokerSession,
        usize::MAX as *mut BrokerSession,
    ] {
        Handle(forged).rms().err(INVALID_HANDLE);
        // Handle's drop frees the forged value: freeing a never-issued handle is harmless.
    }
    drop(handle);
    let freed = Handle(raw);
    freed.rms().err(INVALID_HANDLE);
    freed.login(&angel_credentials()).err(INVALID_HANDLE);
    broker_free(raw); // a second free
    broker_free(std::ptr::null_mut());
    drop(freed); // and a third
}

#[test]
fn handles_are_never_reused() {
    let first = Handle::new(OFFLINE_CONFIG);
    let first_id = first.0 as usize;
    drop(first);
    let second = Handle::new(OFFLINE_CONFIG);
    assert_ne!(second.0 as usize, first_id);
    Handle(first_id as *mut BrokerSession)
        .rms()
        .err(INVALID_HANDLE);
}

#[test]
fn string_free_accepts_null() {
    unsafe { broker_string_free(std::ptr::null_mut()) };
}

#[test]
fn totp_through_the_abi() {
    let code = totp_now(DEMO_TOTP_SECRET);
    assert_eq!(code.len(), 6);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    let c = cstring("not base32!");
    let mut out = std::ptr::null_mut();
    let status = unsafe { broker_totp(c.as_ptr(), &mut out) };
    Reply::take(status, out).err(INVALID_ARGUMENT);
    let mut out = std::ptr::null_mut();
    let status = unsafe { broker_totp(std::ptr::null(), &mut out) };
    Reply::take(status, out).err(INVALID_ARGUMENT);
    let c = cstring(DEMO_TOTP_SECRET);
    let mut out = std::ptr::null_mut();
    let status = unsafe { broker_totp(c.as_ptr(), &mut out) };
    let reply = Reply::take(status, out);
    let valid = reply.ok()["valid_for_s"].as_u64().unwrap();
    assert!((1..=30).contains(&valid));
}
