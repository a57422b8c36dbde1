//! HTTPS (`SimOptions::tls`, `brokersim --tls`): a verifying rustls client that trusts the
//! simulator's throwaway CA gets real answers over one kept-alive TLS connection, refuses the
//! wrong-host and expired certificates, and faults still act on the socket.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::Arc;

use crate::common::{LOGIN, PROFILE, READ_TIMEOUT, RawResponse, angel_headers, login_body};
use brokersim::{AngelAccount, Fault, FaultTimes, Sim, SimOptions, SimTls, TlsVersions};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{CertificateError, ClientConfig, ClientConnection, ProtocolVersion, RootCertStore};

type TlsStream = rustls::StreamOwned<ClientConnection, TcpStream>;

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
    .expect("an HTTPS sim starts")
}

/// A verifying client (ring, the default protocol versions or the given ones) that trusts only
/// the CA in `ca_pem`.
fn client_config(
    ca_pem: &str,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.expect("PEM")).expect("a CA certificate");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

const ALL_VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// Connects to `sim` and completes the TLS handshake for `name`.
fn connect(sim: &Sim, config: Arc<ClientConfig>, name: &str) -> io::Result<TlsStream> {
    let addr = sim.base_url().trim_start_matches("https://").to_owned();
    let socket = TcpStream::connect(addr)?;
    socket.set_read_timeout(Some(READ_TIMEOUT))?;
    let server_name = ServerName::try_from(name.to_owned()).expect("a server name");
    let tls = ClientConnection::new(config, server_name).expect("client connection");
    let mut stream = rustls::StreamOwned::new(tls, socket);
    while stream.conn.is_handshaking() {
        stream.conn.complete_io(&mut stream.sock)?;
    }
    Ok(stream)
}

/// The certificate error a handshake failed with.
fn certificate_error(result: io::Result<TlsStream>) -> CertificateError {
    let error = result.expect_err("the handshake fails");
    match error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidCertificate(cert)) => cert.clone(),
        other => panic!("expected a certificate error, got {other:?} ({error})"),
    }
}

