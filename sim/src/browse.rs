//! [`browse`]: what a user's browser does with a broker's login page, for
//! scripts and demos that run an OAuth-style login without a browser.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// GETs a simulated login page (`http://` only) and returns the address it
/// redirects to: the app's redirect URL carrying a fresh `code`. Any reply
/// but a redirect is an error that quotes the reply's status line.
pub fn browse(url: &str) -> io::Result<String> {
    let invalid = |why: &str| io::Error::new(io::ErrorKind::InvalidInput, why.to_string());
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| invalid("only http:// login pages can be browsed"))?;
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )?;
    let mut reply = Vec::new();
    stream.take(64 * 1024).read_to_end(&mut reply)?;
    let reply = String::from_utf8_lossy(&reply);
    let head = reply.split("\r\n\r\n").next().unwrap_or("");
    let status_line = head.lines().next().unwrap_or("");
    let location = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("location")
            .then(|| value.trim().to_string())
    });
    match location {
        Some(location)
            if status_line
                .split(' ')
                .nth(1)
                .is_some_and(|s| s.starts_with('3')) =>
        {
            Ok(location)
        }
        _ => Err(io::Error::other(format!(
            "the login page did not redirect: {status_line}"
        ))),
    }
}
