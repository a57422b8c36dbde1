//! Refusals a user can fix (PROTOCOLS.md §8), through the C ABI: each
//! `reason` arises from brokersim refusing as the broker does, with a
//! message that says what to do; the status stays what it always was.

use crate::support::angel_paths::LOGIN;
use crate::support::*;
use brokerlink::Status;
use brokersim::{Fault, FaultTimes, NorenAccount, PasswordState, Sim, SimOptions};
use serde_json::Value;
use std::net::IpAddr;

/// A simulator where every app accepts calls only from `ip`.
fn sim_allowing_only(ip: &str) -> Sim {
    Sim::start_with(SimOptions {
        rate_limits: false,
        shoonya_quickauth_open: true,
        allowed_ips: [("*".to_owned(), vec![ip.parse::<IpAddr>().unwrap()])].into(),
        ..SimOptions::default()
    })
    .expect("brokersim starts")
}

/// A simulator whose clock is `offset` seconds off this machine's.
fn sim_with_clock_offset(offset: i64) -> Sim {
    Sim::start_with(SimOptions {
        rate_limits: false,
        shoonya_quickauth_open: true,
        clock_offset_secs: offset,
        ..SimOptions::default()
    })
    .expect("brokersim starts")
}

/// The error object of a refused login, asserting its status and reason.
#[track_caller]
fn refused(reply: &Reply, status: Status, reason: &str) -> Value {
    let error = reply.err(s(status)).clone();
    assert_eq!(error["reason"], reason, "{error}");
    error
}

fn message(error: &Value) -> &str {
    error["message"].as_str().unwrap()
}

