//! Proxies through the C ABI, through a real forward proxy on 127.0.0.1
//! (`crate::support::proxy`): config `proxy` with and without credentials, plain
//! HTTP forwarded and HTTPS tunnelled with CONNECT, wrong credentials, and
//! the standard `HTTP_PROXY` / `HTTPS_PROXY` / `NO_PROXY` variables.
//!
//! Environment variables are process-wide, so the tests about them run the
//! session in a child process (this test binary again, running only
//! `child_runs_the_angel_flow`) whose environment is set exactly; the
//! simulator and the proxy stay in the parent, which checks what they saw.

use crate::support::angel_paths::{LOGIN, LOGOUT, PROFILE, REFRESH, RMS};
use crate::support::proxy::Proxy;
use crate::support::*;
use brokerlink::Status;
use brokersim::{Sim, SimOptions, SimTls};
use serde_json::{Value, json};

/// A proxy password that must never show up in a result or an error.
const PROXY_PASSWORD: &str = "pr0xy-pa55word";

fn https_sim() -> Sim {
    Sim::start_with(SimOptions {
        rate_limits: false,
        tls: Some(SimTls::Valid),
        ..SimOptions::default()
    })
    .expect("an HTTPS brokersim starts")
}

/// The config key `"proxy"`.
fn proxy_key(url: &str) -> String {
    format!(r#""proxy":{}"#, serde_json::to_string(url).unwrap())
}

/// The config key `"ca_file"` naming the simulator's CA.
fn ca_file_key(sim: &Sim) -> String {
    let path = sim.ca_file().expect("an HTTPS sim");
    format!(
        r#""ca_file":{}"#,
        serde_json::to_string(path.to_str().unwrap()).unwrap()
    )
}

/// `host:port` of the simulator.
fn authority(sim: &Sim) -> String {
    let base = sim.base_url();
    base.split("://").nth(1).unwrap().to_owned()
}

/// Login, profile, RMS, refresh and logout, each expected to succeed.
fn run_angel_flow(handle: &Handle) {
    handle.login(&angel_credentials()).ok();
    handle.profile().ok();
    handle.rms().ok();
    handle.refresh().ok();
    handle.logout().ok();
}

fn sim_paths(sim: &Sim) -> Vec<String> {
    sim.requests().iter().map(|r| r.path.clone()).collect()
}

#[test]
fn config_proxy_forwards_every_plain_http_request_and_the_sim_still_sees_them() {
    let sim = sim();
    let proxy = Proxy::start();
    let handle = Handle::new(&angel_config(&sim, &proxy_key(&proxy.url())));
    run_angel_flow(&handle);
    assert_eq!(sim_paths(&sim), [LOGIN, PROFILE, RMS, REFRESH, LOGOUT]);
    let base = sim.base_url();
    assert_eq!(
        proxy.log(),
        [
            format!("POST {base}{LOGIN}"),
            format!("GET {base}{PROFILE}"),
            format!("GET {base}{RMS}"),
            format!("POST {base}{REFRESH}"),
            format!("POST {base}{LOGOUT}"),
        ]
    );
    assert_eq!(proxy.handled(), 5);
}

#[test]
fn config_proxy_tunnels_https_with_connect_and_certificates_are_still_checked() {
    let sim = https_sim();
    let proxy = Proxy::start();
    let keys = format!("{},{}", proxy_key(&proxy.url()), ca_file_key(&sim));
    let handle = Handle::new(&angel_config(&sim, &keys));
    run_angel_flow(&handle);
    assert_eq!(sim_paths(&sim), [LOGIN, PROFILE, RMS, REFRESH, LOGOUT]);
    let log = proxy.log();
    assert!(!log.is_empty());
    let connect = format!("CONNECT {}", authority(&sim));
    assert!(log.iter().all(|line| *line == connect), "{log:?}");

    // Through the tunnel the client still verifies the server: without the
    // CA, the same proxy and sim give a TLS error.
    sim.clear_log();
    let handle = Handle::new(&angel_config(&sim, &proxy_key(&proxy.url())));
    let reply = handle.login(&angel_credentials());
    let message = reply.err(s(Status::Tls))["message"].as_str().unwrap();
    assert!(
        message.contains("not signed by a trusted authority"),
        "{message}"
    );
    assert!(sim.requests().is_empty());
}

#[test]
fn proxy_credentials_in_the_url_are_sent_for_http_and_https() {
    let proxy = Proxy::with_credentials("trader", PROXY_PASSWORD);
    let url = proxy.url_with_credentials("trader", PROXY_PASSWORD);

    let plain = sim();
    let handle = Handle::new(&angel_config(&plain, &proxy_key(&url)));
    run_angel_flow(&handle);
    assert_eq!(plain.requests().len(), 5);
    assert!(
        plain.requests().iter().all(|r| r
            .headers
            .iter()
            .all(|(name, _)| name != "proxy-authorization")),
        "the proxy's credentials are for the proxy, not the broker"
    );

    let tls = https_sim();
    let keys = format!("{},{}", proxy_key(&url), ca_file_key(&tls));
    let handle = Handle::new(&angel_config(&tls, &keys));
    run_angel_flow(&handle);
    assert_eq!(tls.requests().len(), 5);
    assert_eq!(proxy.refused(), 0);
}

/// What a proxy that refuses the credentials gives: NETWORK (the broker was
/// never reached, so it is neither AUTH nor BROKER), not retryable, naming
/// the proxy and the "proxy" key, never the password.
#[track_caller]
fn assert_proxy_refused(reply: &Reply) {
    let error = reply.err(s(Status::Network));
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("proxy") && message.contains("407") && message.contains("\"proxy\""),
        "{message}"
    );
    assert_eq!(error["retryable"], false, "{}", reply.text);
    assert!(!reply.text.contains(PROXY_PASSWORD), "{}", reply.text);
    assert!(!reply.text.contains("wrong-password"), "{}", reply.text);
}

