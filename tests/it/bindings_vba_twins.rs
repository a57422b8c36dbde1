//! The VBA twins (`brokervb_*`, src/ffi/vba.rs) answer exactly like the C
//! functions they stand in for: one scenario of valid and invalid calls runs
//! through the C exports and then through the twins against brokersim, and
//! the two give the same statuses, the same JSON (but for timestamps and
//! tokens) and the same requests on the wire. Excel cannot run here, so this
//! is what vouches for 32-bit Office.

use crate::bindings_support::*;
use brokerlink::ffi::vba::*;
use brokerlink::ffi::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::ffi::{CStr, c_char};

/// An operation on a session: `broker_get_rms` and its kind.
type SessionCall = fn(*mut BrokerSession, *mut *mut c_char) -> i32;
/// An operation on a session that takes a JSON argument: `broker_login`, `broker_session_import`.
type SessionTextCall = fn(*mut BrokerSession, *const c_char, *mut *mut c_char) -> i32;

/// The exports, reached either directly (the C functions) or through their
/// VBA twins. Each closure is only a call; the scenario keeps the contracts.
struct Api {
    version: fn() -> *const c_char,
    abi_version: fn() -> u32,
    status_name: fn(i32) -> *const c_char,
    new: fn(*const c_char, *mut *mut BrokerSession, *mut *mut c_char) -> i32,
    free: fn(*mut BrokerSession),
    login_url: SessionCall,
    login: SessionTextCall,
    refresh: SessionCall,
    get_profile: SessionCall,
    get_rms: SessionCall,
    logout: SessionCall,
    session_export: SessionCall,
    session_import: SessionTextCall,
    totp: fn(*const c_char, *mut *mut c_char) -> i32,
    string_free: fn(*mut c_char),
}

fn c_api() -> Api {
    Api {
        version: || broker_version(),
        abi_version: || broker_abi_version(),
        status_name: |s| broker_status_name(s),
        new: |c, s, o| unsafe { broker_new(c, s, o) },
        free: |s| broker_free(s),
        login_url: |s, o| unsafe { broker_login_url(s, o) },
        login: |s, c, o| unsafe { broker_login(s, c, o) },
        refresh: |s, o| unsafe { broker_refresh(s, o) },
        get_profile: |s, o| unsafe { broker_get_profile(s, o) },
        get_rms: |s, o| unsafe { broker_get_rms(s, o) },
        logout: |s, o| unsafe { broker_logout(s, o) },
        session_export: |s, o| unsafe { broker_session_export(s, o) },
        session_import: |s, c, o| unsafe { broker_session_import(s, c, o) },
        totp: |c, o| unsafe { broker_totp(c, o) },
        string_free: |p| unsafe { broker_string_free(p) },
    }
}

fn vba_api() -> Api {
    Api {
        version: || brokervb_version(),
        abi_version: || brokervb_abi_version(),
        status_name: |s| brokervb_status_name(s),
        new: |c, s, o| unsafe { brokervb_new(c, s, o) },
        free: |s| brokervb_free(s),
        login_url: |s, o| unsafe { brokervb_login_url(s, o) },
        login: |s, c, o| unsafe { brokervb_login(s, c, o) },
        refresh: |s, o| unsafe { brokervb_refresh(s, o) },
        get_profile: |s, o| unsafe { brokervb_get_profile(s, o) },
        get_rms: |s, o| unsafe { brokervb_get_rms(s, o) },
        logout: |s, o| unsafe { brokervb_logout(s, o) },
        session_export: |s, o| unsafe { brokervb_session_export(s, o) },
        session_import: |s, c, o| unsafe { brokervb_session_import(s, c, o) },
        totp: |c, o| unsafe { brokervb_totp(c, o) },
        string_free: |p| unsafe { brokervb_string_free(p) },
    }
}

/// Fields whose values differ between two runs of the same scenario.
const VARYING: &[&str] = &[
    "logged_in_at",
    "refreshed_at",
    "access_expires_at",
    "exported_at",
    "access_token",
    "refresh_token",
    "feed_token",
    "valid_for_s",
];

/// The JSON with every varying value replaced by its type.
fn normalize(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                if VARYING.contains(&key.as_str()) {
                    let kind = if field.is_string() {
                        "<string>"
                    } else {
                        "<number>"
                    };
                    *field = Value::String(kind.into());
                } else {
                    normalize(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize),
        _ => {}
    }
}

/// Runs one scenario through an [`Api`], recording each call's function,
/// status and normalized JSON.
struct Recorder {
    api: Api,
    steps: Vec<String>,
    called: BTreeSet<&'static str>,
}

impl Recorder {
    fn new(api: Api) -> Recorder {
        Recorder {
            api,
            steps: Vec::new(),
            called: BTreeSet::new(),
        }
    }

