//! Test support: drive the library through its C ABI exactly as a host
//! program does, against brokersim.
#![allow(dead_code)] // each test file uses a different part

pub mod proxy;

use brokerlink::ffi::*;
use brokersim::{AngelAccount, Sim, SimOptions};
use serde_json::Value;
use std::ffi::{CStr, CString, c_char};
use std::path::PathBuf;
use std::process::{Command, Output};

/// Angel One's endpoint paths, as brokersim logs them.
pub mod angel_paths {
    /// loginByPassword.
    pub const LOGIN: &str = "/rest/auth/angelbroking/user/v1/loginByPassword";
    /// generateTokens.
    pub const REFRESH: &str = "/rest/auth/angelbroking/jwt/v1/generateTokens";
    /// getProfile.
    pub const PROFILE: &str = "/rest/secure/angelbroking/user/v1/getProfile";
    /// getRMS.
    pub const RMS: &str = "/rest/secure/angelbroking/user/v1/getRMS";
    /// logout.
    pub const LOGOUT: &str = "/rest/secure/angelbroking/user/v1/logout";
}

/// The demo account's TOTP secret, as brokersim registers it.
pub const DEMO_TOTP_SECRET: &str = "JBSWY3DPEHPK3PXP";

/// A status constant as the number a call returns.
pub fn s(status: brokerlink::Status) -> i32 {
    status as i32
}

