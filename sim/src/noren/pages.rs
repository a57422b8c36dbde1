//! The browser pages of the Noren logins: the authorize pages that redirect with a fresh code,
//! and the callback page the demo accounts are redirected to.

use crate::http::{Request, Response};
use crate::noren::Context;
use crate::noren::preset::Preset;
use crate::noren::state::NorenState;
use crate::web::{html_escape, page, percent_encode};

/// The login page, `GET /noren/<preset>/OAuthlogin/authorize/oauth?client_id=<client_id>` or
/// `GET /noren/flattrade/auth/?app_key=<api_key>`: there is no form to fill in; a registered app
/// gets `302` to its account's redirect URL with `?code=<fresh code>` (Flattrade: also
/// `&client=<user id>`); anything else gets a 400 page.
pub(crate) fn authorize(
    noren: &mut NorenState,
    preset: Preset,
    request: &Request,
    context: &Context,
) -> Response {
    let param = match preset {
        Preset::Flattrade => "app_key",
        _ => "client_id",
    };
    let app = query_param(request.query.as_deref(), param);
    let Some(account) = app.and_then(|app| noren.account_by_app(preset, &app)) else {
        let text = format!("No {} app is registered with this {param}.", preset.name());
        return page(
            400,
            "Unknown app",
            &format!("<p>{}</p>", html_escape(&text)),
        );
    };
    let (user_id, redirect_url) = (account.user_id.clone(), account.redirect_url.clone());
    redirect_with_code(noren, preset, &user_id, &redirect_url, context)
}

/// Shoonya's investor-entry login page: the app's client id as `api_key` and the user id as
/// `route_to`, which must be the app's user; then the same redirect as [`authorize`].
pub(crate) fn investor_entry(
    noren: &mut NorenState,
    request: &Request,
    context: &Context,
) -> Response {
    let preset = Preset::Shoonya;
    let query = request.query.as_deref();
    let account = query_param(query, "api_key")
        .and_then(|app| noren.account_by_app(preset, &app))
        .filter(|account| query_param(query, "route_to").as_deref() == Some(&account.user_id));
    let Some(account) = account else {
        let text = "No Shoonya app is registered with this api_key and route_to.";
        return page(400, "Unknown app", &format!("<p>{text}</p>"));
    };
    let (user_id, redirect_url) = (account.user_id.clone(), account.redirect_url.clone());
    redirect_with_code(noren, preset, &user_id, &redirect_url, context)
}

/// A 302 to the app's redirect URL with a fresh code (and Flattrade's `client`).
fn redirect_with_code(
    noren: &mut NorenState,
    preset: Preset,
    user_id: &str,
    redirect_url: &str,
    context: &Context,
) -> Response {
    let code = noren.mint_code(preset, user_id, context.code_ttl, context.now);
    let mut params = vec![("code", code.as_str())];
    if preset == Preset::Flattrade {
        params.push(("client", user_id));
    }
    let location = with_query(redirect_url, &params);
    let link = html_escape(&location);
    page(
        302,
        "Found",
        &format!("<p><a href=\"{link}\">{link}</a></p>"),
    )
    .with_header("Location", &location)
}

/// `GET /noren/callback?code=…[&client=…]`: shows the code (and client) to a person doing the
/// login by hand; 400 without a code.
pub(crate) fn callback(request: &Request) -> Response {
    let query = request.query.as_deref();
    let Some(code) = query_param(query, "code") else {
        return page(400, "No code", "<p>The redirect carried no code.</p>");
    };
    let mut html = format!("<p>code: <code>{}</code></p>", html_escape(&code));
    if let Some(client) = query_param(query, "client") {
        html.push_str(&format!(
            "<p>client: <code>{}</code></p>",
            html_escape(&client)
        ));
    }
    page(200, "Authorization code", &html)
}

/// `url` with `params` appended to its query, values percent-encoded. Control characters are
/// dropped from `url`, so that it cannot break the `Location` header.
fn with_query(url: &str, params: &[(&str, &str)]) -> String {
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
fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(key) == name).then(|| percent_decode(value))
    })
}

/// Decodes `%XX` escapes and `+`; malformed escapes stay as they are, invalid UTF-8 becomes
/// U+FFFD.
fn percent_decode(text: &str) -> String {
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

/// The value of one hex digit.
fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_params_are_decoded() {
        let query = Some("a=1&client_id=x%2By+z&bad=%zz%4");
        assert_eq!(query_param(query, "client_id").as_deref(), Some("x+y z"));
        assert_eq!(query_param(query, "bad").as_deref(), Some("%zz%4"));
        assert_eq!(query_param(query, "missing"), None);
        assert_eq!(query_param(None, "a"), None);
        assert_eq!(query_param(Some("flag"), "flag").as_deref(), Some(""));
        assert_eq!(percent_decode("%e2%82%ac%ff"), "\u{20ac}\u{fffd}");
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
            with_query("http://h/\r\ncb", &params[..1]),
            "http://h/cb?code=a%20b"
        );
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            html_escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }
}