#[test]
fn wrong_or_missing_proxy_credentials_are_a_network_error_without_the_password() {
    let proxy = Proxy::with_credentials("trader", PROXY_PASSWORD);
    let wrong = proxy.url_with_credentials("trader", "wrong-password");
    let plain = sim();
    let tls = https_sim();
    for url in [wrong.as_str(), &proxy.url()] {
        let refused_before = proxy.refused();
        // Plain HTTP: the proxy answers the forwarded request with 407.
        let handle = Handle::new(&angel_config(&plain, &format!("{},{RAW}", proxy_key(url))));
        assert_proxy_refused(&handle.login(&angel_credentials()));
        // HTTPS: the proxy refuses the CONNECT with 407.
        let keys = format!("{},{},{RAW}", proxy_key(url), ca_file_key(&tls));
        let handle = Handle::new(&angel_config(&tls, &keys));
        assert_proxy_refused(&handle.login(&angel_credentials()));
        assert_eq!(proxy.refused(), refused_before + 2, "{url}");
    }
    assert!(plain.requests().is_empty() && tls.requests().is_empty());
    assert_eq!(proxy.handled(), 0);
}

#[test]
fn a_proxy_that_is_not_listening_is_a_network_error() {
    let sim = sim();
    let url = format!("http://trader:{PROXY_PASSWORD}@127.0.0.1:{}", closed_port());
    let handle = Handle::new(&angel_config(&sim, &format!("{},{RAW}", proxy_key(&url))));
    let reply = handle.login(&angel_credentials());
    reply.err(s(Status::Network));
    assert!(!reply.text.contains(PROXY_PASSWORD), "{}", reply.text);
    assert!(sim.requests().is_empty());
}

#[test]
fn a_proxy_url_that_is_not_http_is_an_invalid_argument_that_hides_the_password() {
    let sim = sim();
    for url in [
        format!("socks5://trader:{PROXY_PASSWORD}@127.0.0.1:1080"),
        format!("trader:{PROXY_PASSWORD}@127.0.0.1:1080"),
        "not a url".to_string(),
    ] {
        let (reply, handle) = new_session(&angel_config(&sim, &proxy_key(&url)));
        assert!(handle.is_none());
        let error = reply.err(s(Status::InvalidArgument));
        assert!(
            error["message"].as_str().unwrap().contains("\"proxy\""),
            "{}",
            reply.text
        );
        assert!(!reply.text.contains(PROXY_PASSWORD), "{}", reply.text);
    }
}

// ---- The environment: in a child process ----------------------------------

/// Set by the parent: the config the child's session uses.
const CHILD_CONFIG: &str = "BROKERLINK_TEST_CHILD_CONFIG";

/// Every variable that can steer a proxy (`REQUEST_METHOD` makes reqwest
/// ignore them all, as in a CGI script): cleared in the child before the
/// test's own are set, so the machine's settings cannot change the outcome.
const PROXY_VARIABLES: [&str; 9] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "REQUEST_METHOD",
];

