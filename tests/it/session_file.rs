//! The session file (config key `session_file`) through the C ABI: resumed
//! by `broker_new`, saved after login and refresh, owner-only, removed by
//! logout, a refresh by one session taken by the others, concurrent saves,
//! and corrupt, unreadable and other accounts' files refused and kept.

use crate::support::angel_paths::{LOGIN, REFRESH, RMS};
use crate::support::*;
use brokersim::{AngelAccount, Sim};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A fresh folder for one test's session files.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "brokerlink-session-file-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn with_file(path: &Path) -> String {
    format!(r#""session_file":{}"#, Value::from(path.to_str().unwrap()))
}

fn config(sim: &Sim, path: &Path) -> String {
    angel_config(sim, &with_file(path))
}

fn saved(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn login_saves_the_file_owner_only_and_a_new_session_resumes_it() {
    let sim = sim();
    let path = scratch("resume").join("angel.json");
    let first = Handle::new(&config(&sim, &path));
    first.login(&angel_credentials()).ok();
    let state = saved(&path);
    assert_eq!(state["brokerlink_session"], 1);
    assert_eq!(state["user_id"], AngelAccount::demo().client_code);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| n == "angel.json" || n == "angel.json.lock"),
        "{names:?}"
    );

    let (reply, second) = new_session(&config(&sim, &path));
    let described = reply.ok();
    assert_eq!(described["resumed"], true, "{described}");
    assert_eq!(described["session_file"], path.to_str().unwrap());
    let second = second.unwrap();
    second.rms().ok();
    assert_eq!(
        sim.requests_to(LOGIN).len(),
        1,
        "the second session did not log in"
    );
}

#[test]
fn logout_removes_the_file_and_the_other_sessions_follow() {
    let sim = sim();
    let path = scratch("logout").join("angel.json");
    let first = Handle::new(&config(&sim, &path));
    first.login(&angel_credentials()).ok();
    let second = Handle::new(&config(&sim, &path));
    first.logout().ok();
    assert!(!path.exists(), "logout removes the session file");
    second.rms().err(3);
    let (reply, _third) = new_session(&config(&sim, &path));
    assert_eq!(reply.ok()["resumed"], false);
}

#[test]
fn a_refresh_by_one_session_is_taken_by_the_other_without_its_own() {
    let sim = sim();
    let path = scratch("refresh").join("angel.json");
    let first = Handle::new(&config(&sim, &path));
    first.login(&angel_credentials()).ok();
    let second = Handle::new(&config(&sim, &path));
    second.rms().ok();
    let before = saved(&path)["access_token"].clone();

    sim.expire_angel_sessions(&AngelAccount::demo().client_code);
    first.rms().ok();
    assert_eq!(sim.requests_to(REFRESH).len(), 1);
    assert_ne!(
        saved(&path)["access_token"],
        before,
        "the refresh was saved"
    );

    // The second session's tokens have expired at the broker too: it takes
    // the first one's refreshed tokens from the file instead of refreshing.
    let rms_before = sim.requests_to(RMS).len();
    second.rms().ok();
    assert_eq!(sim.requests_to(REFRESH).len(), 1, "no second refresh");
    assert_eq!(
        sim.requests_to(RMS).len(),
        rms_before + 1,
        "one request, with the refreshed token"
    );
}

#[test]
fn an_explicit_refresh_after_another_process_uses_the_newest_tokens() {
    let sim = sim();
    let path = scratch("explicit").join("angel.json");
    let first = Handle::new(&config(&sim, &path));
    first.login(&angel_credentials()).ok();
    let second = Handle::new(&config(&sim, &path));
    // The second session holds the login's tokens; the first refreshes.
    second.export().ok();
    first.refresh().ok();
    second.refresh().ok();
    // Either the second took the first's tokens or refreshed after them;
    // the file always holds the newest, and the second uses them.
    let file_token = saved(&path)["access_token"].clone();
    assert_eq!(
        second.export().ok()["access_token"],
        file_token,
        "the second session uses the file's tokens"
    );
}

#[test]
fn corrupt_file_is_reported_and_kept() {
    let sim = sim();
    let path = scratch("corrupt").join("angel.json");
    std::fs::write(&path, "{not json").unwrap();
    let (reply, handle) = new_session(&config(&sim, &path));
    assert!(handle.is_none());
    let message = reply.err(1)["message"].as_str().unwrap().to_string();
    assert!(
        message.contains(path.to_str().unwrap())
            && message.contains("not a brokerlink session file"),
        "{message}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{not json");
}

