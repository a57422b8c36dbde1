//! Browser logins (Fyers on brokersim): the redirect caught on loopback
//! with the test playing the browser, the address pasted on stdin, a
//! tampered `state` refused, and a browser that never comes back.

use crate::support::*;
use brokersim::{FyersAccount, Sim};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

/// A free port on 127.0.0.1 (taken by the tool a moment later).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A profile `fyers` for brokersim's demo app registered with `redirect_uri`.
fn fyers_profile(sim: &Sim, dir: &Path, redirect_uri: &str) -> (PathBuf, PathBuf) {
    let demo = FyersAccount::demo();
    sim.add_fyers_account(FyersAccount {
        redirect_uri: redirect_uri.into(),
        ..demo.clone()
    });
    let session = dir.join("fyers.json");
    let text = format!(
        r#"[profiles.fyers]
broker = "fyers"
app_id = {}
app_secret = {}
redirect_uri = {}
base_url = {}
timeout_ms = 3000
session_file = {}
"#,
        quoted(&demo.app_id),
        quoted(&demo.app_secret),
        quoted(redirect_uri),
        quoted(&sim.fyers_base_url()),
        quoted(session.to_str().unwrap())
    );
    (write_profiles(dir, &text), session)
}

/// Starts `brokerlink login`, and reads the login address it prints. The
/// caller waits for the child ([`finish`]).
#[allow(clippy::zombie_processes)]
fn start_login(
    config: &Path,
    extra: &[&str],
) -> (Child, String, BufReader<std::process::ChildStderr>) {
    let mut child = cli_process(config)
        .args(["--json", "login", "--no-browser"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        if stderr.read_line(&mut line).unwrap_or(0) == 0 {
            let _ = child.kill();
            let status = child.wait();
            panic!("the tool printed no login address ({status:?})");
        }
        if let Some(url) = line.trim().strip_prefix("Log in at: ") {
            return (child, url.to_string(), stderr);
        }
    }
}

/// What a browser does with an address: GET it, return the whole reply.
fn get(address: &str) -> String {
    let rest = address.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = TcpStream::connect(host).unwrap();
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    reply
}

/// Waits for the tool to finish: its exit code, stdout and the rest of stderr.
fn finish(
    mut child: Child,
    mut stderr: BufReader<std::process::ChildStderr>,
) -> (i32, String, String) {
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let mut err = String::new();
    stderr.read_to_string(&mut err).unwrap();
    (child.wait().unwrap().code().unwrap(), out, err)
}

#[test]
fn oauth_login_is_caught_on_loopback_with_the_test_as_the_browser() {
    let sim = sim();
    let dir = scratch("loopback");
    let redirect = format!("http://127.0.0.1:{}/fyers/callback", free_port());
    let (config, session) = fyers_profile(&sim, &dir, &redirect);
    let (child, url, stderr) = start_login(&config, &["--wait", "120"]);
    let landed = brokersim::browse(&url).expect("the login page redirects");
    assert!(landed.starts_with(&redirect), "{landed}");
    // A browser asks for a favicon too: answered, not taken for the login.
    let favicon = get(&format!(
        "{}/favicon.ico",
        redirect.rsplit_once('/').unwrap().0
    ));
    assert!(favicon.starts_with("HTTP/1.1 404"), "{favicon}");
    let page = get(&landed);
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(
        page.contains("Logged in") && page.contains("close this tab"),
        "{page}"
    );
    let (code, out, err) = finish(child, stderr);
    assert_eq!(code, 0, "{err}");
    let info: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(info["user_id"], FyersAccount::demo().fy_id);
    assert!(session.exists());
    cli(&config).args(["funds", "--json"]).assert().success();
}

#[test]
fn a_redirect_with_another_state_is_refused_and_nothing_is_saved() {
    let sim = sim();
    let dir = scratch("loopback_state");
    let redirect = format!("http://127.0.0.1:{}/cb", free_port());
    let (config, session) = fyers_profile(&sim, &dir, &redirect);
    let (child, url, stderr) = start_login(&config, &["--wait", "120"]);
    let landed = brokersim::browse(&url).unwrap();
    let (before, _) = landed.split_once("state=").unwrap();
    let page = get(&format!("{before}state=forged"));
    assert!(page.starts_with("HTTP/1.1 400"), "{page}");
    let (code, _, err) = finish(child, stderr);
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("state"), "{err}");
    assert!(!session.exists(), "nothing saved");
}

#[test]
fn oauth_login_takes_a_pasted_address_when_the_redirect_is_not_loopback() {
    let sim = sim();
    let dir = scratch("paste");
    let (config, session) = fyers_profile(&sim, &dir, "https://example.com/fyers/callback");
    let (mut child, url, stderr) = start_login(&config, &[]);
    let landed = brokersim::browse(&url).unwrap();
    assert!(
        landed.starts_with("https://example.com/fyers/callback?"),
        "{landed}"
    );
    writeln!(child.stdin.take().unwrap(), "{landed}").unwrap();
    let (code, out, err) = finish(child, stderr);
    assert_eq!(code, 0, "{err}");
    let info: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(info["user_id"], FyersAccount::demo().fy_id);
    assert!(session.exists());
}

#[test]
fn a_browser_that_never_comes_back_times_out_and_saves_nothing() {
    let sim = sim();
    let dir = scratch("loopback_timeout");
    let redirect = format!("http://127.0.0.1:{}/cb", free_port());
    let (config, session) = fyers_profile(&sim, &dir, &redirect);
    let (child, _url, stderr) = start_login(&config, &["--wait", "1"]);
    let (code, _, err) = finish(child, stderr);
    assert_eq!(code, 9, "TIMEOUT: {err}");
    assert!(err.contains("did not come back"), "{err}");
    assert!(!session.exists());
}
