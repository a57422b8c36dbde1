//! Export and import of a session's state through the C ABI: a session
//! resumed elsewhere keeps working, and a bad state never changes a session.

use crate::support::*;
use brokerlink::Status;
use serde_json::Value;

#[test]
fn exported_state_resumes_in_a_new_session() {
    let sim = sim();
    let original = angel_session(&sim);
    let state = original.export();
    let json = state.ok().clone();
    assert_eq!(json["brokerlink_session"], 1);
    assert_eq!(json["broker"], "angelone");
    assert_eq!(json["user_id"], "D12345");
    assert!(json["access_token"].as_str().unwrap().starts_with("ey"));
    assert!(json["refresh_token"].is_string());
    assert!(json["access_expires_at"].is_i64());
    drop(original); // the first session is gone: only the state is left

    let resumed = Handle::new(&angel_config(&sim, ""));
    let imported = resumed.import(&state.text);
    assert_eq!(imported.ok()["user_id"], "D12345");
    resumed.rms().ok();
    resumed.refresh().ok();
    resumed.profile().ok();
    assert_eq!(
        sim.requests_to("/rest/auth/angelbroking/user/v1/loginByPassword")
            .len(),
        1
    );
}

#[test]
fn export_needs_a_login() {
    let sim = sim();
    let handle = Handle::new(&angel_config(&sim, ""));
    handle.export().err(s(Status::NotLoggedIn));
}

/// A state that imports nowhere, and the error it must give.
fn assert_rejected(state: &str, status: i32, needle: &str) {
    let sim = sim();
    let handle = angel_session(&sim);
    let reply = handle.import(state);
    let message = reply.err(status)["message"].as_str().unwrap().to_owned();
    assert!(message.contains(needle), "{message}");
    // The session is unchanged: still logged in with its own tokens.
    handle.rms().ok();
}

/// A valid exported state of another session on `sim`, patched.
fn state_for(sim: &brokersim::Sim, patch: impl FnOnce(&mut Value)) -> String {
    let mut state = angel_session(sim).export().ok().clone();
    patch(&mut state);
    state.to_string()
}

#[test]
fn malformed_state_is_invalid_argument_and_changes_nothing() {
    assert_rejected("{", s(Status::InvalidArgument), "not valid JSON");
    assert_rejected("[]", s(Status::InvalidArgument), "JSON object");
    assert_rejected(
        r#"{"broker":"angelone"}"#,
        s(Status::InvalidArgument),
        "not a brokerlink session state",
    );
}

#[test]
fn wrong_version_broker_or_base_url_is_invalid_argument() {
    let sim = sim();
    let handle = angel_session(&sim);
    type Patch = fn(&mut Value);
    let cases: [(Patch, &str); 5] = [
        (|v| v["brokerlink_session"] = 99.into(), "version 99"),
        (|v| v["broker"] = "noren".into(), "\"noren\""),
        (|v| v["base_url"] = "http://127.0.0.1:1".into(), "base_url"),
        (|v| v["unexpected"] = 1.into(), "unknown session state key"),
        (|v| v["access_token"] = 5.into(), "access_token"),
    ];
    for (patch, needle) in cases {
        let reply = handle.import(&state_for(&sim, patch));
        let message = reply.err(s(Status::InvalidArgument))["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(needle), "{needle}: {message}");
        handle.rms().ok();
    }
}

#[test]
fn expired_state_is_session_expired_and_changes_nothing() {
    let sim = sim();
    let handle = angel_session(&sim);
    let state = state_for(&sim, |v| v["access_expires_at"] = 1_000_000.into());
    let reply = handle.import(&state);
    assert!(
        reply.err(s(Status::SessionExpired))["message"]
            .as_str()
            .unwrap()
            .contains("log in again")
    );
    handle.rms().ok();
}

#[test]
fn null_state_is_invalid_argument() {
    let sim = sim();
    let handle = angel_session(&sim);
    let mut out = std::ptr::null_mut();
    let status =
        unsafe { brokerlink::ffi::broker_session_import(handle.0, std::ptr::null(), &mut out) };
    Reply::take(status, out).err(s(Status::InvalidArgument));
    handle.rms().ok();
}

#[test]
fn angel_login_url_is_the_publisher_page_with_the_api_key() {
    let sim = sim();
    let handle = Handle::new(&angel_config(&sim, ""));
    let reply = handle.login_url();
    assert_eq!(
        reply.ok()["url"],
        "https://smartapi.angelone.in/publisher-login?api_key=demo-api-key"
    );
}
