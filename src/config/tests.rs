//! The whole `broker_new` config as `brokers::configure` reads it: the
//! shared keys here, and each family's own through its constructor.

use super::*;
use crate::brokers::{self, Broker};

fn parse_config(json: &str) -> Result<Config> {
    brokers::configure(json).map(|(config, _)| config)
}

fn broker(json: &str) -> Box<dyn Broker> {
    brokers::configure(json).expect("a valid config").1
}

fn parse_credentials(broker: &dyn Broker, json: &str) -> Result<Credentials> {
    brokers::parse_credentials(broker, json)
}

const ANGEL: &str = r#"{"broker":"angelone","api_key":"k","client_code":"C1"}"#;

#[test]
fn minimal_angel_config_gets_defaults() {
    let c = parse_config(ANGEL).unwrap();
    assert_eq!(c.timeout, DEFAULT_TIMEOUT);
    assert!(c.base_url.is_none());
    let described = broker(ANGEL).describe();
    assert_eq!(described["user_id"], "C1");
    let local_ip = described["local_ip"].as_str().unwrap();
    assert!(local_ip.parse::<std::net::IpAddr>().is_ok(), "{local_ip}");
}

#[test]
fn unknown_key_is_named() {
    let err = parse_config(r#"{"broker":"angelone","api_key":"k","client_code":"C","apikey":"x"}"#)
        .unwrap_err();
    assert_eq!(err.message, "unknown config key \"apikey\"");
}

#[test]
fn missing_and_mistyped_keys_are_named_without_values() {
    let err = parse_config(r#"{"broker":"angelone","client_code":"C"}"#).unwrap_err();
    assert_eq!(err.message, "config key \"api_key\" is missing");
    let err =
        parse_config(r#"{"broker":"angelone","api_key":98765,"client_code":"C"}"#).unwrap_err();
    assert!(err.message.contains("\"api_key\" must be a string"));
    assert!(!err.message.contains("98765"));
}

#[test]
fn timeout_is_range_checked() {
    let with = |t: &str| {
        parse_config(&format!(
            r#"{{"broker":"angelone","api_key":"k","client_code":"C","timeout_ms":{t}}}"#
        ))
    };
    assert_eq!(with("250").unwrap().timeout, Duration::from_millis(250));
    for bad in ["0", "-5", "1.5", "\"7000\"", "600001"] {
        assert!(
            with(bad).unwrap_err().message.contains("timeout_ms"),
            "{bad}"
        );
    }
}

#[test]
fn base_url_rules() {
    assert_eq!(
        validate_base_url("https://a.example/x/").unwrap(),
        "https://a.example/x"
    );
    assert!(validate_base_url("http://127.0.0.1:9/").is_ok());
    assert!(validate_base_url("http://[::1]:9").is_ok());
    assert!(validate_base_url("http://localhost:9").is_ok());
    let err = validate_base_url("http://apiconnect.angelone.in").unwrap_err();
    assert!(err.message.contains("loopback"));
    assert!(validate_base_url("ftp://127.0.0.1").is_err());
    assert!(validate_base_url("https://a.example/?q=1").is_err());
    assert!(validate_base_url("not a url").is_err());
}

#[test]
fn device_overrides_are_validated() {
    let base = r#""broker":"angelone","api_key":"k","client_code":"C""#;
    let described = broker(&format!(
        r#"{{{base},"local_ip":"10.0.0.5","mac_address":"AA-BB-CC-DD-EE-0F"}}"#
    ))
    .describe();
    assert_eq!(described["mac_address"], "aa:bb:cc:dd:ee:0f");
    assert_eq!(described["local_ip"], "10.0.0.5");
    assert_eq!(described["public_ip"], "10.0.0.5");
    assert!(parse_config(&format!(r#"{{{base},"local_ip":"10.0.0"}}"#)).is_err());
    assert!(parse_config(&format!(r#"{{{base},"mac_address":"aa:bb"}}"#)).is_err());
}

#[test]
fn credentials_need_exactly_one_totp_form() {
    let broker = broker(ANGEL);
    let c = broker.as_ref();
    assert!(parse_credentials(c, r#"{"pin":"1234","totp":"123456"}"#).is_ok());
    assert!(parse_credentials(c, r#"{"pin":"1234","totp_secret":"JBSWY3DPEHPK3PXP"}"#).is_ok());
    let both = r#"{"pin":"1234","totp":"123456","totp_secret":"JBSWY3DPEHPK3PXP"}"#;
    assert!(
        parse_credentials(c, both)
            .unwrap_err()
            .message
            .contains("not both")
    );
    assert!(parse_credentials(c, r#"{"pin":"1234"}"#).is_err());
    let short = parse_credentials(c, r#"{"pin":"1234","totp":"12345"}"#).unwrap_err();
    assert!(short.message.contains("six digits") && !short.message.contains("12345"));
    assert!(
        parse_credentials(c, r#"{"totp":"123456"}"#)
            .unwrap_err()
            .message
            .contains("pin")
    );
}

#[test]
fn ca_file_must_be_a_regular_file() {
    // /dev/zero would be read forever, a FIFO would block at open.
    for path in ["/dev/zero", "/dev/stdin", "/"] {
        let json = format!(
            r#"{{"broker":"angelone","api_key":"k","client_code":"C","ca_file":"{path}"}}"#
        );
        let err = parse_config(&json).unwrap_err();
        assert_eq!(err.status, crate::error::Status::InvalidArgument, "{path}");
        assert!(
            err.message.contains("\"ca_file\""),
            "{path}: {}",
            err.message
        );
    }
}

#[test]
fn non_objects_and_bad_json_are_invalid_arguments() {
    for bad in ["", "[]", "null", "{", "\"x\""] {
        let err = parse_config(bad).unwrap_err();
        assert_eq!(err.status, crate::error::Status::InvalidArgument, "{bad}");
    }
}

const NOREN: &str = r#"{"broker":"noren","preset":"zebu","client_id":"c","secret":"s"}"#;

#[test]
fn noren_config_defaults_to_oauth() {
    let described = broker(NOREN).describe();
    assert_eq!(
        (&described["preset"], &described["auth"]),
        (&"zebu".into(), &"oauth".into())
    );
    assert_eq!(described["supports_refresh"], true, "the preset's");
    let err = parse_config(r#"{"broker":"noren","preset":"zebu","auth":"sso"}"#).unwrap_err();
    assert!(err.message.contains("\"auth\""));
    let err =
        parse_config(r#"{"broker":"noren","preset":"zebu","supports_refresh":"yes"}"#).unwrap_err();
    assert!(err.message.contains("true or false"));
    let err =
        parse_config(r#"{"broker":"noren","preset":"zebu","oauth_url":"http://example.com/x"}"#)
            .unwrap_err();
    assert!(err.message.contains("\"oauth_url\""));
}

#[test]
fn noren_code_from_code_or_redirect_url() {
    let broker = broker(NOREN);
    let c = broker.as_ref();
    let code = |json: &str| match parse_credentials(c, json) {
        Ok(Credentials::AuthorizationCode { code, redirect }) => Ok((
            code.expose().to_string(),
            redirect.and_then(|r| r.param("client").map(String::from)),
        )),
        Ok(other) => panic!("{other:?}"),
        Err(e) => Err(e.message),
    };
    assert_eq!(code(r#"{"code":"abc"}"#).unwrap(), ("abc".into(), None));
    assert_eq!(
        code(r#"{"redirect_url":"https://app.example/cb?code=x%2By&client=FT1"}"#).unwrap(),
        ("x+y".into(), Some("FT1".into()))
    );
    assert!(
        code(r#"{"redirect_url":"https://app.example/cb?state=1"}"#)
            .unwrap_err()
            .contains("no \"code\"")
    );
    assert!(
        code(r#"{"redirect_url":"nope"}"#)
            .unwrap_err()
            .contains("not a valid URL")
    );
    assert!(
        code(r#"{"code":"a","redirect_url":"https://x/?code=b"}"#)
            .unwrap_err()
            .contains("not both")
    );
    assert!(code("{}").unwrap_err().contains("missing"));
    // Found by fuzzing redirect_url: a blank code (`+` and line ends) was
    // taken as the code. Blank is missing; a padded code is trimmed.
    assert!(
        code(r#"{"redirect_url":"https://app.example/cb?code=+%0D%0D"}"#)
            .unwrap_err()
            .contains("no \"code\"")
    );
    assert_eq!(
        code(r#"{"redirect_url":"https://x/?code=+&code=%20b2%0A"}"#).unwrap(),
        ("b2".into(), None)
    );
    assert_eq!(
        code(r#"{"code":" abc\r\n"}"#).unwrap(),
        ("abc".into(), None)
    );
    assert!(code(r#"{"code":" \t"}"#).unwrap_err().contains("is empty"));
}

#[test]
fn noren_password_credentials() {
    let broker = broker(
        r#"{"broker":"noren","preset":"shoonya","auth":"password","user_id":"U1","vendor_code":"U1_U","api_secret":"s"}"#,
    );
    let c = broker.as_ref();
    assert!(matches!(
        parse_credentials(c, r#"{"password":"p","totp":"123456"}"#),
        Ok(Credentials::PasswordTotp { .. })
    ));
    assert!(parse_credentials(c, r#"{"code":"x"}"#).is_err());
}

#[test]
fn a_redirect_keeps_its_other_parameters_for_the_broker() {
    let broker = broker(NOREN);
    let credentials = parse_credentials(
        broker.as_ref(),
        r#"{"redirect_url":"http://127.0.0.1:5000/cb?state=s%201&code=c&code=d&status=success"}"#,
    )
    .unwrap();
    let Credentials::AuthorizationCode { code, redirect } = credentials else {
        panic!("a code")
    };
    assert_eq!(code.expose(), "c");
    let redirect = redirect.expect("the redirect's parameters");
    assert_eq!(redirect.param("state"), Some("s 1"));
    assert_eq!(redirect.param("status"), Some("success"));
    assert_eq!(
        redirect.param("code"),
        None,
        "the code is not among the rest"
    );
    assert_eq!(format!("{redirect:?}"), r#"["state", "status"]"#);
}
