//! No secret ever leaves the library except through broker_session_export:
//! not in a result, an error message or a log line, whatever the broker,
//! operation or failure, with logging at its most verbose.

use crate::support::*;
use brokersim::{AngelAccount, Fault, FaultTimes, NorenAccount, Sim};

/// Distinctive secret values, so a leak cannot hide inside another string.
struct Secrets {
    values: Vec<String>,
}

impl Secrets {
    fn assert_absent(&self, what: &str, text: &str) {
        for secret in &self.values {
            assert!(
                !text.contains(secret.as_str()),
                "a secret ({} chars) leaked into {what}: {text}",
                secret.len()
            );
        }
    }
}

/// Every token the simulator issued or received, from its request log.
fn tokens_seen(sim: &Sim) -> Vec<String> {
    let mut tokens = Vec::new();
    for request in sim.requests() {
        if let Some(bearer) = request.header("authorization") {
            tokens.push(bearer.trim_start_matches("Bearer ").to_string());
        }
        if let Some((_, key)) = request.body.rsplit_once("&jKey=") {
            tokens.push(key.trim().to_string());
        }
        for field in ["refreshToken", "refresh_token", "code", "request_code"] {
            if let Ok(json) = serde_json::from_str::<serde_json::Value>(
                request
                    .body
                    .trim_start_matches("jData=")
                    .split("&jKey=")
                    .next()
                    .unwrap(),
            ) && let Some(value) = json.get(field).and_then(|v| v.as_str())
            {
                tokens.push(value.to_string());
            }
        }
    }
    tokens.retain(|t| t.len() >= 8);
    tokens
}

/// The TOTP codes and password hashes the library computed and sent.
fn computed_codes(sim: &Sim) -> Vec<String> {
    let mut codes = Vec::new();
    for request in sim.requests() {
        let json = request
            .body
            .trim_start_matches("jData=")
            .split("&jKey=")
            .next()
            .unwrap()
            .to_string();
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(&json) {
            for field in ["totp", "factor2", "pwd", "appkey", "checksum", "api_secret"] {
                if let Some(value) = json.get(field).and_then(|v| v.as_str()) {
                    codes.push(value.to_string());
                }
            }
        }
    }
    codes.retain(|c| c.len() >= 6);
    codes
}

/// Error messages and log lines must not hold even a computed code.
fn assert_codes_absent(codes: &[String], texts: &[String], log: &str) {
    for text in texts {
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(text)
            && let Some(message) = json.get("message").and_then(|m| m.as_str())
        {
            for code in codes {
                assert!(
                    !message.contains(code.as_str()),
                    "a computed code leaked into {message}"
                );
            }
        }
    }
    for line in log.lines() {
        for code in codes {
            assert!(
                !line.contains(code.as_str()),
                "a computed code leaked into the log: {line}"
            );
        }
    }
}

fn log_path(name: &str) -> std::path::PathBuf {
    let path =
        std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("secrets-{name}.log"));
    let _ = std::fs::remove_file(&path);
    path
}

