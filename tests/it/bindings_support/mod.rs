//! What the binding and packaging tests share: the broker flows every
//! binding's test program runs against brokersim, the library cargo built for
//! this test run, scratch directories that clean up after themselves, and the
//! outside tools (compilers, runtimes) that must be installed.
//!
//! A missing tool fails the test with a message naming the package, never
//! skips it: `.ci/run` installs every one of them.
#![allow(dead_code)] // each test file uses a different part

use brokersim::Sim;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The repository root.
pub const CRATE_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// How long one outside program may run before the test gives up on it. A
/// safety net against a hang, not a timing assertion: the flows take a
/// second or two.
const PROGRAM_LIMIT: Duration = Duration::from_secs(300);

/// One broker's flow, handed to each binding's test program as
/// `BROKERLINK_TEST_*` environment variables (see [`Flow::env`]): log in,
/// read the profile and funds, refresh, export and import the session, log
/// out, and fail to log in with refused credentials.
pub struct Flow {
    /// A name for messages.
    pub name: &'static str,
    /// The config JSON, pointing at the simulator.
    pub config: String,
    /// Credentials that log in; empty for a browser login.
    pub credentials: String,
    /// Whether the login happens in a browser: the programs then open
    /// `broker_login_url`'s page with `brokersim browse` (the path in
    /// `BROKERLINK_TEST_BROWSE`) and log in with the redirect's address.
    pub browser_login: bool,
    /// Credentials the broker refuses with `BROKER_ERR_AUTH` and a broker code.
    pub bad_credentials: String,
    /// The account's user id, as results report it.
    pub user_id: &'static str,
    /// `available_cash` as the exact JSON text the funds result holds.
    pub available_cash: &'static str,
    /// Whether the broker supports `broker_refresh` (else `BROKER_ERR_UNSUPPORTED`).
    pub refresh: bool,
}

impl Flow {
    /// The environment variables the binding test programs read.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("BROKERLINK_TEST_FLOW", self.name.to_string()),
            ("BROKERLINK_TEST_CONFIG", self.config.clone()),
            ("BROKERLINK_TEST_CREDENTIALS", self.credentials.clone()),
            (
                "BROKERLINK_TEST_BAD_CREDENTIALS",
                self.bad_credentials.clone(),
            ),
            ("BROKERLINK_TEST_USER_ID", self.user_id.to_string()),
            ("BROKERLINK_TEST_CASH", self.available_cash.to_string()),
            (
                "BROKERLINK_TEST_REFRESH",
                u8::from(self.refresh).to_string(),
            ),
        ]
        .into_iter()
        .chain(self.browser_login.then(|| {
            let brokersim =
                library_dir().join(format!("brokersim{}", std::env::consts::EXE_SUFFIX));
            ("BROKERLINK_TEST_BROWSE", brokersim.display().to_string())
        }))
        .collect()
    }
}

/// The flows every binding runs against `sim`: Angel One's MPIN + TOTP login
/// on brokersim's demo account, and a Noren broker's OAuth login (Shoonya's,
/// the only one it has left API users since April 2026), where each login
/// goes through the browser page as a user's does.
pub fn flows(sim: &Sim) -> Vec<Flow> {
    vec![
        Flow {
            name: "angelone",
            config: crate::support::angel_config(sim, ""),
            credentials: crate::support::angel_credentials(),
            bad_credentials: format!(
                r#"{{"pin":"9999","totp_secret":"{}"}}"#,
                crate::support::DEMO_TOTP_SECRET
            ),
            browser_login: false,
            user_id: "D12345",
            available_cash: "12554.55",
            refresh: true,
        },
        Flow {
            name: "noren-shoonya-oauth",
            config: crate::support::noren_config(sim, "shoonya", ""),
            credentials: String::new(),
            browser_login: true,
            bad_credentials: r#"{"code":"not-a-code-the-broker-issued"}"#.to_string(),
            user_id: "NSHO01",
            // cash 1500000000000000.00 + payin 2500.50 - marginused 3000.25
            available_cash: "1499999999999500.25",
            refresh: false,
        },
        zerodha_flow(sim),
        upstox_flow(sim),
        fyers_flow(sim),
        Flow {
            name: "dhan-pin-totp",
            config: crate::support::dhan_config(sim, ""),
            credentials: crate::support::dhan_credentials(),
            browser_login: false,
            bad_credentials: format!(
                r#"{{"pin":"000000","totp_secret":"{}"}}"#,
                brokersim::DhanAccount::demo().totp_secret
            ),
            user_id: "1000000001",
            // availabelBalance 98440.0, as the wire sends it
            available_cash: "98440.0",
            refresh: true,
        },
    ]
}

