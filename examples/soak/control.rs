//! brokersim for the soak: in a child process by default, so that the
//! soak's own RSS and descriptors are the library's and the host's, or in
//! this process (`--in-process`), to compare.
//!
//! The child is this same program run with [`CHILD_ARG`]: it starts a
//! [`Sim`], registers the soak's accounts, prints brokersim's startup line,
//! then answers one JSON command per line on stdin (expire a user's
//! sessions, mint a login code, inject a fault) and reports every refresh
//! brokersim answers as an event line. It clears its request log every
//! second and exits when stdin ends. (The `brokersim` binary has no such
//! control channel: its tests drive it through the `Sim` API, as this does.)

use crate::faults::FaultKind;
use crate::roster::{self, Family};
use brokersim::{FaultTimes, LoggedRequest, Sim, SimOptions};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// The argument that makes this program brokersim's child process.
pub const CHILD_ARG: &str = "--brokersim-child";

/// What the soak hears of each refresh brokersim answered: who (the key
/// [`refresh_key`] read from the request) and the HTTP status.
pub type RefreshListener = Arc<dyn Fn(&str, u16) + Send + Sync>;

/// brokersim as the soak drives it.
pub struct Brokersim {
    /// Its startup line: base URLs and demo accounts.
    pub startup: Value,
    inner: Inner,
}

enum Inner {
    Local(Sim),
    Child {
        child: Child,
        stdin: Mutex<ChildStdin>,
        replies: Mutex<Receiver<Value>>,
    },
}

/// A simulator with the soak's options and accounts: rate limits on,
/// replaced tokens revoked.
fn start_sim() -> Sim {
    let sim = Sim::start_with(SimOptions {
        rate_limits: true,
        revoke_on_refresh: true,
        ..SimOptions::default()
    })
    .expect("brokersim starts");
    roster::register(&sim);
    sim
}

/// The refresh a request is, and whose: Angel One's generateTokens names
/// the app (`X-PrivateKey`), Kite's renewal its `api_key`, Dhan's
/// RenewToken the client; Zebu's RefreshToken and Fyers' legacy refresh
/// carry the refresh token.
fn refresh_key(request: &LoggedRequest) -> Option<String> {
    let path = request.path.as_str();
    let body_field = |body: &str, field: &str| {
        serde_json::from_str::<Value>(body).ok()?[field]
            .as_str()
            .map(str::to_owned)
    };
    if path.ends_with("/jwt/v1/generateTokens") {
        request.header("x-privatekey").map(str::to_owned)
    } else if path.ends_with("/RefreshToken") {
        body_field(request.body.strip_prefix("jData=")?, "refresh_token")
    } else if path == "/session/refresh_token" {
        request
            .body
            .split('&')
            .find_map(|pair| pair.strip_prefix("api_key="))
            .map(str::to_owned)
    } else if path.ends_with("/validate-refresh-token") {
        body_field(&request.body, "refresh_token")
    } else if path.ends_with("/RenewToken") {
        request.header("dhanclientid").map(str::to_owned)
    } else {
        None
    }
}

/// Carries out one command on `sim`.
fn execute(sim: &Sim, command: &Value) -> Value {
    let text = |key: &str| command[key].as_str().unwrap_or_default();
    let family = Family::named(text("family"));
    match (text("cmd"), family) {
        ("expire", Some(family)) => {
            expire(sim, family, text("user"));
            json!({})
        }
        ("authorize", Some(family)) => json!({"code": authorize(sim, family, text("app"))}),
        ("inject", _) => {
            let kind = FaultKind::from_json(command).expect("a known fault");
            let times = command["times"].as_u64().unwrap_or(1) as u32;
            sim.inject(text("path"), kind.fault(), FaultTimes::Next(times));
            json!({})
        }
        ("clear_faults", _) => {
            sim.clear_faults();
            json!({})
        }
        _ => json!({"error": format!("unknown command {command}")}),
    }
}

/// Makes every access token of `user` at `family` expire now.
fn expire(sim: &Sim, family: Family, user: &str) {
    match family {
        Family::Angel => sim.expire_angel_sessions(user),
        Family::Zebu | Family::Tradesmart => sim.expire_noren_sessions(family.name(), user),
        Family::Zerodha => sim.expire_zerodha_sessions(user),
        Family::Upstox => sim.expire_upstox_sessions(user),
        Family::Fyers => sim.expire_fyers_sessions(user),
        Family::Dhan => sim.expire_dhan_sessions(user),
    }
}

/// A fresh login code for `app`, as the family's login page mints it.
fn authorize(sim: &Sim, family: Family, app: &str) -> Option<String> {
    match family {
        Family::Zebu | Family::Tradesmart => sim.noren_authorize(family.name(), app),
        Family::Zerodha => sim.zerodha_request_token(app),
        Family::Upstox => sim.upstox_authorize(app),
        Family::Fyers => sim.fyers_authorize(app),
        Family::Angel | Family::Dhan => None,
    }
}

