//! The commands of a TOTP broker (Angel One) end to end: login, funds as a
//! table and as JSON, status before and after logout, refresh, totp,
//! brokers, the exit code of each failure class, and profile refusals.

use crate::support::*;
use brokersim::AngelAccount;
use predicates::str::contains;

#[test]
fn totp_login_saves_the_session_and_funds_use_it_without_a_login() {
    let sim = sim();
    let dir = scratch("totp_login");
    let session = dir.join("angel.json");
    let config = write_profiles(&dir, &angel_profile(&sim, &session));
    let login = cli(&config).args(["--json", "login"]).output().unwrap();
    assert!(login.status.success(), "{}", stderr_of(&login));
    let info = json_of(&login);
    assert_eq!(info["user_id"], AngelAccount::demo().client_code);
    assert!(session.exists(), "the session is saved");
    assert_eq!(sim.requests_to(ANGEL_LOGIN).len(), 1);

    // Funds as a table: one row per field, no raw payload.
    let table = cli(&config).arg("funds").output().unwrap();
    assert!(table.status.success(), "{}", stderr_of(&table));
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.lines().any(|l| l.starts_with("available_cash ")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("broker ") && l.ends_with("angelone")),
        "{text}"
    );
    assert!(!text.contains("raw"), "{text}");

    // Funds as JSON, with the broker's payload.
    let funds = json_of(&cli(&config).args(["funds", "--json"]).output().unwrap());
    assert!(funds["available_cash"].is_number(), "{funds}");
    assert!(funds["raw"].is_object(), "{funds}");
    assert_eq!(sim.requests_to(ANGEL_LOGIN).len(), 1, "no second login");

    let profile = json_of(
        &cli(&config)
            .args(["--json", "profile", "angel"])
            .output()
            .unwrap(),
    );
    assert_eq!(profile["user_id"], AngelAccount::demo().client_code);
}

#[test]
fn status_before_login_after_login_and_after_logout() {
    let sim = sim();
    let dir = scratch("status");
    let session = dir.join("angel.json");
    let config = write_profiles(&dir, &angel_profile(&sim, &session));
    let before = json_of(&cli(&config).args(["--json", "status"]).output().unwrap());
    assert_eq!(before["logged_in"], false, "{before}");
    assert!(before.get("user_id").is_none(), "{before}");

    cli(&config).arg("login").assert().success();
    let during = json_of(&cli(&config).args(["--json", "status"]).output().unwrap());
    assert_eq!(during["logged_in"], true, "{during}");
    assert_eq!(during["user_id"], AngelAccount::demo().client_code);
    assert!(during["access_expires_at"].is_string(), "{during}");
    assert_eq!(during["session_file"], session.to_str().unwrap());
    cli(&config)
        .arg("status")
        .assert()
        .success()
        .stdout(contains("logged_in"))
        .stdout(contains("true"));

    cli(&config).arg("logout").assert().success();
    assert!(!session.exists(), "logout removes the session file");
    let after = json_of(&cli(&config).args(["--json", "status"]).output().unwrap());
    assert_eq!(after["logged_in"], false, "{after}");
}

#[test]
fn login_if_needed_logs_in_only_without_a_stored_session() {
    let sim = sim();
    let dir = scratch("if_needed");
    let session = dir.join("angel.json");
    let config = write_profiles(&dir, &angel_profile(&sim, &session));
    cli(&config)
        .args(["login", "--if-needed"])
        .assert()
        .success();
    assert_eq!(sim.requests_to(ANGEL_LOGIN).len(), 1);
    let again = json_of(
        &cli(&config)
            .args(["--json", "login", "--if-needed"])
            .output()
            .unwrap(),
    );
    assert_eq!(again["logged_in"], true, "{again}");
    assert_eq!(sim.requests_to(ANGEL_LOGIN).len(), 1, "no second login");
    // Without the flag, login always logs in.
    cli(&config).arg("login").assert().success();
    assert_eq!(sim.requests_to(ANGEL_LOGIN).len(), 2);
}

#[test]
fn refresh_saves_new_tokens_for_the_next_command() {
    let sim = sim();
    let (config, session) = logged_in(&sim, "refresh");
    let before = std::fs::read_to_string(&session).unwrap();
    cli(&config).args(["--json", "refresh"]).assert().success();
    assert_eq!(sim.requests_to(ANGEL_REFRESH).len(), 1);
    assert_ne!(std::fs::read_to_string(&session).unwrap(), before);
    cli(&config).arg("funds").assert().success();
}

#[test]
fn totp_prints_the_current_code() {
    let sim = sim();
    let dir = scratch("totp");
    let config = write_profiles(&dir, &angel_profile(&sim, &dir.join("s.json")));
    let code = json_of(&cli(&config).args(["--json", "totp"]).output().unwrap());
    let digits = code["code"].as_str().unwrap();
    assert!(
        digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()),
        "{code}"
    );
}