#[test]
fn unreadable_file_is_reported() {
    let sim = sim();
    let dir = scratch("unreadable");
    // A folder where the file should be: unreadable as a session file.
    let path = dir.join("angel.json");
    std::fs::create_dir(&path).unwrap();
    let (reply, _) = new_session(&config(&sim, &path));
    let message = reply.err(1)["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("angel.json") && message.contains("not a regular file"),
        "{message}"
    );
}

fn second_account(sim: &Sim) -> AngelAccount {
    let account = AngelAccount {
        api_key: "second-key".into(),
        client_code: "S99999".into(),
        ..AngelAccount::demo()
    };
    sim.add_angel_account(account.clone());
    account
}

#[test]
fn another_accounts_file_is_refused_never_overwritten() {
    let sim = sim();
    let dir = scratch("other");
    let path = dir.join("angel.json");
    Handle::new(&config(&sim, &path))
        .login(&angel_credentials())
        .ok();
    let original = std::fs::read_to_string(&path).unwrap();
    let token = saved(&path)["access_token"].as_str().unwrap().to_string();

    let other = second_account(&sim);
    let other_config = config(&sim, &path)
        .replace(&AngelAccount::demo().api_key, &other.api_key)
        .replace(&AngelAccount::demo().client_code, &other.client_code);
    let (reply, handle) = new_session(&other_config);
    assert!(handle.is_none());
    let message = reply.err(1)["message"].as_str().unwrap().to_string();
    assert!(message.contains("holds the session of user"), "{message}");
    assert!(!reply.text.contains(&token), "no token in the error");

    // A session made before the file held another account's: its login is
    // refused and leaves the file as it was.
    let late = dir.join("late.json");
    let handle = Handle::new(&other_config.replace("angel.json", "late.json"));
    std::fs::write(&late, &original).unwrap();
    let refused = handle.login(&angel_credentials());
    let message = refused.err(1)["message"].as_str().unwrap().to_string();
    assert!(message.contains("was not replaced"), "{message}");
    assert_eq!(std::fs::read_to_string(&late).unwrap(), original);
    handle.rms().err(3);
}

#[test]
fn expired_file_is_not_resumed() {
    let sim = sim();
    let path = scratch("expired").join("angel.json");
    Handle::new(&config(&sim, &path))
        .login(&angel_credentials())
        .ok();
    let mut state = saved(&path);
    state["access_expires_at"] = 1_000.into();
    std::fs::write(&path, state.to_string()).unwrap();
    let (reply, handle) = new_session(&config(&sim, &path));
    assert_eq!(reply.ok()["resumed"], false);
    let handle = handle.unwrap();
    handle.rms().err(3);
    // A new login replaces it.
    handle.login(&angel_credentials()).ok();
    assert_ne!(saved(&path)["access_expires_at"], 1_000);
}

#[test]
fn sessions_saving_at_once_leave_one_valid_file() {
    let sim = sim();
    let path = scratch("race").join("angel.json");
    let handles: Vec<Handle> = (0..6).map(|_| Handle::new(&config(&sim, &path))).collect();
    std::thread::scope(|scope| {
        for handle in &handles {
            scope.spawn(|| {
                handle.login(&angel_credentials()).ok();
                for _ in 0..3 {
                    handle.refresh().ok();
                }
            });
        }
    });
    let state = saved(&path);
    assert_eq!(state["user_id"], AngelAccount::demo().client_code);
    let leftovers = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp")
        })
        .count();
    assert_eq!(leftovers, 0);
    Handle::new(&config(&sim, &path)).rms().ok();
}

#[test]
fn a_refresh_goes_on_when_the_lock_file_cannot_be_opened() {
    let sim = sim();
    let path = scratch("lock_dir").join("angel.json");
    let handle = Handle::new(&config(&sim, &path));
    handle.login(&angel_credentials()).ok();
    let before = std::fs::read_to_string(&path).unwrap();
    // Something else took the lock file's name: the broker's refresh still
    // reaches the session; the failed save is logged and the file kept.
    let lock = path.with_file_name("angel.json.lock");
    std::fs::remove_file(&lock).unwrap();
    std::fs::create_dir(&lock).unwrap();
    handle.refresh().ok();
    assert_eq!(sim.requests_to(REFRESH).len(), 1);
    handle.rms().ok();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
}