/// Runs one `#[ignore]`d test of this binary, by its full name
/// (`logger::…`), alone in a child process, after `configure` has set up
/// its command (environment variables). For tests of process-wide state,
/// which other tests running beside them in this process would disturb.
pub fn run_test_alone(test: &str, configure: impl FnOnce(&mut Command)) -> Output {
    let exe = std::env::current_exe().expect("the test binary");
    let mut command = Command::new(exe);
    command.args([
        test,
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    configure(&mut command);
    command.output().expect("run the test binary as a child")
}

/// [`run_test_alone`], then fails unless the child ran that one test and it passed.
pub fn assert_passes_alone(test: &str) {
    let output = run_test_alone(test, |_| {});
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{test} in a child process:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A status and the JSON a call wrote to `out_json`.
#[derive(Debug)]
pub struct Reply {
    pub status: i32,
    pub json: Value,
    pub text: String,
}

impl Reply {
    /// Takes ownership of a string the library returned, and frees it.
    pub fn take(status: i32, out: *mut c_char) -> Reply {
        assert!(!out.is_null(), "status {status} came without out_json");
        let text = unsafe { CStr::from_ptr(out) }
            .to_str()
            .expect("out_json is UTF-8")
            .to_owned();
        unsafe { broker_string_free(out) };
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("out_json is not JSON ({e}): {text}"));
        Reply { status, json, text }
    }

    /// The error code name in an error reply.
    pub fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or("")
    }

    /// Asserts success and returns the JSON.
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert_eq!(self.status, 0, "expected success, got {}", self.text);
        &self.json
    }

    /// Asserts a failure with `status`; checks the error object's shape.
    #[track_caller]
    pub fn err(&self, status: i32) -> &Value {
        assert_eq!(
            self.status, status,
            "expected status {status}, got {}",
            self.text
        );
        assert_eq!(self.json["status"], status);
        let name = unsafe { CStr::from_ptr(broker_status_name(status)) }
            .to_str()
            .unwrap();
        assert_eq!(self.json["code"], name);
        assert!(self.json["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(self.json["retryable"].is_boolean());
        &self.json
    }
}

pub fn cstring(s: &str) -> CString {
    CString::new(s).expect("no NUL in test strings")
}

/// A session handle that is freed when dropped.
pub struct Handle(pub *mut BrokerSession);

// The handle is an id; sharing it between test threads is what hosts do.
unsafe impl Send for Handle {}
unsafe impl Sync for Handle {}

impl Handle {
    /// `broker_new`, asserting success.
    #[track_caller]
    pub fn new(config: &str) -> Handle {
        let (reply, handle) = new_session(config);
        reply.ok();
        handle.expect("a handle on success")
    }

    pub fn login(&self, credentials: &str) -> Reply {
        let c = cstring(credentials);
        let mut out = std::ptr::null_mut();
        let status = unsafe { broker_login(self.0, c.as_ptr(), &mut out) };
        Reply::take(status, out)
    }

    pub fn call(
        &self,
        f: unsafe extern "C" fn(*mut BrokerSession, *mut *mut c_char) -> i32,
    ) -> Reply {
        let mut out = std::ptr::null_mut();
        let status = unsafe { f(self.0, &mut out) };
        Reply::take(status, out)
    }

    pub fn profile(&self) -> Reply {
        self.call(broker_get_profile)
    }
    pub fn rms(&self) -> Reply {
        self.call(broker_get_rms)
    }
    pub fn refresh(&self) -> Reply {
        self.call(broker_refresh)
    }
    pub fn logout(&self) -> Reply {
        self.call(broker_logout)
    }
    pub fn login_url(&self) -> Reply {
        self.call(broker_login_url)
    }
    pub fn export(&self) -> Reply {
        self.call(broker_session_export)
    }
    pub fn import(&self, state: &str) -> Reply {
        let c = cstring(state);
        let mut out = std::ptr::null_mut();
        let status = unsafe { broker_session_import(self.0, c.as_ptr(), &mut out) };
        Reply::take(status, out)
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        broker_free(self.0);
    }
}

/// `broker_new`: the reply, and the handle when one was made.
pub fn new_session(config: &str) -> (Reply, Option<Handle>) {
    let c = cstring(config);
    let mut session = std::ptr::null_mut();
    let mut out = std::ptr::null_mut();
    let status = unsafe { broker_new(c.as_ptr(), &mut session, &mut out) };
    let reply = Reply::take(status, out);
    if status == 0 {
        assert!(!session.is_null());
        (reply, Some(Handle(session)))
    } else {
        assert!(
            session.is_null(),
            "a failed broker_new must set *out_session to NULL"
        );
        (reply, None)
    }
}

/// A simulator with the demo account and no rate limits, unless a test wants them.
pub fn sim() -> Sim {
    Sim::start_with(SimOptions {
        rate_limits: false,
        ..SimOptions::default()
    })
    .expect("brokersim starts")
}

/// [`sim`] with Shoonya's QuickAuth still open, for the password-login
/// tests (Shoonya closed it to API users on 2026-04-01).
pub fn sim_with_quickauth() -> Sim {
    Sim::start_with(SimOptions {
        rate_limits: false,
        shoonya_quickauth_open: true,
        ..SimOptions::default()
    })
    .expect("brokersim starts")
}

/// A simulator that enforces the broker's published rate limits.
pub fn sim_with_rate_limits() -> Sim {
    Sim::start_with(SimOptions {
        rate_limits: true,
        ..SimOptions::default()
    })
    .expect("brokersim starts")
}

/// An Angel One config for the demo account on `sim`, plus extra keys.
pub fn angel_config(sim: &Sim, extra: &str) -> String {
    let demo = AngelAccount::demo();
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(",{extra}")
    };
    format!(
        r#"{{"broker":"angelone","api_key":"{}","client_code":"{}","base_url":"{}","timeout_ms":3000{extra}}}"#,
        demo.api_key,
        demo.client_code,
        sim.angel_base_url()
    )
}

/// The demo account's credentials, the TOTP computed by the library.
pub fn angel_credentials() -> String {
    format!(
        r#"{{"pin":"{}","totp_secret":"{DEMO_TOTP_SECRET}"}}"#,
        AngelAccount::demo().pin
    )
}

/// A logged-in Angel One session on `sim`.
pub fn angel_session(sim: &Sim) -> Handle {
    angel_session_with(sim, "")
}

/// A logged-in Angel One session on `sim` with extra config keys.
pub fn angel_session_with(sim: &Sim, extra: &str) -> Handle {
    let handle = Handle::new(&angel_config(sim, extra));
    handle.login(&angel_credentials()).ok();
    handle
}

/// Config keys that make each call show the broker's raw answer: no
/// retries, no automatic refresh, no client-side pacing.
pub const RAW: &str = r#""max_retries":0,"auto_refresh":false,"rate_limits":"off""#;

/// The current TOTP code for the demo secret, through the C ABI.
pub fn totp_now(secret: &str) -> String {
    let c = cstring(secret);
    let mut out = std::ptr::null_mut();
    let status = unsafe { broker_totp(c.as_ptr(), &mut out) };
    Reply::take(status, out).ok()["code"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A port on 127.0.0.1 where nothing listens.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The Noren presets brokersim simulates.
pub const NOREN_PRESETS: [&str; 5] = ["kambala", "shoonya", "zebu", "tradesmart", "flattrade"];

/// A Noren OAuth config for the preset's demo account on `sim`, plus extra keys.
pub fn noren_config(sim: &Sim, preset: &str, extra: &str) -> String {
    let demo = brokersim::NorenAccount::demo(preset);
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(",{extra}")
    };
    let app = if preset == "flattrade" {
        format!(
            r#""api_key":"{}","secret":"{}","token_url":"{}""#,
            demo.api_key,
            demo.secret,
            sim.flattrade_token_url()
        )
    } else {
        format!(
            r#""client_id":"{}","secret":"{}""#,
            demo.client_id, demo.secret
        )
    };
    format!(
        r#"{{"broker":"noren","preset":"{preset}",{app},"base_url":"{}","oauth_url":"{}","timeout_ms":3000{extra}}}"#,
        sim.noren_base_url(preset),
        sim.noren_oauth_url(preset),
    )
}

/// A fresh browser-login code for the preset's demo app.
pub fn noren_code(sim: &Sim, preset: &str) -> String {
    let demo = brokersim::NorenAccount::demo(preset);
    let app = if preset == "flattrade" {
        demo.api_key
    } else {
        demo.client_id
    };
    sim.noren_authorize(preset, &app)
        .expect("the demo app is registered")
}

/// A logged-in Noren OAuth session for the preset's demo account.
pub fn noren_session(sim: &Sim, preset: &str) -> Handle {
    noren_session_with(sim, preset, "")
}

/// A logged-in Noren OAuth session with extra config keys.
pub fn noren_session_with(sim: &Sim, preset: &str, extra: &str) -> Handle {
    let handle = Handle::new(&noren_config(sim, preset, extra));
    handle
        .login(&format!(r#"{{"code":"{}"}}"#, noren_code(sim, preset)))
        .ok();
    handle
}

/// Logs `handle` in as a user of a browser login does: opens
/// `broker_login_url`'s page with brokersim's browser and passes the address
/// it lands on as `redirect_url`.
pub fn login_through_browser(handle: &Handle) -> Reply {
    let url = handle.login_url().ok()["url"].as_str().unwrap().to_owned();
    let redirect = brokersim::browse(&url).expect("the login page redirects");
    handle.login(&format!(r#"{{"redirect_url":"{redirect}"}}"#))
}

/// A Shoonya password-login (QuickAuth) config for the demo account, plus extra keys.
pub fn quickauth_config(sim: &Sim, extra: &str) -> String {
    let demo = brokersim::NorenAccount::demo("shoonya");
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(",{extra}")
    };
    format!(
        r#"{{"broker":"noren","preset":"shoonya","auth":"password","base_url":"{}","user_id":"{}","vendor_code":"{}","api_secret":"{}","imei":"test-device","timeout_ms":3000{extra}}}"#,
        sim.noren_legacy_base_url("shoonya"),
        demo.user_id,
        demo.vendor_code,
        demo.api_secret
    )
}

/// target/<profile>, where `make test`'s `cargo build` put the cdylib (the
/// test executable lives in target/<profile>/deps).
pub fn library_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
    assert!(
        dir.join(library_file_name()).exists(),
        "the cdylib is not in {} (run `cargo build -p brokerlink` first, as `make test` does)",
        dir.display()
    );
    dir
}

/// The cdylib's file name on this platform, e.g. `libbrokerlink.so`.
pub fn library_file_name() -> String {
    format!(
        "{}brokerlink{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// A Zerodha config for brokersim's demo app on `sim`, plus extra keys.
pub fn zerodha_config(sim: &Sim, extra: &str) -> String {
    let demo = brokersim::ZerodhaAccount::demo();
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(",{extra}")
    };
    format!(
        r#"{{"broker":"zerodha","api_key":"{}","api_secret":"{}","base_url":"{}","oauth_url":"{}","timeout_ms":3000{extra}}}"#,
        demo.api_key,
        demo.api_secret,
        sim.zerodha_base_url(),
        sim.zerodha_login_url(),
    )
}

/// A fresh request token for the demo app, as the login page hands it out.
pub fn zerodha_request_token(sim: &Sim) -> String {
    sim.zerodha_request_token(&brokersim::ZerodhaAccount::demo().api_key)
        .expect("the demo app is registered")
}

/// A logged-in Zerodha session for the demo account.
pub fn zerodha_session(sim: &Sim) -> Handle {
    zerodha_session_with(sim, "")
}

/// A logged-in Zerodha session with extra config keys.
pub fn zerodha_session_with(sim: &Sim, extra: &str) -> Handle {
    let handle = Handle::new(&zerodha_config(sim, extra));
    handle
        .login(&format!(
            r#"{{"request_token":"{}"}}"#,
            zerodha_request_token(sim)
        ))
        .ok();
    handle
}

/// An Upstox config for the demo app on `sim`, plus extra keys.
pub fn upstox_config(sim: &Sim, extra: &str) -> String {
    let demo = brokersim::UpstoxAccount::demo();
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(",{extra}")
    };
    format!(
        r#"{{"broker":"upstox","api_key":"{}","api_secret":"{}","redirect_uri":"{}{}","base_url":"{}","oauth_url":"{}","timeout_ms":3000{extra}}}"#,
        demo.api_key,
        demo.api_secret,
        sim.base_url(),
        demo.redirect_uri,
        sim.upstox_base_url(),
        sim.upstox_oauth_url(),
    )
}

/// A fresh code from the authorization dialog for the demo app.
pub fn upstox_code(sim: &Sim) -> String {
    sim.upstox_authorize(&brokersim::UpstoxAccount::demo().api_key)
        .expect("the demo app is registered")
}

/// A logged-in Upstox session for the demo account.
pub fn upstox_session(sim: &Sim) -> Handle {
    upstox_session_with(sim, "")
}

/// A logged-in Upstox session with extra config keys.
pub fn upstox_session_with(sim: &Sim, extra: &str) -> Handle {
    let handle = Handle::new(&upstox_config(sim, extra));
    handle
        .login(&format!(r#"{{"code":"{}"}}"#, upstox_code(sim)))
        .ok();
    handle
}

/// A Fyers config for brokersim's demo app on `sim`, plus extra keys.
pub fn fyers_config(sim: &Sim, extra: &str) -> String {
    let demo = brokersim::FyersAccount::demo();
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(",{extra}")
    };
    format!(
        r#"{{"broker":"fyers","app_id":"{}","app_secret":"{}","redirect_uri":"{}/fyers/callback","base_url":"{}","timeout_ms":3000{extra}}}"#,
        demo.app_id,
        demo.app_secret,
        sim.base_url(),
        sim.fyers_base_url()
    )
}

/// A fresh auth code for brokersim's Fyers demo app, as its login page mints them.
pub fn fyers_code(sim: &Sim) -> String {
    sim.fyers_authorize(&brokersim::FyersAccount::demo().app_id)
        .expect("the demo app is registered")
}

/// A logged-in Fyers session for the demo account.
pub fn fyers_session(sim: &Sim) -> Handle {
    fyers_session_with(sim, "")
}

/// A logged-in Fyers session with extra config keys.
pub fn fyers_session_with(sim: &Sim, extra: &str) -> Handle {
    let handle = Handle::new(&fyers_config(sim, extra));
    handle
        .login(&format!(r#"{{"auth_code":"{}"}}"#, fyers_code(sim)))
        .ok();
    handle
}

/// A Dhan config for the demo account on `sim` (REST and auth hosts, the
/// app's key and secret for the consent login), plus extra keys.
pub fn dhan_config(sim: &Sim, extra: &str) -> String {
    let demo = brokersim::DhanAccount::demo();
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(",{extra}")
    };
    format!(
        r#"{{"broker":"dhan","client_id":"{}","app_id":"{}","app_secret":"{}","base_url":"{}","auth_url":"{}","timeout_ms":3000{extra}}}"#,
        demo.client_id,
        demo.app_id,
        demo.app_secret,
        sim.dhan_base_url(),
        sim.dhan_auth_url()
    )
}

/// The Dhan demo account's PIN + TOTP credentials, the TOTP computed by the library.
pub fn dhan_credentials() -> String {
    let demo = brokersim::DhanAccount::demo();
    format!(
        r#"{{"pin":"{}","totp_secret":"{}"}}"#,
        demo.pin, demo.totp_secret
    )
}

/// A Dhan session on `sim` logged in with the demo account's PIN and TOTP.
pub fn dhan_session(sim: &Sim) -> Handle {
    dhan_session_with(sim, "")
}

/// A Dhan session logged in with PIN and TOTP, with extra config keys.
pub fn dhan_session_with(sim: &Sim, extra: &str) -> Handle {
    let handle = Handle::new(&dhan_config(sim, extra));
    handle.login(&dhan_credentials()).ok();
    handle
}
