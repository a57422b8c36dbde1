use super::*;
use crate::config::Keys;

fn fyers(extra: &str) -> Box<dyn Broker> {
    let json = format!(
        r#"{{"app_id":"XC4EOD67IM-100","app_secret":"MH8KD7TJ5W","redirect_uri":"https://example.com/cb"{extra}}}"#
    );
    let mut keys = Keys::parse(&json, "config").unwrap();
    let broker = Fyers::from_config(&mut keys, None).unwrap();
    keys.finish().unwrap();
    broker
}

fn concrete() -> Fyers {
    Fyers {
        base_url: DEFAULT_BASE_URL.into(),
        oauth_url: format!("{DEFAULT_BASE_URL}/generate-authcode"),
        app_id: "XC4EOD67IM-100".into(),
        app_secret: Secret::new("MH8KD7TJ5W"),
        redirect_uri: "https://example.com/cb".into(),
        legacy_refresh: false,
        expiry_minutes: DEFAULT_EXPIRY_MINUTES,
        state: "s".repeat(32),
        pin: Mutex::default(),
    }
}

#[test]
fn app_id_hash_is_the_protocols_test_vector() {
    assert_eq!(
        concrete().app_id_hash(),
        "145fe06b4274dd7e474880ca297b132590977a046052229dca5a8f449bab801e"
    );
}

#[test]
fn default_login_url_is_generate_authcode_with_a_random_state() {
    let broker = fyers("");
    let transport = crate::http::Transport::new(
        std::time::Duration::from_secs(1),
        &crate::config::TransportConfig::default(),
    )
    .unwrap();
    let call = transport.call(false);
    let url = broker.login_url(&call).unwrap();
    let prefix = "https://api-t1.fyers.in/api/v3/generate-authcode?client_id=XC4EOD67IM-100&redirect_uri=https%3A%2F%2Fexample.com%2Fcb&response_type=code&state=";
    let state = url.strip_prefix(prefix).expect(&url);
    assert_eq!(state.len(), 32);
    assert_eq!(
        broker.login_url(&call).unwrap(),
        url,
        "one state per session"
    );
    assert_ne!(
        fyers("").login_url(&call).unwrap(),
        url,
        "fresh per session"
    );
    assert!(!broker.can_refresh());
    assert!(fyers(r#","legacy_refresh":true"#).can_refresh());
}

#[test]
fn config_keys_are_checked() {
    let bad = |json: &str| {
        let mut keys = Keys::parse(json, "config").unwrap();
        Fyers::from_config(&mut keys, None).unwrap_err().message
    };
    assert!(bad(r#"{"app_secret":"s","redirect_uri":"https://x/cb"}"#).contains("app_id"));
    assert!(bad(r#"{"app_id":"A-100","redirect_uri":"https://x/cb"}"#).contains("app_secret"));
    assert!(bad(r#"{"app_id":"A-100","app_secret":"s"}"#).contains("redirect_uri"));
    assert!(
        bad(r#"{"app_id":"A-100","app_secret":"s","redirect_uri":"not a url"}"#)
            .contains("redirect_uri")
    );
    assert!(
        bad(r#"{"app_id":"A-100","app_secret":"s","redirect_uri":"https://x/cb","oauth_url":"http://example.com/login"}"#)
            .contains("oauth_url")
    );
    assert!(
        bad(r#"{"app_id":"A-100","app_secret":"s","redirect_uri":"https://x/cb","token_expiry_ist":"25:00"}"#)
            .contains("token_expiry_ist")
    );
    assert!(
        bad(r#"{"app_id":"A:1","app_secret":"s","redirect_uri":"https://x/cb"}"#)
            .contains("app_id")
    );
}

#[test]
fn pasted_codes_are_trimmed_and_decoded() {
    assert_eq!(clean_code("  abc.def-ghi_\n").expose(), "abc.def-ghi_");
    assert_eq!(clean_code("abc%2Edef").expose(), "abc.def");
}

#[test]
fn rate_limits_split_the_shared_budget() {
    let broker = fyers("");
    let limits: Vec<RateLimit> = Operation::ALL
        .iter()
        .map(|op| broker.rate_limit(*op))
        .collect();
    let per_second: u32 = limits.iter().map(|l| l.per_second).sum();
    assert!(per_second <= 10, "{per_second}");
    // In a minute the second's 1.1 s window allows 55 turns; the hour's cap may bite first.
    let per_minute: u32 = limits
        .iter()
        .map(|l| (l.per_second * 55).min(l.per_hour))
        .sum();
    assert!(per_minute <= 200, "{per_minute}");
    let per_day: u32 = limits.iter().map(|l| l.per_hour * 24).sum();
    assert!(per_day <= 100_000, "{per_day}");
}