#[test]
fn brokers_lists_every_family_and_preset_with_its_logins() {
    let output = assert_cmd::Command::new(env!("CARGO_BIN_EXE_brokerlink"))
        .args(["brokers", "--json"])
        .output()
        .unwrap();
    let brokers = json_of(&output);
    let names: Vec<&str> = brokers
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["broker"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["angelone", "noren", "zerodha", "upstox", "fyers", "dhan"]
    );
    let noren = &brokers[1];
    assert!(
        noren["presets"]
            .as_array()
            .unwrap()
            .contains(&"shoonya".into())
    );
    assert!(
        noren["logins"]
            .as_array()
            .unwrap()
            .contains(&"oauth".into())
    );
    assert_eq!(brokers[0]["logins"], serde_json::json!(["pin_totp"]));
}

/// Runs the tool and returns its exit code and stderr.
fn exit_code(command: &mut assert_cmd::Command) -> (i32, String) {
    let output = command.output().unwrap();
    (output.status.code().unwrap(), stderr_of(&output))
}

#[test]
fn exit_code_is_the_status_number_of_each_failure_class() {
    let sim = sim();
    let dir = scratch("exit_codes");
    let session = dir.join("angel.json");
    let config = write_profiles(&dir, &angel_profile(&sim, &session));

    // INVALID_ARGUMENT: a bad command line, an unknown profile.
    assert_eq!(exit_code(cli(&config).arg("no-such-command")).0, 1);
    let (code, stderr) = exit_code(cli(&config).args(["funds", "nobody"]));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("INVALID_ARGUMENT") && stderr.contains("\"nobody\""),
        "{stderr}"
    );

    // NOT_LOGGED_IN: funds before any login.
    let (code, stderr) = exit_code(cli(&config).arg("funds"));
    assert_eq!(code, 3, "{stderr}");

    // AUTH: a wrong PIN, with the reason and the broker's code.
    let (code, stderr) = exit_code(cli(&config).arg("login").env("ANGEL_PIN", "0000"));
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("AUTH"), "{stderr}");
    assert!(!stderr.contains("0000"), "no secret in an error: {stderr}");

    // SESSION_EXPIRED: the tokens and the refresh token dead at the broker.
    cli(&config).arg("login").assert().success();
    let client = AngelAccount::demo().client_code;
    sim.expire_angel_sessions(&client);
    sim.expire_angel_refresh_tokens(&client);
    let (code, stderr) = exit_code(cli(&config).arg("funds"));
    assert_eq!(code, 5, "{stderr}");

    // NETWORK: nothing listens at the base URL; with --json the error object.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let moved = write_profiles(
        &scratch("exit_codes_network"),
        &angel_profile(&sim, &dir.join("other.json"))
            .replace(&sim.angel_base_url(), &format!("http://127.0.0.1:{closed}")),
    );
    let output = cli(&moved).args(["--json", "login"]).output().unwrap();
    assert_eq!(output.status.code(), Some(8), "{}", stderr_of(&output));
    let error: serde_json::Value = serde_json::from_slice(&output.stderr).unwrap();
    assert_eq!(error["code"], "NETWORK");
}

#[test]
fn a_profile_file_others_can_read_is_refused_when_it_holds_a_secret() {
    let sim = sim();
    let dir = scratch("readable");
    let demo = AngelAccount::demo();
    let text = angel_profile(&sim, &dir.join("angel.json"))
        .replace("pin = \"env:ANGEL_PIN\"\n", "")
        .replace(
            "[profiles.angel.secrets]",
            &format!("pin = {}\n\n[profiles.angel.secrets]", quoted(&demo.pin)),
        );
    let config = write_profiles(&dir, &text);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (code, stderr) = exit_code(cli(&config).arg("login"));
        assert_eq!(code, 1, "{stderr}");
        assert!(
            stderr.contains("profiles.angel.pin") && stderr.contains("chmod 600"),
            "{stderr}"
        );
        assert!(!stderr.contains(&demo.pin), "{stderr}");
        assert!(sim.requests_to(ANGEL_LOGIN).is_empty(), "nothing was sent");
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    // Owner-only, the same file is used.
    cli(&config).arg("login").assert().success();
}

#[test]
fn a_corrupt_session_file_is_reported_with_its_path() {
    let sim = sim();
    let dir = scratch("corrupt");
    let session = dir.join("angel.json");
    let config = write_profiles(&dir, &angel_profile(&sim, &session));
    std::fs::write(&session, "garbage").unwrap();
    let (code, stderr) = exit_code(cli(&config).arg("status"));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("not a brokerlink session file") && stderr.contains("angel.json"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&session).unwrap(), "garbage");
}
