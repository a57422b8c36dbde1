//! Upstox's wire: the `status`/`data` envelope, the error envelope with both key spellings
//! (PROTOCOLS.md §5.4); form bodies and query strings are read with `crate::web`'s.

use serde_json::{Value, json};

use crate::http::Response;

/// An Upstox error: its code, the message the broker sends with it, and the HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ErrorCode {
    /// The code, e.g. `UDAPI100050`.
    pub(crate) code: &'static str,
    /// The message.
    pub(crate) message: &'static str,
    /// The HTTP status it comes with.
    pub(crate) status: u16,
}

/// The token is unknown, expired or logged out (HTTP 401).
pub(crate) const INVALID_TOKEN: ErrorCode = ErrorCode {
    code: "UDAPI100050",
    message: "Invalid token used to access API",
    status: 401,
};
/// The `Api-Version` header is missing or not a version this endpoint has.
pub(crate) const NO_API_VERSION: ErrorCode = ErrorCode {
    code: "UDAPI100015",
    message: "API Version does not exist",
    status: 400,
};
/// A required input is missing.
pub(crate) const MISSING_INPUT: ErrorCode = ErrorCode {
    code: "UDAPI100036",
    message: "Invalid input",
    status: 400,
};
/// An input has a value the endpoint does not take.
pub(crate) const INVALID_INPUT: ErrorCode = ErrorCode {
    code: "UDAPI100038",
    message: "Invalid input",
    status: 400,
};
/// The token exchange's client id and secret do not match a registered app.
pub(crate) const BAD_CLIENT: ErrorCode = ErrorCode {
    code: "UDAPI100069",
    message: "Check your 'client_id' and 'client_secret'; one or both are incorrect.",
    status: 401,
};
/// The code is unknown, used, expired, another app's, or the redirect URI differs.
pub(crate) const INVALID_AUTH_CODE: ErrorCode = ErrorCode {
    code: "UDAPI100057",
    message: "Invalid Auth code",
    status: 400,
};
/// The authorization dialog's client id or redirect URI is wrong.
pub(crate) const BAD_CLIENT_OR_REDIRECT: ErrorCode = ErrorCode {
    code: "UDAPI100068",
    message: "Check your 'client_id' and 'redirect_uri'; one or both are incorrect.",
    status: 400,
};
/// An extended token used on an API that does not take it.
pub(crate) const EXTENDED_TOKEN_NOT_PERMITTED: ErrorCode = ErrorCode {
    code: "UDAPI100067",
    message: "The API you are trying to access is not permitted with an extended_token",
    status: 403,
};
/// The rate limit was exceeded.
pub(crate) const TOO_MANY_REQUESTS: ErrorCode = ErrorCode {
    code: "UDAPI10005",
    message: "Too Many Request Sent",
    status: 429,
};
/// The funds service is closed (00:00 to 05:30 IST).
pub(crate) const FUNDS_CLOSED: ErrorCode = ErrorCode {
    code: "UDAPI100072",
    message: "The Funds service is accessible from 5:30 AM to 12:00 AM IST. Please try again later.",
    status: 423,
};
/// A path Upstox does not serve.
pub(crate) const NOT_SUPPORTED: ErrorCode = ErrorCode {
    code: "UDAPI10000",
    message: "This request is not supported by Upstox API",
    status: 404,
};

/// HTTP 200 `{"status":"success","data":…}`.
pub(crate) fn success(data: &Value) -> Response {
    Response::json(200, &json!({"status": "success", "data": data}))
}

/// The error envelope, with both the snake-case keys and their deprecated camel-case twins.
pub(crate) fn error(error: ErrorCode) -> Response {
    Response::json(
        error.status,
        &json!({
            "status": "error",
            "errors": [{
                "error_code": error.code,
                "message": error.message,
                "property_path": null,
                "invalid_value": null,
                "errorCode": error.code,
                "propertyPath": null,
                "invalidValue": null
            }]
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_both_spellings() {
        let response = error(INVALID_TOKEN);
        assert_eq!(response.status, 401);
        let body: Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(body["errors"][0]["error_code"], "UDAPI100050");
        assert_eq!(body["errors"][0]["errorCode"], "UDAPI100050");
    }
}
