//! Password login on Shoonya's legacy `NorenWClientTP` base (PROTOCOLS.md §2.3): QuickAuth.

use serde_json::json;

use crate::http::Response;
use crate::noren::Context;
use crate::noren::account::PasswordState;
use crate::noren::preset::{Base, Preset};
use crate::noren::profile::{self, EXCHANGES};
use crate::noren::state::NorenState;
use crate::noren::wire::{self, Body, bad_field, sha256_hex};

/// Unknown user or wrong password.
const WRONG_PASSWORD: &str = "Invalid Input : Wrong Password";
/// Wrong vendor code or app key (two spaces, as PROTOCOLS.md writes it).
const INVALID_VENDOR_CODE: &str = "Invalid Input :  Invalid Vendor code";
/// Wrong TOTP.
const INVALID_OTP: &str = "Invalid Input : Invalid OTP";
/// [`PasswordState::Expired`].
const PASSWORD_EXPIRED: &str = "Invalid Input : Password Expired";
/// [`PasswordState::MustChange`].
const CHANGE_PASSWORD: &str = "Invalid Input : Change Password";

/// What Shoonya's closed QuickAuth answers (a gateway's error page; sim choice of text).
const CLOSED_PAGE: &str = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>";

/// `QuickAuth`: `uid`, `pwd` (SHA-256 hex of the password), `factor2` (TOTP), `vc` (vendor
/// code), `appkey` (SHA-256 hex of `<uid>|<api_secret>`), `imei`, `source` `"API"`, optional
/// `apkversion`. Checked in this order: user and password, vendor code and app key, TOTP,
/// password state, then `imei` (sim choice: non-empty when the account requires it, else a 400
/// naming it). Success opens a jKey session on the legacy base.
///
/// A missing or non-string field, or a `source` other than `API`, is a 400 naming it (sim
/// choice).
pub(crate) fn quick_auth(
    noren: &mut NorenState,
    preset: Preset,
    body: &Body,
    context: &Context,
) -> Response {
    try_quick_auth(noren, preset, body, context).unwrap_or_else(|refusal| refusal)
}

/// [`quick_auth`] with refusals as `Err`.
fn try_quick_auth(
    noren: &mut NorenState,
    preset: Preset,
    body: &Body,
    context: &Context,
) -> Result<Response, Response> {
    let now = context.now;
    if preset == Preset::Shoonya && !context.options.shoonya_quickauth_open {
        // Closed to API users since 2026-04-01 (PROTOCOLS.md §2.3): a gateway error page.
        return Err(Response::new(502, "text/html", CLOSED_PAGE));
    }
    let uid = body.required("uid", now)?;
    let pwd = body.required("pwd", now)?;
    let factor2 = body.required("factor2", now)?;
    let vendor_code = body.required("vc", now)?;
    let app_key = body.required("appkey", now)?;
    let imei = body.optional("imei", now)?;
    body.optional("apkversion", now)?;
    if body.required("source", now)? != "API" {
        return Err(bad_field("source", now));
    }
    let fail = |emsg: &str| wire::not_ok(preset.login_failure_status(), emsg, now);
    let account = noren
        .account(preset, uid)
        .filter(|account| sha256_hex(&account.password) == pwd)
        .cloned()
        .ok_or_else(|| fail(WRONG_PASSWORD))?;
    let expected_app_key = sha256_hex(&format!("{uid}|{}", account.api_secret));
    if vendor_code != account.vendor_code || app_key != expected_app_key {
        return Err(fail(INVALID_VENDOR_CODE));
    }
    if !crate::totp::is_valid(&account.totp_secret, factor2, profile::unix_secs(now)) {
        return Err(fail(INVALID_OTP));
    }
    if !account.api_enabled {
        return Err(fail(wire::API_NOT_ENABLED));
    }
    match account.password_state {
        PasswordState::Ok => {}
        PasswordState::Expired => return Err(fail(PASSWORD_EXPIRED)),
        PasswordState::MustChange => return Err(fail(CHANGE_PASSWORD)),
    }
    if account.imei_required && imei.is_none_or(|imei| imei.trim().is_empty()) {
        return Err(bad_field("imei", now));
    }
    let ttl = preset.session_ttl(context.token_ttl);
    let susertoken = noren.open_session(preset, Base::Legacy, uid, ttl, now);
    Ok(wire::ok(
        json!({
            "susertoken": susertoken,
            "uname": account.name,
            "actid": account.account_id,
            "email": account.email,
            "brkname": preset.broker_name(),
            "exarr": EXCHANGES,
            "prarr": profile::products(),
            "lastaccesstime": profile::last_access_time(now)
        }),
        now,
    ))
}
