//! The profile values every Noren account shares: exchanges, products, order types. They are
//! values, not fields: the field names are PROTOCOLS.md §2.5's.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// `exarr`: the enabled exchanges.
pub(crate) const EXCHANGES: [&str; 6] = ["NSE", "BSE", "NFO", "BFO", "CDS", "MCX"];
/// `orarr`: the allowed price types.
pub(crate) const ORDER_TYPES: [&str; 4] = ["MKT", "LMT", "SL-LMT", "SL-MKT"];
/// `access_type`: how the user may trade (sim choice).
pub(crate) const ACCESS_TYPES: [&str; 1] = ["API"];
/// `uprev`: the user's privilege (sim choice).
pub(crate) const USER_PRIVILEGE: &str = "INVESTOR";
/// `brnchid`: the branch (sim choice).
pub(crate) const BRANCH: &str = "HO";

/// `prarr`: the enabled products, as `{"prd","s_prdt_ali","exch"}` objects.
pub(crate) fn products() -> Value {
    json!([
        {"prd": "C", "s_prdt_ali": "CNC", "exch": ["NSE", "BSE"]},
        {"prd": "M", "s_prdt_ali": "NRML", "exch": ["NFO", "BFO", "CDS", "MCX"]},
        {"prd": "I", "s_prdt_ali": "MIS", "exch": EXCHANGES}
    ])
}

/// `lastaccesstime`: the time of the login, in unix seconds as a string (sim choice).
pub(crate) fn last_access_time(now: SystemTime) -> String {
    unix_secs(now).to_string()
}

/// `now` in whole unix seconds (0 before the epoch).
pub(crate) fn unix_secs(now: SystemTime) -> u64 {
    now.duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