#[test]
fn an_unregistered_ip_is_ip_not_registered_at_every_broker_family() {
    let sim = sim_allowing_only("10.20.30.40");

    let angel = Handle::new(&angel_config(&sim, RAW)).login(&angel_credentials());
    let error = refused(&angel, Status::Auth, "ip_not_registered");
    assert_eq!(error["broker_code"], "AG7002");
    assert!(message(&error).contains("static IP"), "{error}");

    let zebu = Handle::new(&noren_config(&sim, "zebu", ""));
    let error = refused(
        &zebu.login(&format!(r#"{{"code":"{}"}}"#, noren_code(&sim, "zebu"))),
        Status::Auth,
        "ip_not_registered",
    );
    assert_eq!(error["broker_message"], "INVALID_IP");
    assert!(message(&error).contains("static IP"), "{error}");

    // Flattrade's token service fails without a word (PROTOCOLS.md §2.4).
    let flattrade = Handle::new(&noren_config(&sim, "flattrade", ""));
    let error = refused(
        &flattrade.login(&format!(
            r#"{{"code":"{}"}}"#,
            noren_code(&sim, "flattrade")
        )),
        Status::Auth,
        "ip_not_registered",
    );
    assert!(message(&error).contains("static IP"), "{error}");
}

#[test]
fn a_registered_ip_logs_in_where_others_are_refused() {
    let sim = sim_allowing_only("127.0.0.1");
    Handle::new(&angel_config(&sim, RAW))
        .login(&angel_credentials())
        .ok();
    noren_session(&sim, "zebu").rms().ok();
}

#[test]
fn angel_ones_firewall_page_names_the_ip_registration_as_a_cause() {
    let sim = sim();
    sim.inject(LOGIN, Fault::HtmlFirewall, FaultTimes::Next(1));
    let error = refused(
        &Handle::new(&angel_config(&sim, RAW)).login(&angel_credentials()),
        Status::Broker,
        "ip_not_registered",
    );
    assert_eq!(error["retryable"], true);
    assert!(message(&error).contains("registered"), "{error}");
}

#[test]
fn a_refused_totp_with_the_brokers_clock_off_is_clock_skew_with_the_skew() {
    for offset in [150i64, -150] {
        let sim = sim_with_clock_offset(offset);
        let error = refused(
            &Handle::new(&angel_config(&sim, RAW)).login(&angel_credentials()),
            Status::Auth,
            "clock_skew",
        );
        assert_eq!(error["broker_code"], "AB1050");
        // The skew the library measured from the reply's Date header.
        let text = message(&error);
        let seconds: i64 = text
            .split(" s ")
            .next()
            .and_then(|before| before.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no skew in: {text}"));
        assert!((seconds - offset.abs()).abs() <= 2, "{offset}: {text}");
        let side = if offset > 0 { "behind" } else { "ahead of" };
        assert!(text.contains(side), "{offset}: {text}");

        // The same at a Noren password login.
        let error = refused(
            &Handle::new(&quickauth_config(&sim, "")).login(&format!(
                r#"{{"password":"Passw0rd!","totp_secret":"{DEMO_TOTP_SECRET}"}}"#
            )),
            Status::Auth,
            "clock_skew",
        );
        assert!(message(&error).contains(" s "), "{error}");
    }
}

#[test]
fn a_refused_totp_with_the_clocks_in_step_is_totp_rejected() {
    let sim = sim();
    // Another secret's code: the clocks agree, the code does not.
    let error = refused(
        &Handle::new(&angel_config(&sim, RAW))
            .login(r#"{"pin":"1234","totp_secret":"KRUGS4ZANFZSAYJAONSWG4TFOQ"}"#),
        Status::Auth,
        "totp_rejected",
    );
    assert!(message(&error).contains("totp_secret"), "{error}");
}

#[test]
fn a_web_password_at_angel_one_is_mpin_required() {
    let sim = sim();
    let error = refused(
        &Handle::new(&angel_config(&sim, RAW)).login(&format!(
            r#"{{"pin":"MyWebPassw0rd","totp_secret":"{DEMO_TOTP_SECRET}"}}"#
        )),
        Status::Auth,
        "mpin_required",
    );
    assert!(message(&error).contains("MPIN"), "{error}");
}

#[test]
fn a_forced_or_expired_password_is_password_change_required() {
    for (state, emsg) in [
        (PasswordState::MustChange, "Change Password"),
        (PasswordState::Expired, "Password Expired"),
    ] {
        let sim = sim_with_quickauth();
        sim.add_noren_account(NorenAccount {
            password_state: state,
            ..NorenAccount::demo("shoonya")
        });
        let error = refused(
            &Handle::new(&quickauth_config(&sim, "")).login(&format!(
                r#"{{"password":"Passw0rd!","totp_secret":"{DEMO_TOTP_SECRET}"}}"#
            )),
            Status::Auth,
            "password_change_required",
        );
        assert!(
            error["broker_message"].as_str().unwrap().contains(emsg),
            "{error}"
        );
    }
}

#[test]
fn shoonyas_closed_password_login_is_login_method_closed() {
    let sim = sim(); // QuickAuth closed, as at Shoonya since 2026-04-01
    let error = refused(
        &Handle::new(&quickauth_config(&sim, "")).login(&format!(
            r#"{{"password":"Passw0rd!","totp_secret":"{DEMO_TOTP_SECRET}"}}"#
        )),
        Status::Auth,
        "login_method_closed",
    );
    assert_eq!(error["http_status"], 502);
    assert!(message(&error).contains("OAuth"), "{error}");
    // The OAuth login still works there.
    noren_session(&sim, "shoonya").rms().ok();
}

#[test]
fn a_user_not_enabled_for_the_api_is_api_not_enabled() {
    let sim = sim();
    sim.add_noren_account(NorenAccount {
        api_enabled: false,
        ..NorenAccount::demo("zebu")
    });
    let handle = Handle::new(&noren_config(&sim, "zebu", ""));
    let error = refused(
        &handle.login(&format!(r#"{{"code":"{}"}}"#, noren_code(&sim, "zebu"))),
        Status::Auth,
        "api_not_enabled",
    );
    assert!(message(&error).contains("API"), "{error}");
}

#[test]
fn errors_without_a_fixable_cause_carry_no_reason() {
    let sim = sim();
    let reply = Handle::new(&angel_config(&sim, RAW)).login(&format!(
        r#"{{"pin":"9999","totp_secret":"{DEMO_TOTP_SECRET}"}}"#
    ));
    let error = reply.err(s(Status::Auth));
    assert!(error.get("reason").is_none(), "{error}");
}
