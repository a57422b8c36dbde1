//! TLS through the C ABI against `brokersim` over HTTPS: the extra CA from
//! `ca_file` / `ca_pem` makes the whole flow work; without it, and for a
//! certificate for another host or an expired one, calls fail with
//! `Status::Tls` and a message that says which check failed (and carries
//! no secret). TLS 1.2 works, a server that offers only TLS 1.1 is refused,
//! plain `http://` is only for loopback, and there is no switch that turns
//! verification off.

use crate::support::angel_paths::{LOGIN, LOGOUT, PROFILE, REFRESH, RMS};
use crate::support::*;
use brokerlink::Status;
use brokersim::{AngelAccount, NorenAccount, Sim, SimOptions, SimTls, TlsVersions};
use std::io::{Read, Write};
use std::net::TcpListener;

/// An HTTPS simulator (no rate limits) presenting a certificate of `tls`.
fn https_sim(tls: SimTls) -> Sim {
    https_sim_with(tls, TlsVersions::default())
}

fn https_sim_with(tls: SimTls, versions: TlsVersions) -> Sim {
    Sim::start_with(SimOptions {
        rate_limits: false,
        tls: Some(tls),
        tls_versions: versions,
        ..SimOptions::default()
    })
    .expect("an HTTPS brokersim starts")
}

/// The config key `"ca_file"` naming the simulator's CA file.
fn ca_file_key(sim: &Sim) -> String {
    let path = sim.ca_file().expect("an HTTPS sim has a CA file");
    format!(
        r#""ca_file":{}"#,
        serde_json::to_string(path.to_str().expect("a UTF-8 temp path")).unwrap()
    )
}