    /// Reads a returned string and frees it through the API under test.
    fn take(&mut self, out: *mut c_char) -> Value {
        if out.is_null() {
            return Value::Null;
        }
        let text = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_owned();
        (self.api.string_free)(out);
        self.called.insert("broker_string_free");
        let mut json: Value = serde_json::from_str(&text).unwrap();
        if let Some(code) = json.get_mut("code").filter(|c| {
            c.as_str()
                .is_some_and(|c| c.bytes().all(|b| b.is_ascii_digit()))
        }) {
            // A TOTP code: only its shape is stable.
            *code = Value::String(format!("<{} digits>", code.as_str().unwrap().len()));
        }
        normalize(&mut json);
        json
    }

    fn record(&mut self, function: &'static str, input: &str, status: i32, json: Value) {
        self.called.insert(function);
        self.steps
            .push(format!("{function}({input}) -> {status} {json}"));
    }

    fn free(&mut self, session: *mut BrokerSession) {
        (self.api.free)(session);
        self.called.insert("broker_free");
    }

    /// Records a result that is not a status and JSON.
    fn plain(&mut self, function: &'static str, input: &str, result: impl std::fmt::Debug) {
        self.called.insert(function);
        self.steps
            .push(format!("{function}({input}) -> {result:?}"));
    }

    /// Records a static string result (never freed).
    fn static_string(&mut self, function: &'static str, input: &str, text: *const c_char) {
        let text = unsafe { CStr::from_ptr(text) }.to_str().unwrap().to_owned();
        self.plain(function, input, text);
    }

    fn new_session(&mut self, input: &str, config: *const c_char) -> *mut BrokerSession {
        let mut session = std::ptr::null_mut();
        let mut out = std::ptr::null_mut();
        let status = (self.api.new)(config, &mut session, &mut out);
        let json = self.take(out);
        self.record("broker_new", input, status, json);
        assert_eq!(status == 0, !session.is_null());
        session
    }

    fn on_session(
        &mut self,
        function: &'static str,
        input: &str,
        call: fn(&Api) -> SessionCall,
        session: *mut BrokerSession,
    ) -> Value {
        let mut out = std::ptr::null_mut();
        let status = call(&self.api)(session, &mut out);
        let json = self.take(out);
        self.record(function, input, status, json.clone());
        json
    }

    fn with_text(
        &mut self,
        function: &'static str,
        input: &str,
        call: fn(&Api) -> SessionTextCall,
        session: *mut BrokerSession,
        text: *const c_char,
    ) {
        let mut out = std::ptr::null_mut();
        let status = call(&self.api)(session, text, &mut out);
        let json = self.take(out);
        self.record(function, input, status, json);
    }
}