/// Runs the Angel One flow in a child process with exactly `env` among the
/// proxy variables; returns the status of login and of getRMS.
fn angel_flow_in_child(config: &str, env: &[(&str, &str)]) -> (i64, i64) {
    let output = run_test_alone("proxy::child_runs_the_angel_flow", |command| {
        for name in PROXY_VARIABLES {
            command.env_remove(name);
        }
        command.env(CHILD_CONFIG, config).envs(env.iter().copied());
    });
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("CHILD-RESULT ").map(|(_, result)| result))
        .unwrap_or_else(|| {
            panic!(
                "the child printed no result: {stdout}\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let result: Value = serde_json::from_str(line).unwrap();
    (
        result["login"].as_i64().unwrap(),
        result["rms"].as_i64().unwrap(),
    )
}

/// Not a test of its own: the child process of the environment tests. It
/// does nothing unless the parent set its config.
#[test]
#[ignore = "run in a child process by the environment tests"]
fn child_runs_the_angel_flow() {
    let Ok(config) = std::env::var(CHILD_CONFIG) else {
        return;
    };
    let (reply, handle) = new_session(&config);
    let Some(handle) = handle else {
        panic!("broker_new failed: {}", reply.text);
    };
    let login = handle.login(&angel_credentials());
    let rms = handle.rms();
    let result = json!({ "login": login.status, "rms": rms.status });
    println!("CHILD-RESULT {result}");
}

#[test]
fn http_proxy_from_the_environment_is_used_even_for_loopback_when_no_proxy_is_unset() {
    for variable in ["HTTP_PROXY", "http_proxy", "ALL_PROXY"] {
        let sim = sim();
        let proxy = Proxy::start();
        let result = angel_flow_in_child(&angel_config(&sim, ""), &[(variable, &proxy.url())]);
        assert_eq!(result, (0, 0), "{variable}");
        assert_eq!(
            proxy.handled(),
            2,
            "{variable}: login and getRMS went through the proxy"
        );
        assert_eq!(sim_paths(&sim), [LOGIN, RMS]);
    }
}

#[test]
fn no_proxy_from_the_environment_sends_those_hosts_direct() {
    for no_proxy in ["127.0.0.1", "localhost, 127.0.0.0/8", "*"] {
        let sim = sim();
        let proxy = Proxy::start();
        let env = [
            ("HTTP_PROXY", proxy.url()),
            ("NO_PROXY", no_proxy.to_string()),
        ];
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let result = angel_flow_in_child(&angel_config(&sim, ""), &env);
        assert_eq!(result, (0, 0), "NO_PROXY={no_proxy}");
        assert_eq!(proxy.handled(), 0, "NO_PROXY={no_proxy}");
        assert_eq!(sim_paths(&sim), [LOGIN, RMS]);
    }
}

#[test]
fn https_proxy_from_the_environment_tunnels_https_only() {
    let proxy = Proxy::start();
    let tls = https_sim();
    let proxy_url = proxy.url();
    let env = [("HTTPS_PROXY", proxy_url.as_str())];
    let result = angel_flow_in_child(&angel_config(&tls, &ca_file_key(&tls)), &env);
    assert_eq!(result, (0, 0));
    let log = proxy.log();
    assert!(!log.is_empty(), "HTTPS went through the proxy");
    assert!(
        log.iter()
            .all(|l| *l == format!("CONNECT {}", authority(&tls)))
    );

    let before = proxy.handled();
    let plain = sim();
    let result = angel_flow_in_child(&angel_config(&plain, ""), &env);
    assert_eq!(result, (0, 0));
    assert_eq!(
        proxy.handled(),
        before,
        "plain HTTP does not use HTTPS_PROXY"
    );
}

#[test]
fn config_proxy_wins_over_the_environment_and_ignores_no_proxy() {
    let sim = sim();
    let proxy = Proxy::start();
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let config = angel_config(&sim, &proxy_key(&proxy.url()));
    let env = [
        ("HTTP_PROXY", dead.as_str()),
        ("ALL_PROXY", dead.as_str()),
        ("NO_PROXY", "127.0.0.1,localhost"),
    ];
    let result = angel_flow_in_child(&config, &env);
    assert_eq!(result, (0, 0));
    assert_eq!(
        proxy.handled(),
        2,
        "the configured proxy carried both requests, whatever NO_PROXY says"
    );
    assert_eq!(sim_paths(&sim), [LOGIN, RMS]);
}

#[test]
fn a_proxy_that_cannot_reach_an_https_broker_is_a_network_error_naming_the_proxy() {
    let proxy = Proxy::start();
    let demo = brokersim::AngelAccount::demo();
    // The proxy answers the CONNECT with 502: nothing listens there.
    let config = format!(
        r#"{{"broker":"angelone","api_key":"{}","client_code":"{}","base_url":"https://127.0.0.1:{}","timeout_ms":3000,{},{RAW}}}"#,
        demo.api_key,
        demo.client_code,
        closed_port(),
        proxy_key(&proxy.url())
    );
    let handle = Handle::new(&config);
    let reply = handle.login(&angel_credentials());
    let message = reply.err(s(Status::Network))["message"].as_str().unwrap();
    assert!(
        message.contains("the proxy would not open a connection"),
        "{message}"
    );
}