/// Zerodha's browser login, with an app whose request token brokersim
/// accepts again and again (`ZerodhaAccount::reusable_request_token`), since
/// the programs log in several times and Kite's tokens are single-use.
fn zerodha_flow(sim: &Sim) -> Flow {
    let account = brokersim::ZerodhaAccount {
        api_key: "binding-flow-key".into(),
        api_secret: "binding-flow-secret".into(),
        user_id: "ZB0001".into(),
        reusable_request_token: Some("binding-flow-request-token".into()),
        ..brokersim::ZerodhaAccount::demo()
    };
    sim.add_zerodha_account(account.clone());
    Flow {
        name: "zerodha",
        config: crate::support::zerodha_config(sim, "")
            .replace("zerodha-api-key", &account.api_key)
            .replace("zerodha-api-secret", &account.api_secret),
        credentials: r#"{"request_token":"binding-flow-request-token"}"#.to_string(),
        browser_login: false,
        bad_credentials: r#"{"request_token":"not-a-request-token"}"#.to_string(),
        user_id: "ZB0001",
        available_cash: "245431.6",
        refresh: false,
    }
}

/// Upstox's flow: a token the user already holds, which every login of the
/// programs reuses (its browser codes are single use, and its logout revokes
/// the token, so brokersim keeps tokens at logout here); a made-up code is
/// refused with UDAPI100057. The browser login is tested through the C ABI
/// (tests/upstox.rs).
fn upstox_flow(sim: &Sim) -> Flow {
    sim.set_upstox_revoke_on_logout(false);
    let token = sim
        .upstox_access_token("UP1234")
        .expect("the demo account is registered");
    Flow {
        name: "upstox",
        config: crate::support::upstox_config(sim, ""),
        credentials: format!(r#"{{"access_token":"{token}"}}"#),
        browser_login: false,
        bad_credentials: r#"{"code":"not-a-code"}"#.to_string(),
        user_id: "UP1234",
        available_cash: "5117.34",
        refresh: false,
    }
}

/// Fyers' browser-login flow. Its auth codes are single use, and the programs log in several
/// times with the same credentials: brokersim registers an app whose one fixed auth code it
/// accepts every time (`FyersAccount::reusable_auth_code`), the demo user's data otherwise.
fn fyers_flow(sim: &Sim) -> Flow {
    let mut app = brokersim::FyersAccount::demo();
    app.app_id = "FYBINDINGS-100".to_string();
    app.reusable_auth_code = Some("bindings-auth-code".to_string());
    let config = crate::support::fyers_config(sim, "")
        .replace(&brokersim::FyersAccount::demo().app_id, &app.app_id);
    sim.add_fyers_account(app);
    Flow {
        name: "fyers",
        config,
        credentials: r#"{"auth_code":"bindings-auth-code"}"#.to_string(),
        browser_login: false,
        bad_credentials: r#"{"auth_code":"not-a-code"}"#.to_string(),
        user_id: "XD12345",
        // Clear Balance 21940.250000000004 + 749.5
        available_cash: "22689.75",
        refresh: false,
    }
}

pub use crate::support::{library_dir, library_file_name};

/// The cdylib cargo built for this test run.
pub fn library_path() -> PathBuf {
    library_dir().join(library_file_name())
}

/// A directory under target/tmp that is removed, with everything in it,
/// when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    /// A new empty directory; `name` only makes it recognizable.
    pub fn new(name: &str) -> Scratch {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "{name}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Fails the test unless `program` runs; `package` names what installs it.
#[track_caller]
pub fn require_tool(program: &str, args: &[&str], package: &str) {
    let ran = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    assert!(
        ran.is_ok_and(|status| status.success()),
        "`{program} {}` does not run: install {package} (.ci/run installs it on a fresh machine)",
        args.join(" ")
    );
}

/// What a finished program printed.
pub struct Finished {
    /// Whether it exited with status 0.
    pub success: bool,
    /// Its standard output, lossily decoded.
    pub stdout: String,
    /// Its standard error, lossily decoded.
    pub stderr: String,
}

impl Finished {
    /// Both streams, for a failure message.
    pub fn transcript(&self) -> String {
        format!("--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr)
    }
}

/// Runs `command` to the end, killing it if it outlives the safety limit.
#[track_caller]
pub fn run(command: &mut Command) -> Finished {
    let description = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {description}: {e}"));
    // Both pipes are drained as the program runs, so a chatty one cannot
    // fill a pipe and block forever.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > PROGRAM_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{description} hung; killed after {PROGRAM_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Finished {
        success: status.success(),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// Runs `command` and fails the test, showing its output, unless it succeeds.
#[track_caller]
pub fn run_ok(command: &mut Command, what: &str) -> Finished {
    let finished = run(command);
    assert!(
        finished.success,
        "{what} failed:\n{}",
        finished.transcript()
    );
    finished
}

/// Asserts that a test program's closing line reports no failure.
#[track_caller]
pub fn assert_all_passed(finished: &Finished, what: &str) {
    let closing = finished
        .stdout
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("");
    assert!(
        finished.success && closing.ends_with(" passed, 0 failed") && !closing.starts_with("0 "),
        "{what} did not pass:\n{}",
        finished.transcript()
    );
}

/// Builds, in `dir`, a `libbrokerlink.so` that reports version 99.0.0 and
/// exports nothing else: what a binding finds when a wrong library is
/// installed. Every binding must refuse it with a clear message.
pub fn wrong_abi_library(dir: &Path) -> PathBuf {
    require_tool("cc", &["--version"], "gcc");
    let source = dir.join("wrong_abi.c");
    std::fs::write(
        &source,
        "unsigned int broker_abi_version(void) { return 99u << 16; }\n\
         const char *broker_version(void) { return \"99.0.0\"; }\n",
    )
    .unwrap();
    let library = dir.join(library_file_name());
    run_ok(
        Command::new("cc")
            .args(["-shared", "-fPIC", "-o"])
            .arg(&library)
            .arg(&source),
        "building the wrong-ABI library",
    );
    library
}

/// Text between `open` and the next `close` after it, and the rest.
pub fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<(&'a str, &'a str)> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)? + start;
    Some((&text[start..end], &text[end + close.len()..]))
}

/// A Rust export's signature, from the source text of src/ffi.
#[derive(Clone, Debug)]
pub struct RustExport {
    /// `"C"` or `"system"`.
    pub abi: String,
    /// The parameter types as written.
    pub params: Vec<String>,
    /// The return type as written, empty for none.
    pub returns: String,
}

/// Every exported function in src/ffi by name, with its signature: the
/// hand-written ones as their source says, and the stdcall twins that
/// src/ffi/vba.rs's `twins!` table writes, which the compiler holds to
/// their original's signature (whether the library really exports each is
/// for [`exported_symbols`] to say).
pub fn ffi_exports() -> BTreeMap<String, RustExport> {
    let mut found = BTreeMap::new();
    for entry in std::fs::read_dir(format!("{CRATE_DIR}/src/ffi")).unwrap() {
        let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for chunk in source.split("#[unsafe(no_mangle)]").skip(1) {
            let signature = chunk.split(" {\n").next().unwrap();
            let (name, rest) = signature
                .split("fn ")
                .nth(1)
                .unwrap()
                .split_once('(')
                .unwrap();
            let (params, returns) = rest.split_once(')').unwrap();
            if name.trim().starts_with('$') {
                continue; // the template inside the twins! macro
            }
            let (abi, _) = between(signature, "extern \"", "\"").unwrap();
            found.insert(
                name.trim().to_string(),
                RustExport {
                    abi: abi.to_string(),
                    params: params
                        .split(',')
                        .map(|p| {
                            p.split_once(':')
                                .map_or("", |(_, ty)| ty)
                                .trim()
                                .to_string()
                        })
                        .filter(|ty| !ty.is_empty())
                        .collect(),
                    returns: returns.trim().trim_start_matches("->").trim().to_string(),
                },
            );
        }
    }
    let twins: Vec<(String, RustExport)> = found
        .iter()
        .filter_map(|(name, export)| {
            let twin = name.replacen("broker_", "brokervb_", 1);
            (name.starts_with("broker_") && !found.contains_key(&twin)).then(|| {
                let mut twin_export = export.clone();
                twin_export.abi = "system".to_string();
                (twin, twin_export)
            })
        })
        .collect();
    found.extend(twins);
    found
}

/// The library's exported function names, from its dynamic symbol table.
pub fn exported_symbols() -> BTreeSet<String> {
    require_tool("nm", &["--version"], "binutils");
    let listing = run_ok(
        Command::new("nm")
            .args(["-D", "--defined-only"])
            .arg(library_path()),
        "listing the cdylib's exports with nm",
    );
    listing
        .stdout
        .lines()
        .filter_map(
            |line| match line.split_whitespace().collect::<Vec<_>>()[..] {
                [_, "T", name] => Some(name.to_string()),
                _ => None,
            },
        )
        .collect()
}