/// The same calls, valid and invalid, through one API against `sim`.
fn scenario(api: Api, sim: &brokersim::Sim) -> Recorder {
    let config = crate::support::cstring(&crate::support::angel_config(sim, ""));
    let credentials = crate::support::cstring(&crate::support::angel_credentials());
    let wrong_pin = crate::support::cstring(&format!(
        r#"{{"pin":"9999","totp_secret":"{}"}}"#,
        crate::support::DEMO_TOTP_SECRET
    ));
    let null = std::ptr::null();
    let never_issued = usize::MAX as *mut BrokerSession;
    let mut r = Recorder::new(api);

    r.static_string("broker_version", "", (r.api.version)());
    let abi = (r.api.abi_version)();
    r.plain("broker_abi_version", "", abi);
    for status in [i32::MIN, -1, 0, 5, 13, 14] {
        let name = (r.api.status_name)(status);
        r.static_string("broker_status_name", &status.to_string(), name);
    }

    r.new_session("NULL", null);
    r.new_session("bad UTF-8", c"{\"broker\":\"\xff\"}".as_ptr());
    r.new_session("bad JSON", c"{not json".as_ptr());
    r.new_session(
        "unknown key",
        c"{\"broker\":\"angelone\",\"api_key\":\"k\",\"client_code\":\"c\",\"surprise\":1}"
            .as_ptr(),
    );
    let mut out = std::ptr::null_mut();
    let status = (r.api.new)(config.as_ptr(), std::ptr::null_mut(), &mut out);
    let json = r.take(out);
    r.record("broker_new", "out_session NULL", status, json);
    let mut session = std::ptr::null_mut();
    let status = (r.api.new)(config.as_ptr(), &mut session, std::ptr::null_mut());
    r.record("broker_new", "out_json NULL", status, Value::Null);
    r.free(session);

    let s = r.new_session("valid", config.as_ptr());
    r.on_session("broker_login_url", "", |a| a.login_url, s);
    r.on_session("broker_get_rms", "before login", |a| a.get_rms, s);
    r.on_session("broker_refresh", "before login", |a| a.refresh, s);
    r.on_session(
        "broker_session_export",
        "before login",
        |a| a.session_export,
        s,
    );
    r.with_text("broker_login", "NULL", |a| a.login, s, null);
    r.with_text("broker_login", "bad JSON", |a| a.login, s, c"{".as_ptr());
    r.with_text(
        "broker_login",
        "wrong pin",
        |a| a.login,
        s,
        wrong_pin.as_ptr(),
    );
    r.with_text(
        "broker_login",
        "valid",
        |a| a.login,
        s,
        credentials.as_ptr(),
    );
    r.on_session("broker_get_profile", "", |a| a.get_profile, s);
    r.on_session("broker_get_rms", "", |a| a.get_rms, s);
    r.on_session("broker_refresh", "", |a| a.refresh, s);
    let state = r.on_session("broker_session_export", "", |a| a.session_export, s);
    assert_eq!(state["user_id"], "D12345", "export failed: {state}");
    let status = (r.api.get_rms)(s, std::ptr::null_mut());
    r.record("broker_get_rms", "out_json NULL", status, Value::Null);

    // The exported state, tokens and all, resumes in a second session.
    let mut real_state = std::ptr::null_mut();
    assert_eq!((r.api.session_export)(s, &mut real_state), 0);
    let state_text = unsafe { CStr::from_ptr(real_state) }.to_owned();
    (r.api.string_free)(real_state);
    let second = r.new_session("valid", config.as_ptr());
    r.with_text(
        "broker_session_import",
        "NULL",
        |a| a.session_import,
        second,
        null,
    );
    r.with_text(
        "broker_session_import",
        "{}",
        |a| a.session_import,
        second,
        c"{}".as_ptr(),
    );
    r.with_text(
        "broker_session_import",
        "state",
        |a| a.session_import,
        second,
        state_text.as_ptr(),
    );
    r.on_session("broker_get_rms", "imported", |a| a.get_rms, second);
    r.free(second);
    r.on_session("broker_get_rms", "freed", |a| a.get_rms, second);
    r.free(second); // twice: ignored

    r.on_session("broker_logout", "", |a| a.logout, s);
    r.on_session("broker_get_rms", "after logout", |a| a.get_rms, s);
    r.on_session("broker_logout", "after logout", |a| a.logout, s);
    r.on_session(
        "broker_get_profile",
        "NULL",
        |a| a.get_profile,
        std::ptr::null_mut(),
    );
    r.on_session(
        "broker_login_url",
        "never issued",
        |a| a.login_url,
        never_issued,
    );
    r.with_text(
        "broker_login",
        "never issued",
        |a| a.login,
        never_issued,
        credentials.as_ptr(),
    );
    r.free(s);
    r.free(std::ptr::null_mut());

    let secret = crate::support::cstring(crate::support::DEMO_TOTP_SECRET);
    for (input, text) in [
        ("valid", secret.as_ptr()),
        ("NULL", null),
        ("bad", c"not base32!".as_ptr()),
    ] {
        let mut out = std::ptr::null_mut();
        let status = (r.api.totp)(text, &mut out);
        let json = r.take(out);
        r.record("broker_totp", input, status, json);
    }
    (r.api.string_free)(std::ptr::null_mut());
    r
}

#[test]
fn every_vba_twin_answers_exactly_like_its_c_function() {
    let sim = crate::support::sim();
    let wire = |from: usize| -> Vec<String> {
        sim.requests()[from..]
            .iter()
            .map(|r| format!("{} {} -> {}", r.method, r.path, r.status))
            .collect()
    };

    let start = sim.requests().len();
    let c = scenario(c_api(), &sim);
    let c_wire = wire(start);
    let start = sim.requests().len();
    let vba = scenario(vba_api(), &sim);
    let vba_wire = wire(start);

    assert_eq!(c.steps.len(), vba.steps.len());
    for (c_step, vba_step) in c.steps.iter().zip(&vba.steps) {
        assert_eq!(c_step, vba_step, "the twin answers differently");
    }
    assert_eq!(c_wire, vba_wire, "the twins sent other requests");
    assert!(
        c_wire.len() >= 6,
        "the scenario reached the broker: {c_wire:?}"
    );

    // The scenario called every export, so every twin was compared. The
    // exception, broker_set_logger, takes a callback of another calling
    // convention in its twin; tests/logger.rs proves that twin.
    let every_c_export: BTreeSet<String> = ffi_exports()
        .into_keys()
        .filter(|name| name.starts_with("broker_") && name != "broker_set_logger")
        .collect();
    let called: BTreeSet<String> = vba.called.iter().map(|s| s.to_string()).collect();
    assert_eq!(called, every_c_export, "the scenario misses some exports");
}
