//! `brokerlink`, the command-line tool: log in once a day and leave the
//! session in a session file that every program (an Excel workbook, a
//! plugin, a Python script) pointed at the same file uses. Written on the
//! library's public Rust API ([`brokerlink::Session`]).
//!
//! The exit code is the status number (0 ok, 1 INVALID_ARGUMENT, 4 AUTH, …,
//! as in brokerlink.h); results go to stdout, errors to stderr.

mod fail;
mod loopback;
mod output;
mod profile;
mod secrets;

use brokerlink::{Session, Status, TotpSecret};
use clap::{Parser, Subcommand};
use fail::{Failure, failure, invalid};
use loopback::Loopback;
use profile::{Profile, Profiles};
use serde::Serialize;
use serde_json::{Value, json};
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::time::Duration;

/// Log in to an Indian broker once a day and share the session with every
/// program through a session file.
#[derive(Parser)]
#[command(name = "brokerlink", version)]
struct Cli {
    /// The profile file (default: profiles.toml in the platform's config
    /// folder, under brokerlink/).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print results (stdout) and errors (stderr) as JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Log in and save the session in the profile's session file.
    Login {
        /// The profile (default: the file's `default`, or its only one).
        profile: Option<String>,
        /// Print the login address but do not open a browser.
        #[arg(long)]
        no_browser: bool,
        /// How long to wait for the browser to come back, in seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 300)]
        wait: u64,
        /// Log in only when the session file holds no unexpired session
        /// (then print its status instead): for a script run at every start.
        #[arg(long)]
        if_needed: bool,
    },
    /// Trade the refresh token for new tokens, and save them.
    Refresh { profile: Option<String> },
    /// Funds and margins, with the stored session.
    Funds { profile: Option<String> },
    /// The account holder's profile, with the stored session.
    Profile { profile: Option<String> },
    /// End the session at the broker and remove the session file.
    Logout { profile: Option<String> },
    /// Whether there is a stored session, for whom, until when (no network call).
    Status { profile: Option<String> },
    /// The current TOTP code from the profile's totp_secret.
    Totp { profile: Option<String> },
    /// Every broker and preset, with its login kinds.
    Brokers,
    /// Store a secret of a profile in the OS credential store (asked without echo).
    SetSecret {
        /// The profile.
        profile: String,
        /// The key, e.g. pin, totp_secret, api_secret.
        key: String,
    },
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                Status::InvalidArgument as i32
            } else {
                0
            };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let json = cli.json;
    match run(cli) {
        Ok(value) => output::print(&value, json),
        Err(error) => {
            output::print_error(&error, json);
            std::process::exit(error.status as i32);
        }
    }
}

fn run(cli: Cli) -> Result<Value, Failure> {
    let profiles = || -> Result<Profiles, Failure> {
        let path = match &cli.config {
            Some(path) => path.clone(),
            None => profile::default_path()?,
        };
        Profiles::load(&path)
    };
    let open = |name: Option<String>| -> Result<(Profile, Session), Failure> {
        let profile = profiles()?.select(name.as_deref())?;
        let session = Session::new(&profile.config()?)?;
        Ok((profile, session))
    };
    match cli.command {
        Command::Login {
            profile,
            no_browser,
            wait,
            if_needed,
        } => {
            let (profile, session) = open(profile)?;
            if if_needed {
                let status = session.status();
                if status.logged_in {
                    return value(status);
                }
            }
            login(&profile, &session, !no_browser, Duration::from_secs(wait))
        }
        Command::Refresh { profile } => value(open(profile)?.1.refresh()?),
        Command::Funds { profile } => value(open(profile)?.1.funds()?),
        Command::Profile { profile } => value(open(profile)?.1.profile()?),
        Command::Logout { profile } => value(open(profile)?.1.logout()?),
        Command::Status { profile } => value(open(profile)?.1.status()),
        Command::Totp { profile } => {
            let profile = profiles()?.select(profile.as_deref())?;
            let code = TotpSecret::from_base32(&profile.totp_secret()?)?.current_code();
            Ok(json!({"code": code.code.as_str(), "valid_for_s": code.valid_for_s}))
        }
        Command::Brokers => value(brokerlink::brokers()),
        Command::SetSecret { profile, key } => {
            let secret = rpassword::prompt_password(format!("{profile} {key}: "))
                .map_err(|e| invalid(format!("no secret could be read from the terminal: {e}")))?;
            secrets::keyring_set(&profile, &key, &secret)?;
            Ok(json!({"profile": profile, "key": key, "stored": "keyring"}))
        }
    }
}

fn value(result: impl Serialize) -> Result<Value, Failure> {
    serde_json::to_value(result).map_err(|e| failure(Status::Internal, e.to_string()))
}

/// Logs in with the profile's credentials, or through the browser: caught
/// on loopback when the redirect URL is one, else pasted.
fn login(
    profile: &Profile,
    session: &Session,
    browser: bool,
    wait: Duration,
) -> Result<Value, Failure> {
    if let Some(credentials) = profile.credentials()? {
        return value(session.login(&credentials)?);
    }
    let description = session.describe();
    let redirect = description["redirect_uri"]
        .as_str()
        .or(profile.redirect_url())
        .map(str::to_string);
    let loopback = redirect.as_deref().and_then(Loopback::of);
    // Listen before the browser is sent anywhere.
    let listener = loopback.as_ref().map(Loopback::listen).transpose()?;
    let url = session.login_url()?.url;
    eprintln!("Log in at: {url}");
    if browser && let Err(e) = webbrowser::open(&url) {
        eprintln!("(no browser could be opened: {e}; open the address yourself)");
    }
    let login = |address: &str| session.login(&json!({ "redirect_url": address }).to_string());
    let info = match (&loopback, &listener) {
        (Some(loopback), Some(listener)) => {
            eprintln!(
                "Waiting for the browser at {} (up to {} s)…",
                loopback.address(),
                wait.as_secs()
            );
            loopback.capture(listener, wait, login)?
        }
        _ => {
            eprintln!("Then paste the address the browser landed on here:");
            let mut line = String::new();
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                eprint!("> ");
            }
            stdin
                .lock()
                .read_line(&mut line)
                .map_err(|e| invalid(format!("no address could be read: {e}")))?;
            let address = line.trim();
            if address.is_empty() {
                return Err(invalid(
                    "no address was pasted: nothing was saved; run login again",
                ));
            }
            login(address)?
        }
    };
    value(info)
}
