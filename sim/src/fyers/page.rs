//! The browser side of a Fyers login: `/generate-authcode`, which redirects at once with a fresh
//! auth code (there is no form to fill in), and the callback page the demo account lands on.

use crate::fyers::state::FyersState;
use crate::http::{Request, Response};
use crate::web::page;
use std::time::SystemTime;

/// `GET <base>/generate-authcode?client_id=…&redirect_uri=…&response_type=code&state=…`: a
/// registered app whose `redirect_uri` is the registered one and whose `response_type` is `code`
/// gets `302` to `<redirect_uri>?s=ok&code=200&auth_code=<fresh code>&state=<state>` (PROTOCOLS.md
/// §6.2; `state` only when the request had one); anything else gets a 400 page.
pub(crate) fn generate_authcode(
    fyers: &mut FyersState,
    request: &Request,
    now: SystemTime,
) -> Response {
    let query = request.query.as_deref();
    let client_id = query_param(query, "client_id").unwrap_or_default();
    let Some(account) = fyers.account(&client_id) else {
        return page(
            400,
            "Unknown app",
            "<p>No Fyers app is registered with this client_id.</p>",
        );
    };
    if query_param(query, "redirect_uri").as_deref() != Some(account.redirect_uri.as_str()) {
        return page(
            400,
            "Invalid redirect_uri",
            "<p>The redirect_uri is not the one registered with the app.</p>",
        );
    }
    if query_param(query, "response_type").as_deref() != Some("code") {
        return page(
            400,
            "Invalid response_type",
            "<p>response_type must be code.</p>",
        );
    }
    let redirect_uri = account.redirect_uri.clone();
    let code = fyers.mint_code(&client_id, now);
    let mut params = vec![("s", "ok".to_owned()), ("code", "200".to_owned())];
    params.push(("auth_code", code));
    if let Some(state) = query_param(query, "state") {
        params.push(("state", state));
    }
    let location = with_query(&redirect_uri, &params);
    let link = html_escape(&location);
    page(
        302,
        "Found",
        &format!("<p><a href=\"{link}\">{link}</a></p>"),
    )
    .with_header("Location", &location)
}

/// `GET /fyers/callback?s=ok&code=200&auth_code=…&state=…`: shows the auth code to a person
/// logging in by hand; 400 without one.
pub(crate) fn callback(request: &Request) -> Response {
    let query = request.query.as_deref();
    let Some(code) = query_param(query, "auth_code") else {
        return page(
            400,
            "No auth code",
            "<p>The redirect carried no auth_code.</p>",
        );
    };
    let mut html = format!("<p>auth_code: <code>{}</code></p>", html_escape(&code));
    if let Some(state) = query_param(query, "state") {
        html.push_str(&format!(
            "<p>state: <code>{}</code></p>",
            html_escape(&state)
        ));
    }
    page(200, "Fyers auth code", &html)
}

/// `url` with `params` appended to its query, values percent-encoded; control characters are
/// dropped from `url` so that it cannot break the `Location` header.
fn with_query(url: &str, params: &[(&str, String)]) -> String {
    let mut out: String = url.chars().filter(|c| !c.is_control()).collect();
    for (name, value) in params {
        let separator = match out.rfind('?') {
            None => "?",
            Some(at) if at + 1 == out.len() || out.ends_with('&') => "",
            Some(_) => "&",
        };
        out.push_str(&format!("{separator}{name}={}", percent_encode(value)));
    }
    out
}

/// The first value of `name` in a query string, percent-decoded (`+` is a space).
pub(crate) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(key) == name).then(|| percent_decode(value))
    })
}

/// Decodes `%XX` escapes and `+`; malformed escapes stay as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| {
            char::from(b)
                .to_digit(16)
                .and_then(|d| u8::try_from(d).ok())
        };
        match bytes.get(i..i + 3) {
            Some([b'%', high, low]) if hex(*high).is_some() && hex(*low).is_some() => {
                out.push(hex(*high).unwrap_or(0) << 4 | hex(*low).unwrap_or(0));
                i += 3;
                continue;
            }
            _ => out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] }),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Escapes text for HTML content and attribute values.
fn html_escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            _ => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_params_round_trip() {
        let url = with_query(
            "http://h/cb",
            &[("s", "ok".into()), ("state", "a b&c".into())],
        );
        assert_eq!(url, "http://h/cb?s=ok&state=a%20b%26c");
        let query = url.split_once('?').map(|(_, q)| q);
        assert_eq!(query_param(query, "state").as_deref(), Some("a b&c"));
        assert_eq!(query_param(Some("x=%zz+1"), "x").as_deref(), Some("%zz 1"));
        assert_eq!(query_param(None, "x"), None);
        assert_eq!(html_escape("<'&\">"), "&lt;&#39;&amp;&quot;&gt;");
    }
}