/// The config key `"ca_pem"` holding the simulator's CA certificate.
fn ca_pem_key(sim: &Sim) -> String {
    let pem = sim.ca_pem().expect("an HTTPS sim has a CA");
    format!(r#""ca_pem":{}"#, serde_json::to_string(&pem).unwrap())
}

/// Logs in to the demo Angel One account over `config` and expects a TLS
/// error; returns its message after checking it carries no secret.
#[track_caller]
fn angel_login_tls_error(config: &str) -> String {
    let handle = Handle::new(config);
    let reply = handle.login(&angel_credentials());
    let error = reply.err(s(Status::Tls));
    assert_eq!(error["retryable"], false, "{}", reply.text);
    let demo = AngelAccount::demo();
    for secret in [demo.api_key.as_str(), demo.pin.as_str(), DEMO_TOTP_SECRET] {
        assert!(
            !reply.text.contains(secret),
            "{secret} leaked: {}",
            reply.text
        );
    }
    error["message"].as_str().unwrap().to_owned()
}

/// The path and status of every request the simulator answered.
fn wire(sim: &Sim) -> Vec<(String, u16)> {
    sim.requests()
        .iter()
        .map(|r| (r.path.clone(), r.status))
        .collect()
}

#[test]
fn https_with_ca_file_runs_the_whole_angel_flow() {
    let sim = https_sim(SimTls::Valid);
    assert!(sim.angel_base_url().starts_with("https://127.0.0.1:"));
    let handle = Handle::new(&angel_config(&sim, &ca_file_key(&sim)));
    handle.login(&angel_credentials()).ok();
    assert_eq!(handle.profile().ok()["user_id"], "D12345");
    handle.rms().ok();
    handle.refresh().ok();
    handle.logout().ok();
    let ok = |path: &str| (path.to_string(), 200);
    assert_eq!(
        wire(&sim),
        [ok(LOGIN), ok(PROFILE), ok(RMS), ok(REFRESH), ok(LOGOUT)]
    );
}

#[test]
fn https_with_ca_file_runs_a_noren_preset_with_refresh() {
    let sim = https_sim(SimTls::Valid);
    assert!(sim.noren_base_url("zebu").starts_with("https://"));
    let handle = noren_session_with(&sim, "zebu", &ca_file_key(&sim));
    assert_eq!(
        handle.profile().ok()["user_id"],
        NorenAccount::demo("zebu").user_id
    );
    handle.rms().ok();
    handle.refresh().ok();
    handle.logout().ok();
    assert!(wire(&sim).iter().all(|(_, status)| *status == 200));
    assert_eq!(sim.requests().len(), 5, "{:?}", wire(&sim));
}

#[test]
fn ca_pem_in_the_config_works_like_ca_file() {
    let sim = https_sim(SimTls::Valid);
    let handle = angel_session_with(&sim, &ca_pem_key(&sim));
    handle.rms().ok();
    assert_eq!(wire(&sim), [(LOGIN.into(), 200), (RMS.into(), 200)]);
}

#[test]
fn without_the_ca_the_certificate_is_refused_as_from_an_unknown_issuer() {
    let sim = https_sim(SimTls::Valid);
    let message = angel_login_tls_error(&angel_config(&sim, RAW));
    assert!(
        message.contains("not signed by a trusted authority") && message.contains("ca_file"),
        "{message}"
    );
    assert!(sim.requests().is_empty(), "no request left the client");
}

#[test]
fn another_runs_ca_does_not_make_this_certificate_trusted() {
    let sim = https_sim(SimTls::Valid);
    let other = https_sim(SimTls::Valid);
    let message = angel_login_tls_error(&angel_config(&sim, &ca_file_key(&other)));
    assert!(
        message.contains("not signed by a trusted authority"),
        "{message}"
    );
}

#[test]
fn a_certificate_for_another_host_is_a_tls_error_naming_the_host_check() {
    let sim = https_sim(SimTls::WrongHost);
    let config = angel_config(&sim, &format!("{},{RAW}", ca_file_key(&sim)));
    let message = angel_login_tls_error(&config);
    assert!(message.contains("different host name"), "{message}");
    assert!(sim.requests().is_empty());
}

#[test]
fn an_expired_certificate_is_a_tls_error_naming_the_expiry() {
    let sim = https_sim(SimTls::Expired);
    let config = angel_config(&sim, &format!("{},{RAW}", ca_file_key(&sim)));
    let message = angel_login_tls_error(&config);
    assert!(message.contains("expired"), "{message}");
    assert!(sim.requests().is_empty());
}

#[test]
fn a_noren_code_exchange_without_the_ca_is_a_tls_error() {
    // A Noren preset whose login page trusts nothing: the code exchange is
    // the first HTTPS request, and it fails the check, not the login logic.
    let sim = https_sim(SimTls::Valid);
    let handle = Handle::new(&noren_config(&sim, "kambala", RAW));
    let reply = handle.login(&format!(r#"{{"code":"{}"}}"#, noren_code(&sim, "kambala")));
    let message = reply.err(s(Status::Tls))["message"].as_str().unwrap();
    assert!(
        message.contains("not signed by a trusted authority"),
        "{message}"
    );
    let demo = NorenAccount::demo("kambala");
    assert!(!reply.text.contains(&demo.secret), "{}", reply.text);
}

#[test]
fn a_tls_1_2_only_server_is_accepted() {
    let sim = https_sim_with(SimTls::Valid, TlsVersions::Tls12Only);
    let handle = angel_session_with(&sim, &ca_file_key(&sim));
    handle.profile().ok();
}

#[test]
fn a_tls_1_3_only_server_is_accepted() {
    let sim = https_sim_with(SimTls::Valid, TlsVersions::Tls13Only);
    let handle = angel_session_with(&sim, &ca_file_key(&sim));
    handle.profile().ok();
}

/// A TLS 1.1 ServerHello (TLS_RSA_WITH_AES_128_CBC_SHA, no extensions),
/// as a server that offers nothing newer answers. rustls cannot serve TLS
/// 1.1, so this is hand-made: the client must give up at this message.
const TLS11_SERVER_HELLO: [u8; 47] = {
    let mut record = [0u8; 47];
    let head = [
        0x16, 0x03, 0x02, 0x00, 0x2a, // record: handshake, TLS 1.1, 42 bytes
        0x02, 0x00, 0x00, 0x26, // ServerHello, 38 bytes
        0x03, 0x02, // server_version TLS 1.1
    ];
    let mut i = 0;
    while i < head.len() {
        record[i] = head[i];
        i += 1;
    }
    // 32 bytes of random (left as 0x2a), empty session id, the suite, no compression.
    while i < 11 + 32 {
        record[i] = 0x2a;
        i += 1;
    }
    record[43] = 0x00; // session id length
    record[44] = 0x00; // cipher suite 0x002f
    record[45] = 0x2f;
    record[46] = 0x00; // compression: null
    record
};

#[test]
fn a_server_that_offers_only_tls_1_1_is_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        socket
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let mut client_hello = [0u8; 4096];
        let n = socket.read(&mut client_hello).unwrap();
        assert_eq!(client_hello[0], 0x16, "a TLS handshake record");
        assert!(n > 5);
        socket.write_all(&TLS11_SERVER_HELLO).unwrap();
        // Wait for the client's alert or close.
        let _ = socket.read(&mut client_hello);
    });
    let demo = AngelAccount::demo();
    let config = format!(
        r#"{{"broker":"angelone","api_key":"{}","client_code":"{}","base_url":"https://127.0.0.1:{port}","timeout_ms":3000,{RAW}}}"#,
        demo.api_key, demo.client_code
    );
    let message = angel_login_tls_error(&config);
    assert!(message.contains("TLS 1.2 or 1.3"), "{message}");
    server.join().unwrap();
}

