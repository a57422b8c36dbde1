//! Angel One's per-client rate limits.

use crate::common::*;
use brokersim::{AngelAccount, Sim};

const KEY: &str = "demo-api-key";
const RATE_LIMIT_TEXT: &str = "Access denied because of exceeding access rate";

fn assert_rate_limited(response: &RawResponse) {
    assert_eq!(response.status, 403);
    assert!(
        response
            .header("content-type")
            .is_some_and(|v| v.starts_with("text/plain"))
    );
    assert_eq!(response.text(), RATE_LIMIT_TEXT);
}

#[test]
fn second_login_within_a_second_is_403_plain_text() {
    let sim = Sim::start().expect("start");
    let demo = AngelAccount::demo();
    login(&sim, &demo);
    let response = angel_post(&sim, LOGIN, KEY, None, &login_body(&demo));
    assert_rate_limited(&response);
    assert_eq!(sim.requests_to(LOGIN).last().map(|r| r.status), Some(403));
}

#[test]
fn rms_allows_two_per_second_per_client() {
    let sim = Sim::start().expect("start");
    let tokens = login(&sim, &AngelAccount::demo());
    for _ in 0..2 {
        assert_eq!(angel_get(&sim, RMS, KEY, Some(&tokens.jwt)).status, 200);
    }
    // The third call in well under a second is over the limit.
    assert_rate_limited(&angel_get(&sim, RMS, KEY, Some(&tokens.jwt)));
    // getProfile has its own budget.
    assert_eq!(angel_get(&sim, PROFILE, KEY, Some(&tokens.jwt)).status, 200);
}

#[test]
fn no_rate_limit_option_turns_limits_off() {
    let sim = sim_without_limits();
    let tokens = login(&sim, &AngelAccount::demo());
    for _ in 0..5 {
        assert_eq!(
            angel_get(&sim, RMS, KEY, Some(&tokens.jwt)).json()["status"],
            true
        );
    }
}
