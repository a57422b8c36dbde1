//! The HTTP/1.1 server: a listener, an acceptor thread and one thread per connection, over plain
//! TCP or TLS ([`Connection`] is either).
//!
//! Connection threads poll the stop flag at least every [`POLL_INTERVAL`], so they all end soon
//! after the simulator stops, even when a client holds its connection open. Stopping wakes the
//! blocked acceptor by connecting to it, then joins it.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use rustls::{ServerConfig, ServerConnection, StreamOwned};

use crate::connection::{Connection, POLL_INTERVAL};
use crate::http::{ReadOutcome, RequestReader, Response, write_response};
use crate::respond::{AfterReply, reply};
use crate::state::Shared;

/// How long a write may block before the connection is given up.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// A listening server; [`Server::stop`] (or dropping it) ends it.
pub(crate) struct Server {
    shared: Arc<Shared>,
    local_addr: SocketAddr,
    acceptor: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds `host:port` and starts accepting connections, speaking TLS with `tls` if given.
    pub(crate) fn start(shared: Arc<Shared>, tls: Option<Arc<ServerConfig>>) -> io::Result<Server> {
        let listener = TcpListener::bind((shared.options.host.as_str(), shared.options.port))?;
        let local_addr = listener.local_addr()?;
        let acceptor_shared = Arc::clone(&shared);
        let acceptor = thread::Builder::new()
            .name("brokersim-acceptor".to_owned())
            .spawn(move || accept_connections(&listener, &acceptor_shared, tls.as_ref()))?;
        Ok(Server {
            shared,
            local_addr,
            acceptor: Some(acceptor),
        })
    }

    /// The address clients can connect to: the bound address, with a wildcard (`0.0.0.0`, `::`)
    /// replaced by loopback.
    pub(crate) fn connect_addr(&self) -> SocketAddr {
        let ip = match self.local_addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        SocketAddr::new(ip, self.local_addr.port())
    }

    /// Stops accepting, tells connection threads to finish and waits for the acceptor.
    pub(crate) fn stop(&mut self) {
        self.shared.begin_stop();
        if let Some(acceptor) = self.acceptor.take() {
            // Wake the acceptor from `accept`; it sees the flag and returns. If the connection
            // fails the acceptor is not blocked in `accept` any more (or cannot be reached), so
            // joining is not attempted then.
            let woke = TcpStream::connect_timeout(&self.connect_addr(), Duration::from_secs(1));
            if woke.is_ok() {
                let _ = acceptor.join();
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Accepts connections until the simulator stops, one thread each.
fn accept_connections(
    listener: &TcpListener,
    shared: &Arc<Shared>,
    tls: Option<&Arc<ServerConfig>>,
) {
    for stream in listener.incoming() {
        if shared.is_stopping() {
            return;
        }
        let Ok(stream) = stream else {
            // Out of file descriptors or a connection aborted before accept: back off briefly.
            thread::sleep(POLL_INTERVAL);
            continue;
        };
        let connection_shared = Arc::clone(shared);
        let tls = tls.cloned();
        // If no thread can be spawned the stream is dropped, which closes the connection.
        let _ = thread::Builder::new()
            .name("brokersim-connection".to_owned())
            .spawn(move || serve_socket(stream, tls, &connection_shared));
    }
}

/// Sets up one accepted socket (timeouts, and TLS when configured), then serves it.
fn serve_socket(stream: TcpStream, tls: Option<Arc<ServerConfig>>, shared: &Shared) {
    let configured = stream
        .set_read_timeout(Some(POLL_INTERVAL))
        .and_then(|()| stream.set_write_timeout(Some(WRITE_TIMEOUT)))
        .and_then(|()| stream.set_nodelay(true));
    if configured.is_err() {
        return;
    }
    match tls {
        None => serve_connection(stream, shared),
        Some(config) => {
            // Fails only when the settings cannot serve any client; then the socket just closes.
            if let Ok(tls) = ServerConnection::new(config) {
                serve_connection(StreamOwned::new(tls, stream), shared);
            }
        }
    }
}

/// Serves the requests of one connection until it closes, idles out or the simulator stops. Over
/// TLS, a failed handshake (a client that refuses the certificate) ends it like a closed socket.
fn serve_connection(mut stream: impl Connection, shared: &Shared) {
    let mut reader = RequestReader::default();
    while !shared.is_stopping() {
        match reader.read(&mut stream, shared.stopping_flag()) {
            ReadOutcome::Closed => return,
            ReadOutcome::Rejected {
                status,
                reason,
                request,
            } => {
                let logged = request.map(|request| shared.log_request(&request));
                if let Some(id) = logged {
                    shared.record_status(id, status);
                }
                let response = Response::new(status, "text/plain", reason);
                let _ = write_response(&mut stream, &response, true);
                return;
            }
            ReadOutcome::Request(mut request) => {
                request.peer = stream.socket().peer_addr().ok().map(|a| a.ip());
                match reply(shared, &mut stream, &request) {
                    AfterReply::KeepOpen => {}
                    AfterReply::Close => return,
                }
            }
        }
    }
}
