//! The `brokersim` binary: startup line, `--stop-on-eof`, `--verbose` and argument errors.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use serde_json::Value;

const BINARY: &str = env!("CARGO_BIN_EXE_brokersim");

#[test]
fn prints_the_startup_line_serves_and_stops_on_eof() {
    let mut child = Command::new(BINARY)
        .args(["--host", "127.0.0.1", "--port", "0", "--no-rate-limit"])
        .args(["--token-ttl-secs", "60", "--stop-on-eof", "--verbose"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn brokersim");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("line");
    let startup: Value = serde_json::from_str(&line).expect("startup line is JSON");
    let base_url = startup["base_url"].as_str().expect("base_url");
    assert!(base_url.starts_with("http://127.0.0.1:"));
    assert_eq!(startup["angelone"]["accounts"][0]["client_code"], "D12345");
    assert_eq!(startup["noren"]["zebu"]["accounts"][0]["user_id"], "NZEB01");
    let shoonya = startup["noren"]["shoonya"]["legacy_base_url"].as_str();
    assert!(shoonya.is_some_and(|url| url.ends_with("/noren/shoonya/NorenWClientTP")));

    let mut stream = TcpStream::connect(base_url.trim_start_matches("http://")).expect("connect");
    stream
        .write_all(b"GET /nothing HTTP/1.1\r\nConnection: close\r\n\r\n")
        .expect("send");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("reply");
    assert!(reply.starts_with("HTTP/1.1 404"), "{reply}");

    drop(child.stdin.take());
    let status = child.wait().expect("exit");
    assert!(status.success());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("stderr");
    assert!(stderr.contains("GET /nothing 404"), "{stderr}");
}

#[test]
fn help_exits_zero_and_bad_arguments_exit_two() {
    let help = Command::new(BINARY).arg("--help").output().expect("run");
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("Usage: brokersim"));

    let bad = Command::new(BINARY).arg("--port=x").output().expect("run");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("Usage: brokersim"));
    assert!(bad.stdout.is_empty());
}