#[test]
fn angel_one_never_leaks_a_secret() {
    let sim = sim();
    let account = AngelAccount {
        api_key: "key-Q7vX2mZp".into(),
        client_code: "S9001".into(),
        pin: "8642".into(),
        totp_secret: "KRUGS4ZANFZSAYJAONSWG4TFOQ".into(),
        ..AngelAccount::demo()
    };
    sim.add_angel_account(account.clone());
    let log = log_path("angel");
    let config = format!(
        r#"{{"broker":"angelone","api_key":"{}","client_code":"S9001","base_url":"{}","timeout_ms":2000,"log_level":"debug","log_file":"{}","rate_limits":"off"}}"#,
        account.api_key,
        sim.angel_base_url(),
        log.display()
    );
    let credentials = format!(
        r#"{{"pin":"8642","totp_secret":"{}"}}"#,
        account.totp_secret
    );
    let (created, handle) = new_session(&config);
    let handle = handle.unwrap();
    let mut texts = vec![created.text, handle.login_url().text];
    texts.push(handle.login(&credentials).text);
    texts.push(handle.login(r#"{"pin":"5319","totp":"135790"}"#).text); // wrong PIN
    texts.push(handle.login(r#"{"pin":5319,"totp":"135790"}"#).text); // mistyped PIN
    texts.push(handle.login(r#"{"pin":"5319","totp":"13579x"}"#).text); // malformed TOTP
    texts.extend([
        handle.profile().text,
        handle.rms().text,
        handle.refresh().text,
    ]);
    sim.expire_angel_sessions("S9001");
    texts.push(handle.rms().text); // auto-refresh
    sim.inject("*", Fault::Reset, FaultTimes::Next(3));
    texts.push(handle.profile().text); // retries, then a network error
    sim.inject("*", Fault::HtmlFirewall, FaultTimes::Next(3));
    texts.push(handle.rms().text);
    sim.expire_angel_sessions("S9001");
    sim.expire_angel_refresh_tokens("S9001");
    texts.push(handle.rms().text); // a refresh that fails
    texts.push(handle.refresh().text);
    let exported = handle.export().text;
    texts.push(handle.logout().text);
    texts.push(
        handle
            .import(&exported.replace("\"brokerlink_session\":1", "\"brokerlink_session\":9"))
            .text,
    );
    texts.push(
        handle
            .import(&exported.replace("\"access_token\":\"", "\"access_token\":7,\"x\":\""))
            .text,
    );

    let mut secrets = vec![
        "8642".to_string(),
        "5319".into(),
        "135790".into(),
        "13579x".into(),
    ];
    secrets.extend([account.totp_secret.clone(), account.api_key.clone()]);
    secrets.extend(tokens_seen(&sim));
    let secrets = Secrets { values: secrets };
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(
        log_text.lines().count() >= 10,
        "the log records the requests:\n{log_text}"
    );
    assert!(log_text.contains("DEBUG"), "debug lines were written");
    assert_codes_absent(&computed_codes(&sim), &texts, &log_text);
    // The login URL carries the app's API key, as Angel One's page requires.
    let login_url = texts.remove(1);
    assert!(login_url.contains(&account.api_key));
    for text in &texts {
        secrets.assert_absent("a result or error", text);
    }
    for line in log_text.lines() {
        secrets.assert_absent("the log", line);
    }
    // The export, and only the export, holds the tokens.
    assert!(
        tokens_seen(&sim)
            .iter()
            .any(|t| exported.contains(t.as_str()))
    );
}

#[test]
fn noren_never_leaks_a_secret() {
    let sim = sim_with_quickauth();
    let demo = NorenAccount::demo("shoonya");
    let log = log_path("noren");
    let log_keys = format!(
        r#""log_level":"debug","log_file":"{}","max_retries":1"#,
        log.display()
    );
    let mut texts = Vec::new();

    // OAuth: code exchange, reused code, profile, funds, refresh (unsupported), logout.
    let oauth = Handle::new(&noren_config(&sim, "shoonya", &log_keys));
    let code = noren_code(&sim, "shoonya");
    texts.push(oauth.login(&format!(r#"{{"code":"{code}"}}"#)).text);
    texts.push(
        oauth
            .login(&format!(
                r#"{{"redirect_url":"http://127.0.0.1/cb?code={code}"}}"#
            ))
            .text,
    );
    texts.extend([oauth.profile().text, oauth.rms().text, oauth.refresh().text]);
    sim.expire_noren_sessions("shoonya", &demo.user_id);
    texts.push(oauth.rms().text);
    texts.push(oauth.logout().text);

    // Password login: success and every refusal.
    let password = Handle::new(&quickauth_config(&sim, &log_keys));
    let good = format!(
        r#"{{"password":"{}","totp_secret":"{}"}}"#,
        demo.password, demo.totp_secret
    );
    texts.push(
        password
            .login(r#"{"password":"Wr0ng-Pa55","totp":"246801"}"#)
            .text,
    );
    texts.push(
        password
            .login(&format!(
                r#"{{"password":"{}","totp":"246801"}}"#,
                demo.password
            ))
            .text,
    );
    texts.push(password.login(&good).text);
    texts.extend([
        password.profile().text,
        password.rms().text,
        password.logout().text,
    ]);

    // Flattrade's token service.
    let flattrade = Handle::new(&noren_config(&sim, "flattrade", &log_keys));
    let request_code = noren_code(&sim, "flattrade");
    texts.push(
        flattrade
            .login(&format!(r#"{{"code":"{request_code}"}}"#))
            .text,
    );
    texts.push(
        flattrade
            .login(&format!(r#"{{"code":"{request_code}"}}"#))
            .text,
    ); // reused
    texts.push(flattrade.rms().text);

    let flattrade_demo = NorenAccount::demo("flattrade");
    let mut secrets = vec![
        demo.password.clone(),
        "Wr0ng-Pa55".into(),
        "246801".into(),
        demo.totp_secret.clone(),
        demo.secret.clone(),
        demo.api_secret.clone(),
        flattrade_demo.secret.clone(),
        flattrade_demo.api_key.clone(),
    ];
    secrets.extend(tokens_seen(&sim));
    let secrets = Secrets { values: secrets };
    for text in &texts {
        secrets.assert_absent("a result or error", text);
    }
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(
        log_text.contains("GenAcsTok")
            && log_text.contains("QuickAuth")
            && log_text.contains("apitoken"),
        "{log_text}"
    );
    for line in log_text.lines() {
        secrets.assert_absent("the log", line);
    }
}

#[test]
fn debug_strings_of_parsed_config_and_credentials_hide_secrets() {
    use brokerlink::fuzzing::parse_config;
    let config = parse_config(
        r#"{"broker":"noren","preset":"zebu","client_id":"c","secret":"Sec-Ret-77","api_secret":"Api-Sec-88","proxy":"http://u:Pr0xy-Pw@127.0.0.1:3128"}"#,
    )
    .unwrap();
    let text = format!("{config:?}");
    for secret in ["Sec-Ret-77", "Api-Sec-88", "Pr0xy-Pw"] {
        assert!(!text.contains(secret), "{text}");
    }
    let angel =
        parse_config(r#"{"broker":"angelone","api_key":"Key-Zz-99","client_code":"C"}"#).unwrap();
    assert!(!format!("{angel:?}").contains("Key-Zz-99"));
    let credentials = angel
        .parse_credentials(r#"{"pin":"8642","totp_secret":"KRUGS4ZANFZSAYJAONSWG4TFOQ"}"#)
        .unwrap();
    let text = format!("{credentials:?}");
    assert!(
        !text.contains("8642") && !text.contains("KRUGS4ZA"),
        "{text}"
    );
}
