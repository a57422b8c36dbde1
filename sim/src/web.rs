//! The small HTML pages and URL pieces the simulated login pages share.

use crate::http::Response;

/// A small HTML page.
pub(crate) fn page(status: u16, title: &str, body_html: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html><head><title>brokersim: {title}</title></head>\
         <body><h1>{title}</h1>{body_html}</body></html>"
    );
    Response::new(status, "text/html; charset=utf-8", html)
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub(crate) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Escapes text for HTML content and attribute values.
pub(crate) fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
