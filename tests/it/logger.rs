//! broker_set_logger: a host's callback receives one line per request (and
//! debug lines), with no secret; NULL removes it; the VBA twin takes a
//! stdcall callback. The callback is process-wide, so each test's body
//! runs alone in a child process, where no other test's session logs.

use crate::support::assert_passes_alone;

#[test]
fn the_callback_gets_a_line_per_request_without_secrets_until_removed() {
    assert_passes_alone(
        "logger::alone::the_callback_gets_a_line_per_request_without_secrets_until_removed",
    );
}

#[test]
fn log_level_filters_what_the_callback_gets() {
    assert_passes_alone("logger::alone::log_level_filters_what_the_callback_gets");
}

#[test]
fn the_vba_twin_installs_a_stdcall_callback() {
    assert_passes_alone("logger::alone::the_vba_twin_installs_a_stdcall_callback");
}

/// The tests themselves, each run alone by its twin above.
mod alone {
    use crate::support::*;
    use brokerlink::ffi::{BROKER_LOG_DEBUG, BROKER_LOG_INFO, BROKER_LOG_WARN, broker_set_logger};
    use std::ffi::{CStr, c_char, c_void};
    use std::sync::Mutex;

    static LINES: Mutex<Vec<(i32, String, usize)>> = Mutex::new(Vec::new());

    unsafe extern "C" fn collect(level: i32, line: *const c_char, user: *mut c_void) {
        let text = unsafe { CStr::from_ptr(line) }.to_str().unwrap().to_owned();
        LINES.lock().unwrap().push((level, text, user as usize));
    }

    unsafe extern "system" fn collect_vba(level: i32, line: *const c_char, user: *mut c_void) {
        unsafe { collect(level, line, user) }
    }

    fn take_lines() -> Vec<(i32, String, usize)> {
        std::mem::take(&mut *LINES.lock().unwrap())
    }

    #[test]
    #[ignore = "runs alone in a child process: see the test of the same name above"]
    fn the_callback_gets_a_line_per_request_without_secrets_until_removed() {
        let sim = sim();
        take_lines();
        broker_set_logger(Some(collect), 42 as *mut c_void);
        let handle = angel_session_with(&sim, r#""log_level":"debug","rate_limits":"off""#);
        handle.rms().ok();
        sim.expire_angel_sessions("D12345");
        handle.profile().ok();
        let token = handle.export().ok()["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        broker_set_logger(None, std::ptr::null_mut());
        handle.rms().ok();
        let lines = take_lines();

        let texts: Vec<&str> = lines.iter().map(|(_, t, _)| t.as_str()).collect();
        assert!(
            lines.iter().all(|(_, _, user)| *user == 42),
            "the user pointer comes back"
        );
        let find = |needle: &str| lines.iter().find(|(_, t, _)| t.contains(needle));
        let login = find(" login /rest/auth/angelbroking/user/v1/loginByPassword 200 OK ")
            .expect("a login line");
        assert_eq!(login.0, BROKER_LOG_INFO);
        let expired =
            find(" profile /rest/secure/angelbroking/user/v1/getProfile 200 SESSION_EXPIRED ")
                .expect("the expiry");
        assert_eq!(expired.0, BROKER_LOG_WARN);
        assert!(expired.1.ends_with(" AG8002"), "{}", expired.1);
        let refresh = find("the session expired; refreshing").expect("a debug line");
        assert_eq!(refresh.0, BROKER_LOG_DEBUG);
        assert!(
            find(" refresh /rest/auth/angelbroking/jwt/v1/generateTokens 200 OK ").is_some(),
            "{texts:#?}"
        );
        assert_eq!(
            texts.iter().filter(|t| t.contains(" funds ")).count(),
            1,
            "nothing after removal: {texts:#?}"
        );
        for text in &texts {
            assert!(!text.contains("1234") || text.contains("D1234"), "{text}");
            assert!(
                !text.contains(&token[..20])
                    && !text.contains("JBSWY3DP")
                    && !text.contains("demo-api-key"),
                "{text}"
            );
            assert!(
                text.as_bytes()[23] == b'Z' && !text.contains('\n'),
                "{text}"
            );
        }
    }

    #[test]
    #[ignore = "runs alone in a child process: see the test of the same name above"]
    fn log_level_filters_what_the_callback_gets() {
        let sim = sim();
        take_lines();
        broker_set_logger(Some(collect), std::ptr::null_mut());
        let quiet = angel_session_with(&sim, r#""log_level":"warn","rate_limits":"off""#);
        quiet.rms().ok();
        let off = angel_session_with(&sim, r#""log_level":"off","rate_limits":"off""#);
        sim.inject(
            "/rest/secure/angelbroking/user/v1/getRMS",
            brokersim::Fault::Reset,
            brokersim::FaultTimes::Next(1),
        );
        off.rms().ok();
        sim.inject(
            "/rest/secure/angelbroking/user/v1/getRMS",
            brokersim::Fault::Reset,
            brokersim::FaultTimes::Next(1),
        );
        quiet.rms().ok();
        broker_set_logger(None, std::ptr::null_mut());
        let lines = take_lines();
        assert_eq!(
            lines.len(),
            1,
            "only the warn session's failed attempt: {lines:#?}"
        );
        assert_eq!(lines[0].0, BROKER_LOG_WARN);
        assert!(
            lines[0].1.contains(" funds ") && lines[0].1.contains(" NETWORK "),
            "{}",
            lines[0].1
        );
    }

    #[test]
    #[ignore = "runs alone in a child process: see the test of the same name above"]
    fn the_vba_twin_installs_a_stdcall_callback() {
        let sim = sim();
        take_lines();
        brokerlink::ffi::vba::brokervb_set_logger(Some(collect_vba), 7 as *mut c_void);
        angel_session(&sim).rms().ok();
        brokerlink::ffi::vba::brokervb_set_logger(None, std::ptr::null_mut());
        angel_session(&sim).rms().ok();
        let lines = take_lines();
        assert_eq!(
            lines
                .iter()
                .filter(|(_, t, _)| t.contains(" funds "))
                .count(),
            1,
            "{lines:#?}"
        );
        assert!(lines.iter().all(|(_, _, user)| *user == 7));
    }
}
