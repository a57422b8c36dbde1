//! The browser pages of the Kite login: the login page that redirects with a fresh request
//! token, and the callback page the demo account is redirected to.

use crate::http::{Request, Response};
use crate::web::{form_pairs, html_escape, page, redirect, with_query};
use crate::zerodha::Context;
use crate::zerodha::state::ZerodhaState;
use crate::zerodha::wire::param;

/// `GET /connect/login?v=3&api_key=<api_key>` (PROTOCOLS.md §4.1): there is no form to fill
/// in; a registered app gets `302` to its redirect URL with
/// `action=login&type=login&status=success&request_token=<fresh token>` (plus
/// `redirect_params`, decoded, when given); without `v=3` or with an unknown api_key, a 400 page.
pub(crate) fn login(zerodha: &mut ZerodhaState, request: &Request, context: &Context) -> Response {
    let query = form_pairs(request.query.as_deref().unwrap_or(""));
    if param(&query, "v") != Some("3") {
        return page(400, "Bad request", "<p>This login page needs v=3.</p>");
    }
    let account = param(&query, "api_key").and_then(|key| zerodha.account_by_key(key));
    let Some(account) = account else {
        return page(
            400,
            "Invalid api_key",
            "<p>No app is registered with this api_key.</p>",
        );
    };
    let (user_id, redirect_url) = (account.user_id.clone(), account.redirect_url.clone());
    let token = zerodha.mint_request_token(&user_id, context.request_token_ttl, context.now);
    let mut params = vec![
        ("action", "login"),
        ("type", "login"),
        ("status", "success"),
        ("request_token", token.as_str()),
    ];
    let extra = param(&query, "redirect_params").map(form_pairs);
    params.extend(
        extra
            .iter()
            .flatten()
            .map(|(name, value)| (name.as_str(), value.as_str())),
    );
    redirect(&with_query(&redirect_url, &params))
}

/// `GET /connect/callback?…&request_token=…`: shows the request token to a person logging in by
/// hand; 400 without one.
pub(crate) fn callback(request: &Request) -> Response {
    let query = form_pairs(request.query.as_deref().unwrap_or(""));
    match param(&query, "request_token").filter(|t| !t.is_empty()) {
        Some(token) => page(
            200,
            "Request token",
            &format!("<p>request_token: <code>{}</code></p>", html_escape(token)),
        ),
        None => page(
            400,
            "No request token",
            "<p>The redirect carried no request_token.</p>",
        ),
    }
}
