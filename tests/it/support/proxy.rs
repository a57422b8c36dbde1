//! A small forward proxy on 127.0.0.1 for the proxy tests, one thread per connection.
//!
//! It tunnels `CONNECT host:port` (HTTPS) and forwards absolute-form requests
//! (`GET http://host:port/path`, one per connection, sent on with
//! `Connection: close`), optionally requiring `Proxy-Authorization: Basic …`
//! (407 otherwise). It only ever connects to loopback targets (127.0.0.1,
//! localhost, [::1]; anything else gets 403), keeps at most
//! [`MAX_CONNECTIONS`] connections, closes one idle for [`IDLE_TIMEOUT`], and
//! stops when dropped.

use base64::Engine as _;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Most connections served at once; more are closed at once.
pub const MAX_CONNECTIONS: usize = 32;
/// A connection or tunnel with no traffic for this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// How often blocked reads check the stop flag.
const POLL: Duration = Duration::from_millis(50);
/// Largest request head accepted.
const MAX_HEAD: usize = 64 * 1024;

/// A running proxy; dropping it stops it and waits for its threads.
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

/// What the proxy's threads share.
struct Shared {
    /// The exact `Proxy-Authorization` value required, if any.
    expected_auth: Option<String>,
    stopping: AtomicBool,
    handled: AtomicUsize,
    refused: AtomicUsize,
    active: AtomicUsize,
    log: Mutex<Vec<String>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Proxy {
    /// A proxy that lets anyone through.
    pub fn start() -> Proxy {
        Proxy::start_with(None)
    }

    /// A proxy that requires Basic credentials `user:password`.
    pub fn with_credentials(user: &str, password: &str) -> Proxy {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        Proxy::start_with(Some(format!("Basic {token}")))
    }

    fn start_with(expected_auth: Option<String>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let shared = Arc::new(Shared {
            expected_auth,
            stopping: AtomicBool::new(false),
            handled: AtomicUsize::new(0),
            refused: AtomicUsize::new(0),
            active: AtomicUsize::new(0),
            log: Mutex::new(Vec::new()),
            threads: Mutex::new(Vec::new()),
        });
        let accepting = Arc::clone(&shared);
        let acceptor = thread::spawn(move || accept(&listener, &accepting));
        Proxy {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://user:password@127.0.0.1:PORT`.
    pub fn url_with_credentials(&self, user: &str, password: &str) -> String {
        format!("http://{user}:{password}@{}", self.addr)
    }

    /// Requests served: tunnels opened plus requests forwarded.
    pub fn handled(&self) -> usize {
        self.shared.handled.load(Ordering::SeqCst)
    }

    /// Requests answered 407 for missing or wrong credentials.
    pub fn refused(&self) -> usize {
        self.shared.refused.load(Ordering::SeqCst)
    }

    /// What was served, oldest first: `CONNECT host:port` or `METHOD http://host:port/path`
    /// (without query).
    pub fn log(&self) -> Vec<String> {
        lock(&self.shared.log).clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the acceptor from `accept`.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        let threads = std::mem::take(&mut *lock(&self.shared.threads));
        for thread in threads {
            let _ = thread.join();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn accept(listener: &TcpListener, shared: &Arc<Shared>) {
    for client in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else { continue };
        if shared.active.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
            continue; // dropped: closed
        }
        shared.active.fetch_add(1, Ordering::SeqCst);
        let serving = Arc::clone(shared);
        let thread = thread::spawn(move || {
            let _ = serve(client, &serving);
            serving.active.fetch_sub(1, Ordering::SeqCst);
        });
        let mut threads = lock(&shared.threads);
        threads.retain(|t| !t.is_finished());
        threads.push(thread);
    }
}

/// One request head, parsed just enough for a proxy.
struct Head {
    method: String,
    target: String,
    /// Header lines as sent, `(name, value)`.
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn serve(mut client: TcpStream, shared: &Shared) -> io::Result<()> {
    client.set_read_timeout(Some(POLL))?;
    client.set_nodelay(true)?;
    let mut buffer = Vec::new();
    let Some((head, head_len)) = read_head(&mut client, &mut buffer, shared)? else {
        return Ok(());
    };
    let rest = buffer.split_off(head_len);
    if shared.expected_auth.is_some()
        && head.header("proxy-authorization") != shared.expected_auth.as_deref()
    {
        shared.refused.fetch_add(1, Ordering::SeqCst);
        return reply(
            &mut client,
            "407 Proxy Authentication Required",
            "Proxy-Authenticate: Basic realm=\"brokerlink-test\"\r\n",
        );
    }
    if head.method.eq_ignore_ascii_case("CONNECT") {
        tunnel(client, &head, &rest, shared)
    } else {
        forward(client, &head, rest, shared)
    }
}

/// Reads until the end of the head; `None` when the client went away, idled
/// out, sent something unreadable, or the proxy is stopping.
fn read_head(
    client: &mut TcpStream,
    buffer: &mut Vec<u8>,
    shared: &Shared,
) -> io::Result<Option<(Head, usize)>> {
    let started = Instant::now();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let text = String::from_utf8_lossy(&buffer[..end]).into_owned();
            let mut lines = text.split("\r\n");
            let mut request_line = lines.next().unwrap_or("").split(' ');
            let (Some(method), Some(target)) = (request_line.next(), request_line.next()) else {
                return Ok(None);
            };
            let headers = lines
                .filter_map(|line| line.split_once(':'))
                .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
                .collect();
            let head = Head {
                method: method.to_string(),
                target: target.to_string(),
                headers,
            };
            return Ok(Some((head, end + 4)));
        }
        if buffer.len() > MAX_HEAD {
            return Ok(None);
        }
        match client.read(&mut chunk) {
            Ok(0) => return Ok(None),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(e) if is_timeout(&e) => {
                if shared.stopping.load(Ordering::SeqCst) || started.elapsed() > IDLE_TIMEOUT {
                    return Ok(None);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// Sends a body-less reply and closes.
fn reply(client: &mut TcpStream, status: &str, extra_headers: &str) -> io::Result<()> {
    let body = status;
    write!(
        client,
        "HTTP/1.1 {status}\r\n{extra_headers}Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    client.flush()
}

/// Whether `host` (as in a URL or CONNECT target, IPv6 in brackets) is loopback.
fn is_loopback(host: &str) -> bool {
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

/// Splits `host:port`; `None` without a port or for a non-loopback host.
fn loopback_target(authority: &str) -> Option<(String, u16)> {
    let (host, port) = authority.rsplit_once(':')?;
    let port = port.parse().ok()?;
    is_loopback(host).then(|| (host.trim_matches(['[', ']']).to_string(), port))
}

/// `CONNECT host:port`: answer 200, then copy bytes both ways until both
/// sides are done.
fn tunnel(mut client: TcpStream, head: &Head, rest: &[u8], shared: &Shared) -> io::Result<()> {
    let Some((host, port)) = loopback_target(&head.target) else {
        return reply(&mut client, "403 Forbidden", "");
    };
    let Ok(mut upstream) = TcpStream::connect((host.as_str(), port)) else {
        return reply(&mut client, "502 Bad Gateway", "");
    };
    upstream.set_read_timeout(Some(POLL))?;
    upstream.set_nodelay(true)?;
    shared.handled.fetch_add(1, Ordering::SeqCst);
    lock(&shared.log).push(format!("CONNECT {}", head.target));
    client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")?;
    upstream.write_all(rest)?;
    let (client_in, upstream_out) = (client.try_clone()?, upstream.try_clone()?);
    let stopping = &shared.stopping;
    thread::scope(|scope| {
        scope.spawn(|| pump(upstream, client, stopping));
        pump(client_in, upstream_out, stopping);
    });
    Ok(())
}

/// Copies `from` to `to` until `from` ends, idles out or the proxy stops;
/// then shuts `to` for writing so its reader sees the end.
fn pump(mut from: TcpStream, mut to: TcpStream, stopping: &AtomicBool) {
    let mut chunk = [0u8; 16 * 1024];
    let mut last = Instant::now();
    loop {
        match from.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                if to.write_all(&chunk[..n]).is_err() {
                    break;
                }
                last = Instant::now();
            }
            Err(e) if is_timeout(&e) => {
                if stopping.load(Ordering::SeqCst) || last.elapsed() > IDLE_TIMEOUT {
                    let _ = from.shutdown(Shutdown::Both);
                    break;
                }
            }
            Err(_) => break,
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// An absolute-form request: send it on in origin form with `Connection:
/// close`, relay the whole reply, close.
fn forward(
    mut client: TcpStream,
    head: &Head,
    mut body: Vec<u8>,
    shared: &Shared,
) -> io::Result<()> {
    let Some(rest) = head.target.strip_prefix("http://") else {
        return reply(&mut client, "400 Bad Request", "");
    };
    let (authority, path) = rest
        .find('/')
        .map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
    let Some((host, port)) = loopback_target(authority) else {
        return reply(&mut client, "403 Forbidden", "");
    };
    let length: usize = head
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let started = Instant::now();
    let mut chunk = [0u8; 8192];
    while body.len() < length {
        match client.read(&mut chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => body.extend_from_slice(&chunk[..n]),
            Err(e) if is_timeout(&e) && started.elapsed() < IDLE_TIMEOUT => {}
            Err(e) => return Err(e),
        }
    }
    let Ok(mut upstream) = TcpStream::connect((host.as_str(), port)) else {
        return reply(&mut client, "502 Bad Gateway", "");
    };
    upstream.set_read_timeout(Some(POLL))?;
    let mut request = format!("{} {path} HTTP/1.1\r\n", head.method);
    for (name, value) in &head.headers {
        let hop_by_hop = [
            "proxy-authorization",
            "proxy-connection",
            "connection",
            "keep-alive",
        ];
        if !hop_by_hop.iter().any(|h| name.eq_ignore_ascii_case(h)) {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    request.push_str("Connection: close\r\n\r\n");
    upstream.write_all(request.as_bytes())?;
    upstream.write_all(&body[..length.min(body.len())])?;
    shared.handled.fetch_add(1, Ordering::SeqCst);
    let without_query = head.target.split('?').next().unwrap_or("");
    lock(&shared.log).push(format!("{} {without_query}", head.method));
    // The reply ends when the server closes (we asked it to).
    pump(upstream, client, &shared.stopping);
    Ok(())
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
