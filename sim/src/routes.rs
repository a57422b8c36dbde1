//! Sends each request to the broker family that owns its path.
//!
//! Broker families live side by side and are told apart by path prefix: Angel One's paths start
//! with `/rest/`, Noren's with `/noren/`, Zerodha's with `/session/`,
//! `/user/` or `/connect/` (Kite's own paths, at the root). A new family adds its module and one line here.

use crate::angel;
use crate::dhan;
use crate::fyers;
use crate::http::{Request, Response};
use crate::noren;
use crate::state::Shared;
use crate::upstox;
use crate::zerodha;

/// Answers a request with the reply of the broker family owning its path, or 404.
pub(crate) fn dispatch(shared: &Shared, request: &Request) -> Response {
    if request.path.starts_with(angel::PATH_PREFIX) {
        angel::handle(&shared.angel, &shared.options, request)
    } else if request.path.starts_with(noren::PATH_PREFIX) {
        noren::handle(&shared.noren, &shared.options, request)
    } else if zerodha::owns(&request.path) {
        zerodha::handle(&shared.zerodha, &shared.options, request)
    } else if request.path.starts_with(upstox::PATH_PREFIX) {
        upstox::handle(&shared.upstox, &shared.options, request)
    } else if request.path.starts_with(fyers::PATH_PREFIX) {
        fyers::handle(&shared.fyers, &shared.options, request)
    } else if request.path.starts_with(dhan::PATH_PREFIX) {
        dhan::handle(&shared.dhan, &shared.options, request)
    } else {
        Response::html_error(404)
    }
}