/// Sends one request on `stream` and reads its response (body by `Content-Length`).
fn exchange(
    stream: &mut TlsStream,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &str,
) -> io::Result<RawResponse> {
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes())?;
    stream.flush()?;
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let mut slots = [httparse::EMPTY_HEADER; 32];
        let mut parsed = httparse::Response::new(&mut slots);
        if let Ok(httparse::Status::Complete(head_len)) = parsed.parse(&buffer) {
            let headers: Vec<(String, String)> = parsed
                .headers
                .iter()
                .map(|h| {
                    let value = String::from_utf8_lossy(h.value).into_owned();
                    (h.name.to_ascii_lowercase(), value)
                })
                .collect();
            let status = parsed.code.unwrap_or(0);
            let length: usize = headers
                .iter()
                .find(|(n, _)| n == "content-length")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            while buffer.len() < head_len + length {
                let n = stream.read(&mut chunk)?;
                if n == 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                buffer.extend_from_slice(&chunk[..n]);
            }
            let body = buffer[head_len..head_len + length].to_vec();
            return Ok(RawResponse {
                status,
                headers,
                body,
            });
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

#[test]
fn a_client_trusting_the_ca_logs_in_and_reads_over_one_kept_alive_connection() {
    let sim = https_sim(SimTls::Valid);
    assert!(sim.base_url().starts_with("https://127.0.0.1:"));
    assert_eq!(sim.angel_base_url(), sim.base_url());
    assert!(sim.noren_base_url("zebu").starts_with("https://127.0.0.1:"));
    let ca = sim.ca_pem().expect("an HTTPS sim has a CA");
    let mut stream =
        connect(&sim, client_config(&ca, ALL_VERSIONS), "127.0.0.1").expect("handshake");
    assert_eq!(
        stream.conn.protocol_version(),
        Some(ProtocolVersion::TLSv1_3)
    );
    assert_eq!(
        stream.conn.alpn_protocol(),
        None,
        "the client offered no ALPN"
    );

    let demo = AngelAccount::demo();
    let login = exchange(
        &mut stream,
        "POST",
        LOGIN,
        &angel_headers(&demo.api_key, None),
        &login_body(&demo).to_string(),
    )
    .expect("login over TLS");
    assert_eq!(login.status, 200, "{}", login.text());
    let jwt = login.json()["data"]["jwtToken"]
        .as_str()
        .expect("a jwtToken")
        .to_owned();
    let profile = exchange(
        &mut stream,
        "GET",
        PROFILE,
        &angel_headers(&demo.api_key, Some(&jwt)),
        "",
    )
    .expect("profile on the same connection");
    assert_eq!(profile.json()["data"]["clientcode"], demo.client_code);
    let logged: Vec<(String, u16)> = sim
        .requests()
        .iter()
        .map(|r| (r.path.clone(), r.status))
        .collect();
    assert_eq!(logged, [(LOGIN.to_owned(), 200), (PROFILE.to_owned(), 200)]);
}

#[test]
fn the_valid_certificate_names_localhost_and_both_loopback_addresses() {
    let sim = https_sim(SimTls::Valid);
    let config = client_config(&sim.ca_pem().unwrap(), ALL_VERSIONS);
    for name in ["localhost", "127.0.0.1", "::1"] {
        connect(&sim, Arc::clone(&config), name).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let error = certificate_error(connect(&sim, config, "example.com"));
    let CertificateError::NotValidForNameContext { presented, .. } = &error else {
        panic!("{error:?}");
    };
    let presented = presented.join(" ");
    for name in ["localhost", "127.0.0.1", "::1"] {
        assert!(presented.contains(name), "{presented}");
    }
}

#[test]
fn each_start_makes_a_new_ca_that_clients_do_not_otherwise_trust() {
    let sim = https_sim(SimTls::Valid);
    let other = https_sim(SimTls::Valid);
    assert_ne!(sim.ca_pem(), other.ca_pem());
    let config = client_config(&other.ca_pem().unwrap(), ALL_VERSIONS);
    assert_eq!(
        certificate_error(connect(&sim, config, "127.0.0.1")),
        CertificateError::UnknownIssuer
    );
}

#[test]
fn a_wrong_host_certificate_is_refused_by_a_verifying_client() {
    let sim = https_sim(SimTls::WrongHost);
    let config = client_config(&sim.ca_pem().unwrap(), ALL_VERSIONS);
    let error = certificate_error(connect(&sim, Arc::clone(&config), "127.0.0.1"));
    assert!(
        matches!(error, CertificateError::NotValidForNameContext { ref presented, .. }
            if presented.len() == 1 && presented[0].contains("wrong.example")),
        "{error:?}"
    );
    // The certificate is otherwise fine: for the name it carries, it is accepted.
    connect(&sim, config, "wrong.example").expect("valid for wrong.example");
}

#[test]
fn an_expired_certificate_is_refused_by_a_verifying_client() {
    let sim = https_sim(SimTls::Expired);
    let config = client_config(&sim.ca_pem().unwrap(), ALL_VERSIONS);
    let error = certificate_error(connect(&sim, config, "127.0.0.1"));
    assert!(
        matches!(error, CertificateError::ExpiredContext { .. }),
        "{error:?}"
    );
}

#[test]
fn a_certificate_for_named_hosts_is_valid_for_exactly_those() {
    let sim = https_sim(SimTls::Names(vec!["broker.test".into()]));
    let config = client_config(&sim.ca_pem().unwrap(), ALL_VERSIONS);
    connect(&sim, Arc::clone(&config), "broker.test").expect("valid for broker.test");
    certificate_error(connect(&sim, config, "127.0.0.1"));
}

#[test]
fn tls_versions_limit_what_the_server_accepts() {
    let tls12 = https_sim_with(SimTls::Valid, TlsVersions::Tls12Only);
    let ca = tls12.ca_pem().unwrap();
    let stream = connect(&tls12, client_config(&ca, ALL_VERSIONS), "127.0.0.1").expect("TLS 1.2");
    assert_eq!(
        stream.conn.protocol_version(),
        Some(ProtocolVersion::TLSv1_2)
    );
    let only13 = client_config(&ca, &[&rustls::version::TLS13]);
    connect(&tls12, only13, "127.0.0.1").expect_err("a TLS 1.3-only client cannot connect");

    let tls13 = https_sim_with(SimTls::Valid, TlsVersions::Tls13Only);
    let ca = tls13.ca_pem().unwrap();
    let only12 = client_config(&ca, &[&rustls::version::TLS12]);
    connect(&tls13, only12, "127.0.0.1").expect_err("a TLS 1.2-only client cannot connect");
}

#[test]
fn a_reset_fault_resets_the_socket_under_tls() {
    let sim = https_sim(SimTls::Valid);
    sim.inject("/reset-me", Fault::Reset, FaultTimes::Next(1));
    let config = client_config(&sim.ca_pem().unwrap(), ALL_VERSIONS);
    let mut stream = connect(&sim, Arc::clone(&config), "127.0.0.1").expect("handshake");
    let error = exchange(&mut stream, "GET", "/reset-me", &[], "").expect_err("reset");
    assert_eq!(error.kind(), io::ErrorKind::ConnectionReset, "{error}");
    // A canned reply goes through TLS like any other.
    sim.inject(
        "/teapot",
        Fault::Reply {
            status: 418,
            content_type: "text/plain".into(),
            body: "short and stout".into(),
        },
        FaultTimes::Next(1),
    );
    let mut stream = connect(&sim, config, "127.0.0.1").expect("handshake");
    let reply = exchange(&mut stream, "GET", "/teapot", &[], "").expect("reply");
    assert_eq!(
        (reply.status, reply.text().as_str()),
        (418, "short and stout")
    );
}

#[test]
fn plain_http_to_the_tls_port_is_dropped_and_the_server_keeps_serving() {
    let sim = https_sim(SimTls::Valid);
    let addr = sim.base_url().trim_start_matches("https://").to_owned();
    let mut plain = TcpStream::connect(&addr).unwrap();
    plain.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    plain
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let mut reply = Vec::new();
    let _ = plain.read_to_end(&mut reply);
    assert!(!reply.starts_with(b"HTTP/"), "no plain HTTP answer");
    assert!(sim.requests().is_empty(), "nothing was read as a request");
    let config = client_config(&sim.ca_pem().unwrap(), ALL_VERSIONS);
    connect(&sim, config, "127.0.0.1").expect("TLS still works");
}

#[test]
fn the_ca_file_holds_the_ca_while_the_sim_runs_and_is_removed_on_drop() {
    let sim = https_sim(SimTls::Valid);
    let path = sim.ca_file().expect("a CA file");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        sim.ca_pem().unwrap()
    );
    drop(sim);
    assert!(!path.exists(), "{} is removed", path.display());

    let plain = crate::common::sim_without_limits();
    assert!(plain.base_url().starts_with("http://"));
    assert!(plain.ca_pem().is_none() && plain.ca_file().is_none());
}

#[test]
fn the_cli_with_tls_prints_the_ca_file_and_removes_it_on_eof() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_brokersim"))
        .args(["--tls", "--stop-on-eof"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn brokersim");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("startup line");
    let startup: serde_json::Value = serde_json::from_str(&line).expect("JSON");
    let base_url = startup["base_url"].as_str().expect("base_url");
    assert!(base_url.starts_with("https://127.0.0.1:"), "{line}");
    assert!(
        startup["angelone"]["base_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://")),
        "{line}"
    );
    let ca_file = std::path::PathBuf::from(startup["ca_file"].as_str().expect("ca_file"));
    let ca_pem = std::fs::read_to_string(&ca_file).expect("the CA file exists");

    let socket = TcpStream::connect(base_url.trim_start_matches("https://")).unwrap();
    socket.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let tls = ClientConnection::new(
        client_config(&ca_pem, ALL_VERSIONS),
        ServerName::try_from("127.0.0.1").unwrap(),
    )
    .unwrap();
    let mut stream = rustls::StreamOwned::new(tls, socket);
    let reply = exchange(&mut stream, "GET", "/nothing", &[], "").expect("HTTPS works");
    assert_eq!(reply.status, 404);

    drop(child.stdin.take());
    assert!(child.wait().expect("exit").success());
    assert!(!ca_file.exists(), "the CA file is removed at exit");
}
