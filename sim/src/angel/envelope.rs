//! The shapes of Angel One's replies: the service envelope, the gateway envelope, the rate-limit
//! text and the bare 400.

use serde_json::{Value, json};

use crate::http::Response;

/// An Angel One error: its code and the message the broker sends with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ErrorCode {
    /// The code, e.g. `AG8001`.
    pub(crate) code: &'static str,
    /// The message, e.g. `Invalid Token`.
    pub(crate) message: &'static str,
}

/// Gateway: the jwt is unknown, revoked, logged out or belongs to another app.
pub(crate) const INVALID_TOKEN: ErrorCode = ErrorCode {
    code: "AG8001",
    message: "Invalid Token",
};
/// Gateway: the jwt has expired.
pub(crate) const TOKEN_EXPIRED: ErrorCode = ErrorCode {
    code: "AG8002",
    message: "Token Expired",
};
/// Gateway: no `Authorization: Bearer` token.
pub(crate) const TOKEN_MISSING: ErrorCode = ErrorCode {
    code: "AG8003",
    message: "Token missing",
};
/// Gateway: `X-PrivateKey` is not a registered API key.
pub(crate) const INVALID_API_KEY: ErrorCode = ErrorCode {
    code: "AG8004",
    message: "Invalid API Key",
};
/// Gateway: the call comes from an IP address not registered for the API key (PROTOCOLS.md
/// §1.4, §8; the text is one of those reported).
pub(crate) const UNREGISTERED_IP: ErrorCode = ErrorCode {
    code: "AG7002",
    message: "Access denied: Unregistered IP address. Register your IP before retrying.",
};
/// Service: the login's `password` is not a 4-digit MPIN (PROTOCOLS.md §1.1). The broker's
/// code for it is not documented: the simulator sends none.
pub(crate) const MPIN_REQUIRED: ErrorCode = ErrorCode {
    code: "",
    message: "LoginbyPassword is not allowed. Please switch to Login by MPIN now.",
};
/// Service: `X-UserType` is not `USER`.
pub(crate) const USER_TYPE_MUST_BE_USER: ErrorCode = ErrorCode {
    code: "AB1005",
    message: "User Type Must Be USER",
};
/// Service: unknown client code or wrong PIN.
pub(crate) const AMX_ERROR: ErrorCode = ErrorCode {
    code: "AB1007",
    message: "AMX Error",
};
/// Service: the API key is unknown or belongs to another client.
pub(crate) const APPS_NOT_FOUND: ErrorCode = ErrorCode {
    code: "AB1034",
    message: "Apps not found",
};
/// Service: the TOTP code is wrong.
pub(crate) const INVALID_TOTP: ErrorCode = ErrorCode {
    code: "AB1050",
    message: "Invalid totp",
};
/// Service: an error without a more specific code (e.g. logout for another client).
pub(crate) const ERROR_NOT_SPECIFIED: ErrorCode = ErrorCode {
    code: "AB2000",
    message: "Error not specified",
};
/// Service: the refresh token is unknown, revoked or not the session's.
pub(crate) const INVALID_REFRESH_TOKEN: ErrorCode = ErrorCode {
    code: "AB8050",
    message: "Invalid Refresh Token",
};
/// Service: the refresh token has expired.
pub(crate) const REFRESH_TOKEN_EXPIRED: ErrorCode = ErrorCode {
    code: "AB8051",
    message: "Refresh Token Expired",
};

/// The response header that tells a developer why the simulator answered 400.
pub(crate) const REASON_HEADER: &str = "X-Brokersim-Reason";

/// HTTP 200 service envelope with `status: true` and `data`.
pub(crate) fn success(data: &Value) -> Response {
    Response::json(
        200,
        &json!({"status": true, "message": "SUCCESS", "errorcode": "", "data": data}),
    )
}

/// HTTP 200 service envelope with `status: false`.
pub(crate) fn service_error(error: ErrorCode) -> Response {
    Response::json(
        200,
        &json!({
            "status": false,
            "message": error.message,
            "errorcode": error.code,
            "data": null
        }),
    )
}

/// HTTP 200 gateway envelope (`success` and camel-case `errorCode`).
pub(crate) fn gateway_error(error: ErrorCode) -> Response {
    Response::json(
        200,
        &json!({
            "success": false,
            "message": error.message,
            "errorCode": error.code,
            "data": ""
        }),
    )
}

/// HTTP 400 with the broker's short JSON body; `reason` goes to the [`REASON_HEADER`] header
/// only (the real broker says nothing more than "Bad Request").
pub(crate) fn bad_request(reason: &str) -> Response {
    Response::json(
        400,
        &json!({"message": "Bad Request", "errorcode": "", "status": false, "data": null}),
    )
    .with_header(REASON_HEADER, reason)
}

/// HTTP 403 with the plain-text body the broker's rate limiter sends.
pub(crate) fn rate_limited() -> Response {
    Response::new(403, "text/plain", crate::fault::RATE_LIMIT_TEXT)
}
