//! The gateway's token and API-key check in front of generateTokens and the secure endpoints.

use std::time::SystemTime;

use crate::angel::envelope::{self, INVALID_API_KEY, INVALID_TOKEN, TOKEN_EXPIRED, TOKEN_MISSING};
use crate::angel::sessions::AngelState;
use crate::http::{Request, Response};
use crate::time::has_passed;

/// Whether an expired (but genuine, unrevoked) jwt gets through: generateTokens accepts one, as
/// that is how a client refreshes after expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExpiredJwt {
    /// An expired jwt is refused with `AG8002`.
    Refuse,
    /// An expired jwt is accepted.
    Accept,
}

/// Checks the Bearer jwt and `X-PrivateKey` of a request and returns the jwt, which names the
/// session in [`AngelState`]. Refusals are gateway envelopes: `AG8003` without a token, `AG8004`
/// for an unregistered key, `AG8001` for an unknown or revoked token or one of another app's
/// accounts, `AG8002` for an expired one (unless `expired` is [`ExpiredJwt::Accept`]).
pub(crate) fn authorize(
    angel: &AngelState,
    request: &Request,
    expired: ExpiredJwt,
    now: SystemTime,
) -> Result<String, Response> {
    let Some(jwt) = request.bearer_token() else {
        return Err(envelope::gateway_error(TOKEN_MISSING));
    };
    let api_key = request.header("x-privatekey").unwrap_or_default();
    if angel.account_by_key(api_key).is_none() {
        return Err(envelope::gateway_error(INVALID_API_KEY));
    }
    let Some(session) = angel.session(jwt) else {
        return Err(envelope::gateway_error(INVALID_TOKEN));
    };
    let same_app = angel
        .account(&session.client_code)
        .is_some_and(|account| account.api_key == api_key);
    if !same_app {
        return Err(envelope::gateway_error(INVALID_TOKEN));
    }
    if expired == ExpiredJwt::Refuse && has_passed(session.jwt_expires_at, now) {
        return Err(envelope::gateway_error(TOKEN_EXPIRED));
    }
    Ok(jwt.to_owned())
}
