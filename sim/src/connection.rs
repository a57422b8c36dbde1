//! A client connection, plain TCP or TLS, as the server reads it and the responder writes to it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use rustls::{ServerConnection, StreamOwned};

/// How often a connection thread blocked on a read checks the stop flag.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// A client connection: plain TCP, or TLS over TCP. Faults that act on the socket itself (a TCP
/// reset) reach it through [`Connection::socket`].
pub(crate) trait Connection: Read + Write {
    /// The TCP socket underneath.
    fn socket(&self) -> &TcpStream;
}

impl Connection for TcpStream {
    fn socket(&self) -> &TcpStream {
        self
    }
}

/// TLS: reads and writes go through rustls; the handshake happens on the first read.
impl Connection for StreamOwned<ServerConnection, TcpStream> {
    fn socket(&self) -> &TcpStream {
        &self.sock
    }
}
