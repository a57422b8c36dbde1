//! A session through the C ABI, as a host program drives it.

use brokerlink::ffi::*;
use std::ffi::{CStr, CString, c_char};

/// The Angel One demo account's config for brokersim at `base_url`, trusting
/// `ca_file` (an HTTPS brokersim's CA) when given.
pub fn angel_config(base_url: &str, ca_file: Option<&str>) -> String {
    let mut config = serde_json::json!({
        "broker": "angelone",
        "api_key": "demo-api-key",
        "client_code": "D12345",
        "base_url": base_url,
        "rate_limits": "off",
        "timeout_ms": 30000,
    });
    if let Some(path) = ca_file {
        config["ca_file"] = path.into();
    }
    config.to_string()
}

pub struct Session(*mut BrokerSession);

impl Session {
    /// `broker_new`: no network call.
    pub fn new(config: &str) -> Session {
        let config = CString::new(config).unwrap();
        let mut session = std::ptr::null_mut();
        let mut out = std::ptr::null_mut();
        let status = unsafe { broker_new(config.as_ptr(), &mut session, &mut out) };
        assert_eq!(status, 0, "broker_new: {}", take(out));
        unsafe { broker_string_free(out) };
        Session(session)
    }

    /// A logged-in session of the Angel One demo account.
    pub fn angel(base_url: &str) -> Session {
        let session = Session::new(&angel_config(base_url, None));
        session.login_angel();
        session
    }

    /// `broker_login` with the Angel One demo account's MPIN and TOTP secret.
    pub fn login_angel(&self) {
        let credentials =
            CString::new(r#"{"pin":"1234","totp_secret":"JBSWY3DPEHPK3PXP"}"#).unwrap();
        let mut out = std::ptr::null_mut();
        let status = unsafe { broker_login(self.0, credentials.as_ptr(), &mut out) };
        assert_eq!(status, 0, "login: {}", take(out));
        unsafe { broker_string_free(out) };
    }

    /// One funds read; the JSON is freed as a host would.
    pub fn rms(&self) {
        let mut out: *mut c_char = std::ptr::null_mut();
        let status = unsafe { broker_get_rms(self.0, &mut out) };
        assert_eq!(status, 0, "rms: {}", take(out));
        unsafe { broker_string_free(out) };
    }

    /// `broker_session_export`: the logged-in state, tokens included.
    pub fn export(&self) -> String {
        let mut out = std::ptr::null_mut();
        let status = unsafe { broker_session_export(self.0, &mut out) };
        let state = take(out);
        assert_eq!(status, 0, "export: {state}");
        state
    }

    /// `broker_session_import`: logged in from an exported state, no network call.
    pub fn import(&self, state: &str) {
        let state = CString::new(state).unwrap();
        let mut out = std::ptr::null_mut();
        let status = unsafe { broker_session_import(self.0, state.as_ptr(), &mut out) };
        assert_eq!(status, 0, "import: {}", take(out));
        unsafe { broker_string_free(out) };
    }

    pub fn access_token(&self) -> String {
        let state: serde_json::Value = serde_json::from_str(&self.export()).unwrap();
        state["access_token"].as_str().unwrap().to_string()
    }
}

// The handle is an id; sharing it between threads is what hosts do.
unsafe impl Send for Session {}
unsafe impl Sync for Session {}

impl Drop for Session {
    fn drop(&mut self) {
        broker_free(self.0);
    }
}

/// The text of a string the library returned, freeing it.
pub fn take(out: *mut c_char) -> String {
    if out.is_null() {
        return String::new();
    }
    let text = unsafe { CStr::from_ptr(out) }
        .to_string_lossy()
        .into_owned();
    unsafe { broker_string_free(out) };
    text
}
