//! The pieces of the web every simulated login page and form-reading endpoint
//! shares: small HTML pages, the redirect back to the app, and query strings
//! and form bodies read and written.

use crate::http::Response;

/// A small HTML page.
pub(crate) fn page(status: u16, title: &str, body_html: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html><head><title>brokersim: {title}</title></head>\
         <body><h1>{title}</h1>{body_html}</body></html>"
    );
    Response::new(status, "text/html; charset=utf-8", html)
}

/// A login page's `302 Found` back to the app at `location`, with a page
/// that links there for a client that does not follow redirects.
pub(crate) fn redirect(location: &str) -> Response {
    let link = html_escape(location);
    page(
        302,
        "Found",
        &format!("<p><a href=\"{link}\">{link}</a></p>"),
    )
    .with_header("Location", location)
}

/// `url` with `params` appended to its query, names and values
/// percent-encoded. Control characters are dropped from `url`, so that it
/// cannot break the `Location` header.
pub(crate) fn with_query(url: &str, params: &[(&str, &str)]) -> String {
    let mut out: String = url.chars().filter(|c| !c.is_control()).collect();
    for (name, value) in params {
        let separator = match out.rfind('?') {
            None => "?",
            Some(at) if at + 1 == out.len() || out.ends_with('&') => "",
            Some(_) => "&",
        };
        out.push_str(separator);
        out.push_str(&percent_encode(name));
        out.push('=');
        out.push_str(&percent_encode(value));
    }
    out
}

/// The first value of `name` in a query string, percent-decoded (`+` is a
/// space); a name without `=` has the empty value.
pub(crate) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_param(&form_pairs(query?), name).map(str::to_owned)
}

/// The pairs of a form body or query string (`a=1&b=x%20y`), percent-decoded
/// (`+` is a space); empty pairs are skipped.
pub(crate) fn form_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

/// The first value of `name` among `pairs`.
pub(crate) fn form_param<'p>(pairs: &'p [(String, String)], name: &str) -> Option<&'p str> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
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

/// Decodes `%XX` escapes and `+` (a space). A malformed escape stays as it
/// is, and bytes that are not UTF-8 become U+FFFD.
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes.get(i..i + 3) {
            Some([b'%', high, low]) => hex_value(*high).zip(hex_value(*low)),
            _ => None,
        };
        match (bytes[i], escaped) {
            (_, Some((high, low))) => {
                out.push(high << 4 | low);
                i += 3;
                continue;
            }
            (b'+', None) => out.push(b' '),
            (byte, None) => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A hex digit's value; `None` for anything else, a sign included.
fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_params_are_decoded() {
        let query = Some("a=1&client_id=x%2By+z&bad=%zz%4&pin=12%2034");
        assert_eq!(query_param(query, "client_id").as_deref(), Some("x+y z"));
        assert_eq!(query_param(query, "bad").as_deref(), Some("%zz%4"));
        assert_eq!(query_param(query, "pin").as_deref(), Some("12 34"));
        assert_eq!(query_param(query, "missing"), None);
        assert_eq!(query_param(None, "a"), None);
        assert_eq!(query_param(Some("flag"), "flag").as_deref(), Some(""));
    }

    #[test]
    fn percent_decoding_takes_only_hex_escapes() {
        assert_eq!(percent_decode("%e2%82%ac%ff"), "\u{20ac}\u{fffd}");
        // A sign is not a hex digit, though `u8::from_str_radix` takes one.
        assert_eq!(percent_decode("%+f%-1"), "% f%-1");
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn forms_are_decoded() {
        let form = form_pairs("code=a%2Bb&redirect_uri=http%3A%2F%2Fh%2Fcb&x=1+2&&flag&bad=%zz");
        assert_eq!(form.len(), 5);
        assert_eq!(form_param(&form, "code"), Some("a+b"));
        assert_eq!(form_param(&form, "redirect_uri"), Some("http://h/cb"));
        assert_eq!(form_param(&form, "x"), Some("1 2"));
        assert_eq!(form_param(&form, "flag"), Some(""));
        assert_eq!(form_param(&form, "bad"), Some("%zz"));
        assert_eq!(form_param(&form, "missing"), None);
    }

    #[test]
    fn redirects_append_to_any_existing_query() {
        let params = [("code", "a b"), ("client", "U1")];
        assert_eq!(
            with_query("http://h/cb", &params),
            "http://h/cb?code=a%20b&client=U1"
        );
        assert_eq!(
            with_query("http://h/cb?x=1", &params[..1]),
            "http://h/cb?x=1&code=a%20b"
        );
        assert_eq!(
            with_query("http://h/cb?", &params[..1]),
            "http://h/cb?code=a%20b"
        );
        assert_eq!(
            with_query("http://h/cb?x=1&", &params[..1]),
            "http://h/cb?x=1&code=a%20b"
        );
        assert_eq!(
            with_query("http://h/\r\ncb", &[("n m", "&")]),
            "http://h/cb?n%20m=%26"
        );
        let page = redirect("http://h/cb?a=1&b=<2>");
        assert_eq!(page.status, 302);
        let html = String::from_utf8_lossy(&page.body);
        assert!(html.contains("http://h/cb?a=1&amp;b=&lt;2&gt;"), "{html}");
    }

    #[test]
    fn encoding_and_escaping() {
        assert_eq!(percent_encode("a b/c&d~"), "a%20b%2Fc%26d~");
        assert_eq!(html_escape("<'&\">"), "&lt;&#39;&amp;&quot;&gt;");
    }
}