/// Tells `listener` of every refresh `sim` answers.
fn listen(sim: &Sim, listener: RefreshListener) {
    sim.set_request_listener(move |request| {
        if let Some(key) = refresh_key(request) {
            listener(&key, request.status);
        }
    });
}

/// The child process's whole life (see the module's documentation).
pub fn serve_child() {
    let sim = Arc::new(start_sim());
    let stdout = Arc::new(Mutex::new(std::io::stdout()));
    let say = move |line: Value| {
        let mut out = stdout.lock().unwrap();
        writeln!(out, "{line}").and_then(|()| out.flush()).ok();
    };
    say(serde_json::from_str(&sim.startup_line()).expect("startup JSON"));
    let events = say.clone();
    listen(
        &sim,
        Arc::new(move |key, status| events(json!({"refresh": key, "status": status}))),
    );
    let clearer = Arc::clone(&sim);
    thread::spawn(move || {
        loop {
            thread::sleep(Duration::from_secs(1));
            clearer.clear_log();
        }
    });
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let command: Value = serde_json::from_str(&line).expect("a JSON command");
        say(json!({"reply": execute(&sim, &command)}));
    }
}

impl Brokersim {
    /// Starts brokersim, in a child process unless `in_process`; `listener`
    /// hears of every refresh it answers.
    pub fn start(in_process: bool, listener: RefreshListener) -> Brokersim {
        if in_process {
            let sim = start_sim();
            listen(&sim, listener);
            let startup = serde_json::from_str(&sim.startup_line()).expect("startup JSON");
            return Brokersim {
                startup,
                inner: Inner::Local(sim),
            };
        }
        let mut child = Command::new(std::env::current_exe().expect("this program's path"))
            .arg(CHILD_ARG)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("brokersim's child process starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().expect("a startup line").expect("stdout");
        let startup = serde_json::from_str(&first).expect("startup JSON");
        let (replies, receive) = channel();
        thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let line: Value = serde_json::from_str(&line).expect("JSON from brokersim");
                match line.get("refresh").and_then(Value::as_str) {
                    Some(key) => listener(key, line["status"].as_u64().unwrap_or(0) as u16),
                    None => replies.send(line["reply"].clone()).unwrap_or(()),
                }
            }
        });
        let stdin = Mutex::new(child.stdin.take().unwrap());
        Brokersim {
            startup,
            inner: Inner::Child {
                child,
                stdin,
                replies: Mutex::new(receive),
            },
        }
    }

    /// Sends one command and waits for its reply.
    fn send(&self, command: Value) -> Value {
        match &self.inner {
            Inner::Local(sim) => execute(sim, &command),
            Inner::Child { stdin, replies, .. } => {
                // One command at a time: the reply is the next one to come.
                let replies = replies.lock().unwrap();
                writeln!(stdin.lock().unwrap(), "{command}").expect("brokersim's stdin");
                replies.recv().expect("brokersim replies")
            }
        }
    }

    /// Makes every access token of `user` at `family` expire now.
    pub fn expire(&self, family: Family, user: &str) {
        self.send(json!({"cmd": "expire", "family": family.name(), "user": user}));
    }

    /// A fresh login code for `app` at `family`.
    pub fn authorize(&self, family: Family, app: &str) -> String {
        let reply = self.send(json!({"cmd": "authorize", "family": family.name(), "app": app}));
        reply["code"].as_str().expect("a login code").to_owned()
    }

    /// Injects `kind` into the next `times` requests to `path`.
    pub fn inject(&self, path: &str, kind: FaultKind, times: u32) {
        let mut command = kind.to_json();
        command["cmd"] = json!("inject");
        command["path"] = json!(path);
        command["times"] = json!(times);
        self.send(command);
    }

    /// Removes every queued fault.
    pub fn clear_faults(&self) {
        self.send(json!({"cmd": "clear_faults"}));
    }

    /// Empties the request log, once a second (the child does it itself).
    pub fn clear_log(&self) {
        if let Inner::Local(sim) = &self.inner {
            sim.clear_log();
        }
    }

    /// The child's process id, or `None` when brokersim runs in this process.
    pub fn pid(&self) -> Option<u32> {
        match &self.inner {
            Inner::Local(_) => None,
            Inner::Child { child, .. } => Some(child.id()),
        }
    }

    /// Stops brokersim (the child exits at the end of its stdin).
    pub fn stop(self) {
        if let Inner::Child {
            mut child, stdin, ..
        } = self.inner
        {
            drop(stdin);
            child.wait().expect("brokersim's child exits");
        }
    }
}
