//! The browser side of a Fyers login: `/generate-authcode`, which redirects at once with a fresh
//! auth code (there is no form to fill in), and the callback page the demo account lands on.

use crate::fyers::state::FyersState;
use crate::http::{Request, Response};
use crate::web::{html_escape, page, query_param, redirect, with_query};
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
    let state = query_param(query, "state");
    let mut params = vec![("s", "ok"), ("code", "200"), ("auth_code", code.as_str())];
    if let Some(state) = &state {
        params.push(("state", state));
    }
    redirect(&with_query(&redirect_uri, &params))
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
