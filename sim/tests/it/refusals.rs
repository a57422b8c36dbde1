//! The refusals a user must be able to act on (PROTOCOLS.md §8), as the brokers send them: an
//! unregistered IP, a broker clock that is not the client's, a web password for Angel One's
//! MPIN, a user not enabled for the API.

use crate::common::noren::*;
use crate::common::*;
use brokersim::{AngelAccount, NorenAccount, Sim, SimOptions};
use serde_json::json;
use std::net::IpAddr;

fn sim_allowing(app: &str, ip: &str) -> Sim {
    Sim::start_with(SimOptions {
        rate_limits: false,
        allowed_ips: [(app.to_owned(), vec![ip.parse::<IpAddr>().unwrap()])].into(),
        ..SimOptions::default()
    })
    .expect("start sim")
}

#[test]
fn angel_one_refuses_every_call_from_an_unregistered_ip_with_ag7002() {
    let account = AngelAccount::demo();
    let elsewhere = sim_allowing("*", "10.20.30.40");
    let response = angel_post(
        &elsewhere,
        LOGIN,
        &account.api_key,
        None,
        &login_body(&account),
    );
    assert_gateway_error(&response, "AG7002");
    let here = sim_allowing(&account.api_key, "127.0.0.1");
    login(&here, &account);
    let other_app = sim_allowing("another-app", "10.20.30.40");
    login(&other_app, &account);
}

#[test]
fn angel_one_asks_for_the_mpin_when_a_web_password_is_sent() {
    let sim = sim_without_limits();
    let account = AngelAccount::demo();
    let mut body = login_body(&account);
    body["password"] = json!("MyWebPassw0rd");
    let response = angel_post(&sim, LOGIN, &account.api_key, None, &body);
    let body = response.json();
    assert_eq!(body["status"], false, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("Login by MPIN"),
        "{body}"
    );
}

#[test]
fn every_reply_carries_the_brokers_clock_which_the_offset_moves() {
    let account = AngelAccount::demo();
    let now = std::time::SystemTime::now();
    for offset in [0i64, 300, -300] {
        let sim = Sim::start_with(SimOptions {
            clock_offset_secs: offset,
            ..SimOptions::default()
        })
        .expect("start sim");
        let response = angel_post(&sim, LOGIN, &account.api_key, None, &login_body(&account));
        let date = response.header("date").expect("a Date header");
        let at = httpdate_secs(date);
        let local = now.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        assert!((at - local - offset).abs() < 5, "{offset}: {date}");
        // The TOTP the client computed on its own clock is judged on the broker's.
        if offset == 0 {
            assert_eq!(response.json()["status"], true);
        } else {
            assert_service_error(&response, "AB1050");
        }
    }
}

#[test]
fn noren_refuses_gen_acs_tok_from_an_unregistered_ip_and_for_a_user_without_the_api() {
    let account = demo("zebu");
    let sim = sim_allowing(&account.client_id, "10.20.30.40");
    let code = code_for(&sim, "zebu");
    assert_not_ok(&gen_acs_tok(&sim, "zebu", &code), 200, "INVALID_IP");

    let sim = sim_without_limits();
    sim.add_noren_account(NorenAccount {
        api_enabled: false,
        ..demo("zebu")
    });
    let code = code_for(&sim, "zebu");
    assert_not_ok(
        &gen_acs_tok(&sim, "zebu", &code),
        200,
        "User Not enabled on : API",
    );
}

#[test]
fn shoonyas_investor_entry_page_redirects_with_a_code() {
    let sim = sim_without_limits();
    let account = demo("shoonya");
    let base = sim.base_url();
    let page = format!(
        "{base}/noren/shoonya/OAuthlogin/investor-entry-level/login?api_key={}&route_to={}",
        account.client_id, account.user_id
    );
    let location = brokersim::browse(&page).expect("a redirect");
    let code = location.split("code=").nth(1).expect("a code");
    assert_eq!(gen_acs_tok(&sim, "shoonya", code).json()["stat"], "Ok");
    let wrong_user = page.replace(&format!("route_to={}", account.user_id), "route_to=OTHER");
    assert!(brokersim::browse(&wrong_user).is_err());
}

/// Seconds since the epoch of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn httpdate_secs(text: &str) -> i64 {
    let parts: Vec<&str> = text.split([' ', ':']).collect();
    let [_, day, month, year, hour, minute, second, "GMT"] = parts[..] else {
        panic!("not an HTTP date: {text}");
    };
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == month)
    .expect("a month") as i64
        + 1;
    let (year, day): (i64, i64) = (year.parse().unwrap(), day.parse().unwrap());
    // Days from civil (H. Hinnant), for the test's own independent reading.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400
        + hour.parse::<i64>().unwrap() * 3600
        + minute.parse::<i64>().unwrap() * 60
        + second.parse::<i64>().unwrap()
}
