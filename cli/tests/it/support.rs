//! What the CLI tests share: scratch folders, profile files, the command.

use brokersim::{AngelAccount, Sim, SimOptions};
use std::path::{Path, PathBuf};

/// Angel One's paths on brokersim (PROTOCOLS.md §1).
pub const ANGEL_LOGIN: &str = "/rest/auth/angelbroking/user/v1/loginByPassword";
pub const ANGEL_REFRESH: &str = "/rest/auth/angelbroking/jwt/v1/generateTokens";

/// A simulator without rate limits.
pub fn sim() -> Sim {
    Sim::start_with(SimOptions {
        rate_limits: false,
        ..SimOptions::default()
    })
    .expect("brokersim starts")
}

/// A fresh folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("cli")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes a profile file, owner-only.
pub fn write_profiles(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("profiles.toml");
    std::fs::write(&path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    path
}

/// A TOML string literal.
pub fn quoted(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// The Angel One demo account as a profile `angel` whose PIN and TOTP
/// secret come from the environment (`ANGEL_PIN`, `ANGEL_TOTP`).
pub fn angel_profile(sim: &Sim, session_file: &Path) -> String {
    let demo = AngelAccount::demo();
    format!(
        r#"default = "angel"

[profiles.angel]
broker = "angelone"
api_key = {}
client_code = {}
base_url = {}
timeout_ms = 3000
local_ip = "127.0.0.1"
mac_address = "00:00:00:00:00:00"
session_file = {}

[profiles.angel.secrets]
pin = "env:ANGEL_PIN"
totp_secret = "env:ANGEL_TOTP"
"#,
        quoted(&demo.api_key),
        quoted(&demo.client_code),
        quoted(&sim.angel_base_url()),
        quoted(session_file.to_str().unwrap()),
    )
}

/// The tool with `--config FILE` and the demo account's secrets in its environment.
pub fn cli(config: &Path) -> assert_cmd::Command {
    let demo = AngelAccount::demo();
    let mut command = assert_cmd::Command::new(env!("CARGO_BIN_EXE_brokerlink"));
    command
        .arg("--config")
        .arg(config)
        .env("ANGEL_PIN", &demo.pin)
        .env("ANGEL_TOTP", &demo.totp_secret)
        .env_remove("BROWSER");
    command
}

/// The same as a std command, to spawn and talk to.
pub fn cli_process(config: &Path) -> std::process::Command {
    let demo = AngelAccount::demo();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_brokerlink"));
    command
        .arg("--config")
        .arg(config)
        .env("ANGEL_PIN", &demo.pin)
        .env("ANGEL_TOTP", &demo.totp_secret)
        .env_remove("BROWSER");
    command
}

/// stdout as JSON.
pub fn json_of(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// stderr as text.
pub fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A logged-in `angel` profile in a fresh folder: the profile file and the session file.
pub fn logged_in(sim: &Sim, name: &str) -> (PathBuf, PathBuf) {
    let dir = scratch(name);
    let session = dir.join("angel.json");
    let config = write_profiles(&dir, &angel_profile(sim, &session));
    cli(&config).args(["login"]).assert().success();
    (config, session)
}
