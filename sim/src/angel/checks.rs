//! The header checks Angel One applies to every call.

use crate::angel::envelope::{self, USER_TYPE_MUST_BE_USER};
use crate::http::{Request, Response};

/// Headers that must be present once with a non-empty value; any value is accepted.
const FREE_FORM_HEADERS: [&str; 4] = [
    "x-clientlocalip",
    "x-clientpublicip",
    "x-macaddress",
    "x-privatekey",
];

/// Checks the headers every Angel One call must carry (PROTOCOLS.md §1.2). Missing, repeated or
/// malformed headers give HTTP 400; an `X-UserType` other than `USER` gives `AB1005`.
pub(crate) fn check_headers(request: &Request) -> Result<(), Response> {
    let content_type = single(request, "content-type")?;
    if !is_media_type(content_type, "application/json") {
        return Err(envelope::bad_request(
            "Content-Type must be application/json",
        ));
    }
    let accept = single(request, "accept")?;
    if !accept
        .split(',')
        .any(|media| is_media_type(media, "application/json"))
    {
        return Err(envelope::bad_request("Accept must be application/json"));
    }
    if single(request, "x-sourceid")? != "WEB" {
        return Err(envelope::bad_request("X-SourceID must be WEB"));
    }
    for name in FREE_FORM_HEADERS {
        if single(request, name)?.trim().is_empty() {
            return Err(envelope::bad_request(&format!("{name} must not be empty")));
        }
    }
    if single(request, "x-usertype")? != "USER" {
        return Err(envelope::service_error(USER_TYPE_MUST_BE_USER));
    }
    Ok(())
}

/// The value of a header that must appear exactly once, or a 400.
fn single<'a>(request: &'a Request, name: &str) -> Result<&'a str, Response> {
    let mut values = request.header_values(name);
    match (values.next(), values.next()) {
        (Some(value), None) => Ok(value),
        (None, _) => Err(envelope::bad_request(&format!("missing header {name}"))),
        (Some(_), Some(_)) => Err(envelope::bad_request(&format!("repeated header {name}"))),
    }
}

/// Whether a header value names `media_type`, ignoring parameters (`; charset=utf-8`), spaces
/// and case.
fn is_media_type(value: &str, media_type: &str) -> bool {
    value
        .split(';')
        .next()
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case(media_type))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> Request {
        Request {
            method: "GET".into(),
            path: "/".into(),
            query: None,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: Vec::new(),
            keep_alive: true,
            peer: None,
        }
    }

    const GOOD: [(&str, &str); 8] = [
        ("content-type", "application/json"),
        ("accept", "application/json"),
        ("x-usertype", "USER"),
        ("x-sourceid", "WEB"),
        ("x-clientlocalip", "CLIENT_LOCAL_IP"),
        ("x-clientpublicip", "CLIENT_PUBLIC_IP"),
        ("x-macaddress", "MAC_ADDRESS"),
        ("x-privatekey", "key"),
    ];

    fn with(name: &str, value: Option<&str>) -> Request {
        let mut headers: Vec<(&str, &str)> =
            GOOD.iter().copied().filter(|(n, _)| *n != name).collect();
        if let Some(value) = value {
            headers.push((name, value));
        }
        request(&headers)
    }

    #[test]
    fn accepts_the_documented_headers() {
        assert!(check_headers(&request(&GOOD)).is_ok());
        assert!(
            check_headers(&with(
                "content-type",
                Some("application/json; charset=utf-8")
            ))
            .is_ok()
        );
        assert!(check_headers(&with("accept", Some("text/plain, application/json"))).is_ok());
    }

    #[test]
    fn rejects_missing_or_malformed_headers_with_400() {
        for (name, value) in [
            ("x-privatekey", None),
            ("x-macaddress", Some(" ")),
            ("accept", Some("*/*")),
            ("content-type", Some("text/plain")),
            ("x-sourceid", Some("web")),
            ("x-usertype", None),
        ] {
            let status = check_headers(&with(name, value)).err().map(|r| r.status);
            assert_eq!(status, Some(400), "{name}: {value:?}");
        }
        let mut repeated = request(&GOOD);
        repeated
            .headers
            .push(("x-privatekey".into(), "other".into()));
        assert_eq!(check_headers(&repeated).err().map(|r| r.status), Some(400));
    }

    #[test]
    fn wrong_user_type_is_a_service_error() {
        let response = check_headers(&with("x-usertype", Some("user"))).err();
        let body = response.map(|r| String::from_utf8_lossy(&r.body).into_owned());
        assert!(body.is_some_and(|b| b.contains("AB1005")));
    }

    #[test]
    fn bearer_token_parsing() {
        let token = |value: &str| {
            let request = request(&[("authorization", value)]);
            request.bearer_token().map(str::to_owned)
        };
        assert_eq!(token("Bearer abc").as_deref(), Some("abc"));
        assert_eq!(token("bearer  abc ").as_deref(), Some("abc"));
        assert_eq!(token("Bearer "), None);
        assert_eq!(token("Basic abc"), None);
        assert_eq!(token("abc"), None);
    }
}
