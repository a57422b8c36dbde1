//! The browser pages of the Noren logins: the authorize pages that redirect with a fresh code,
//! and the callback page the demo accounts are redirected to.

use crate::http::{Request, Response};
use crate::noren::Context;
use crate::noren::preset::Preset;
use crate::noren::state::NorenState;
use crate::web::{html_escape, page, query_param, redirect, with_query};

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
    redirect(&with_query(redirect_url, &params))
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
