//! A C program (cli/tests/c/session_share.c, built against
//! include/brokerlink.h and the cdylib) and the tool share one session file
//! across processes: the C program logs in and the tool reads funds without
//! a login; a refresh by one is used by the other; processes saving at once
//! leave a valid file; a corrupt file is reported to both.

use crate::support::*;
use brokersim::{AngelAccount, Sim};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// The C program, compiled once with every warning an error.
fn program() -> &'static Path {
    static PROGRAM: OnceLock<PathBuf> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        let lib = exe.parent().unwrap().parent().unwrap().to_path_buf();
        let so = format!(
            "{}brokerlink{}",
            std::env::consts::DLL_PREFIX,
            std::env::consts::DLL_SUFFIX
        );
        assert!(
            lib.join(&so).exists(),
            "the cdylib is not in {} (run `cargo build -p brokerlink` first, as `make test` does)",
            lib.display()
        );
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("session_share");
        let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
            .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-g"])
            .arg(format!("-I{WORKSPACE}/include"))
            .arg(format!("{WORKSPACE}/cli/tests/c/session_share.c"))
            .arg("-o")
            .arg(&out)
            .arg(format!("-L{}", lib.display()))
            .arg(format!("-Wl,-rpath,{}", lib.display()))
            .arg("-lbrokerlink")
            .status()
            .expect("a C compiler (cc) is installed");
        assert!(status.success(), "compiling session_share.c failed");
        out
    })
}

/// The C program's config: the profile's, as JSON.
fn c_config(sim: &Sim, session: &Path) -> String {
    let demo = AngelAccount::demo();
    serde_json::json!({
        "broker": "angelone",
        "api_key": demo.api_key,
        "client_code": demo.client_code,
        "base_url": sim.angel_base_url(),
        "timeout_ms": 3000,
        "local_ip": "127.0.0.1",
        "mac_address": "00:00:00:00:00:00",
        "session_file": session.to_str().unwrap(),
    })
    .to_string()
}

fn c_credentials() -> String {
    let demo = AngelAccount::demo();
    format!(
        "login:{}",
        serde_json::json!({"pin": demo.pin, "totp_secret": demo.totp_secret})
    )
}

/// Runs the C program to the end: exit code and stdout.
fn run_c(config: &str, steps: &[&str]) -> (i32, String) {
    let output = Command::new(program())
        .arg(config)
        .args(steps)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// A profile file for the same account and session file.
fn profile(sim: &Sim, dir: &Path, session: &Path) -> PathBuf {
    write_profiles(dir, &angel_profile(sim, session))
}

#[test]
fn the_c_program_logs_in_and_the_tool_reads_funds_without_a_login() {
    let sim = sim();
    let dir = scratch("c_login");
    let session = dir.join("angel.json");
    let (code, out) = run_c(&c_config(&sim, &session), &[&c_credentials()]);
    assert_eq!(code, 0, "{out}");
    let config = profile(&sim, &dir, &session);
    let status = json_of(&cli(&config).args(["--json", "status"]).output().unwrap());
    assert_eq!(status["logged_in"], true, "{status}");
    let funds = json_of(&cli(&config).args(["--json", "funds"]).output().unwrap());
    assert!(funds["available_cash"].is_number(), "{funds}");
    assert_eq!(
        sim.requests_to(ANGEL_LOGIN).len(),
        1,
        "the tool did not log in"
    );

    // And the other way: the tool logs out, the C program finds no session.
    cli(&config).arg("logout").assert().success();
    let (code, out) = run_c(&c_config(&sim, &session), &["rms"]);
    assert_eq!(code, 3, "NOT_LOGGED_IN: {out}");
}

#[test]
fn a_refresh_by_the_tool_is_used_by_a_running_c_program_and_back() {
    let sim = sim();
    let dir = scratch("c_refresh");
    let session = dir.join("angel.json");
    let config = profile(&sim, &dir, &session);
    cli(&config).arg("login").assert().success();

    let mut child = Command::new(program())
        .arg(c_config(&sim, &session))
        .args(["rms", "wait", "rms", "wait", "refresh"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next = || lines.next().unwrap().unwrap();
    assert!(next().starts_with("new 0 "));
    assert!(next().starts_with("rms 0 "));

    // The broker ends the session; the tool's funds refresh it once and save it.
    sim.expire_angel_sessions(&AngelAccount::demo().client_code);
    cli(&config).arg("funds").assert().success();
    assert_eq!(sim.requests_to(ANGEL_REFRESH).len(), 1);

    // The running C program takes the refreshed tokens: no refresh of its own.
    writeln!(stdin, "go").unwrap();
    assert!(next().starts_with("wait 0"));
    let rms = next();
    assert!(rms.starts_with("rms 0 "), "{rms}");
    assert_eq!(
        sim.requests_to(ANGEL_REFRESH).len(),
        1,
        "the C program did not refresh"
    );

    // The broker ends the session again; the C program refreshes, and the
    // tool reads with the C program's tokens, without a refresh of its own.
    sim.expire_angel_sessions(&AngelAccount::demo().client_code);
    writeln!(stdin, "go").unwrap();
    assert!(next().starts_with("wait 0"));
    assert!(next().starts_with("refresh 0 "));
    assert!(child.wait().unwrap().success());
    assert_eq!(sim.requests_to(ANGEL_REFRESH).len(), 2);
    cli(&config).arg("funds").assert().success();
    assert_eq!(
        sim.requests_to(ANGEL_REFRESH).len(),
        2,
        "the tool did not refresh"
    );
}

#[test]
fn the_c_program_and_the_tool_refreshing_at_once_leave_a_valid_file() {
    let sim = sim();
    let dir = scratch("c_race");
    let session = dir.join("angel.json");
    let config = profile(&sim, &dir, &session);
    cli(&config).arg("login").assert().success();
    let c = c_config(&sim, &session);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                let (code, out) = run_c(&c, &["refresh", "refresh", "refresh", "rms"]);
                assert_eq!(code, 0, "{out}");
            });
            scope.spawn(|| {
                for _ in 0..3 {
                    cli(&config).arg("refresh").assert().success();
                }
            });
        }
    });
    let status = json_of(&cli(&config).args(["--json", "status"]).output().unwrap());
    assert_eq!(status["logged_in"], true, "{status}");
    cli(&config).arg("funds").assert().success();
    let (code, out) = run_c(&c, &["rms"]);
    assert_eq!(code, 0, "{out}");
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_corrupt_session_file_is_reported_to_both() {
    let sim = sim();
    let dir = scratch("c_corrupt");
    let session = dir.join("angel.json");
    std::fs::write(&session, "{\"brokerlink_session\":1,").unwrap();
    let (code, out) = run_c(&c_config(&sim, &session), &["rms"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("new 1 ") && out.contains("not a brokerlink session file"),
        "{out}"
    );
    let output = cli(&profile(&sim, &dir, &session))
        .arg("funds")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr_of(&output).contains("angel.json"),
        "{}",
        stderr_of(&output)
    );
}