/// A file in the temp directory, removed when dropped.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn with(name: &str, contents: &str) -> TempFile {
        let path =
            std::env::temp_dir().join(format!("brokerlink-tls-test-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        TempFile(path)
    }

    fn key(&self) -> String {
        format!(
            r#""ca_file":{}"#,
            serde_json::to_string(self.0.to_str().unwrap()).unwrap()
        )
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn a_ca_file_that_is_missing_or_holds_no_certificate_is_an_invalid_argument() {
    let sim = https_sim(SimTls::Valid);
    let missing = std::env::temp_dir().join("brokerlink-tls-test-no-such-file.pem");
    let missing_key = format!(
        r#""ca_file":{}"#,
        serde_json::to_string(missing.to_str().unwrap()).unwrap()
    );
    let garbage = TempFile::with("garbage.pem", "this is not a certificate\n");
    let bad_pem = TempFile::with(
        "bad.pem",
        "-----BEGIN CERTIFICATE-----\n%%%not base64%%%\n-----END CERTIFICATE-----\n",
    );
    for extra in [missing_key, garbage.key(), bad_pem.key()] {
        let (reply, handle) = new_session(&angel_config(&sim, &extra));
        assert!(handle.is_none());
        let message = reply.err(s(Status::InvalidArgument))["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains("\"ca_file\""), "{extra}: {message}");
    }
    let (reply, _) = new_session(&angel_config(&sim, r#""ca_pem":"not a certificate""#));
    let message = reply.err(s(Status::InvalidArgument))["message"]
        .as_str()
        .unwrap();
    assert!(message.contains("\"ca_pem\""), "{message}");
}

#[test]
fn plain_http_is_refused_except_to_loopback_hosts() {
    let demo = AngelAccount::demo();
    let angel = |base_url: &str| {
        format!(
            r#"{{"broker":"angelone","api_key":"{}","client_code":"{}","base_url":"{base_url}"}}"#,
            demo.api_key, demo.client_code
        )
    };
    let (reply, _) = new_session(&angel("http://apiconnect.angelone.in"));
    let message = reply.err(s(Status::InvalidArgument))["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains("\"base_url\"") && message.contains("loopback"),
        "{message}"
    );
    let noren = r#"{"broker":"noren","preset":"zebu","client_id":"c","secret":"s","oauth_url":"http://go.mynt.in/OAuthlogin/authorize/oauth"}"#;
    let (reply, _) = new_session(noren);
    let message = reply.err(s(Status::InvalidArgument))["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains("\"oauth_url\"") && message.contains("loopback"),
        "{message}"
    );

    // Loopback by name works over plain HTTP.
    let sim = sim();
    let port = sim.base_url().rsplit(':').next().unwrap().to_owned();
    let handle = Handle::new(&angel(&format!("http://localhost:{port}")));
    handle.login(&angel_credentials()).ok();
}

#[test]
fn there_is_no_switch_that_turns_verification_off() {
    let sim = https_sim(SimTls::Valid);
    for key in [
        "insecure",
        "verify",
        "tls_verify",
        "verify_tls",
        "danger_accept_invalid_certs",
        "accept_invalid_certs",
    ] {
        for value in ["true", "false"] {
            let (reply, handle) = new_session(&angel_config(&sim, &format!(r#""{key}":{value}"#)));
            assert!(handle.is_none(), "{key}");
            let message = reply.err(s(Status::InvalidArgument))["message"]
                .as_str()
                .unwrap();
            assert_eq!(message, format!("unknown config key \"{key}\""));
        }
    }
}
