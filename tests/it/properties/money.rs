//! Amounts: exact digits up to two decimals, one rounding to the paise
//! beyond, no float on the way, and JSON that reads back as the same amount;
//! and the funds built from them.

use super::config;
use super::strategies::json_value;
use brokerlink::Money;
use brokerlink::Status;
use brokerlink::fuzzing::{angelone_funds_from, noren_funds_from};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Plain decimal text: sign, up to 26 integer digits, `decimals` decimals.
fn decimal(decimals: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        "0|[1-9][0-9]{0,25}",
        prop::collection::vec(0..10u8, decimals),
    )
        .prop_map(|(negative, int, frac)| {
            let frac: String = frac.iter().map(|d| char::from(b'0' + d)).collect();
            let sign = if negative { "-" } else { "" };
            if frac.is_empty() {
                format!("{sign}{int}")
            } else {
                format!("{sign}{int}.{frac}")
            }
        })
}

/// Whether text is a zero with a minus sign, which prints without it.
fn negative_zero(text: &str) -> bool {
    text.starts_with('-') && text.bytes().all(|b| matches!(b, b'-' | b'0' | b'.'))
}

/// The amount rounded to the paise, half away from zero, worked out in whole
/// thousandths in a u128 (the digits past the third decimal cannot change
/// the result), as text with two decimals.
fn paise_by_hand(text: &str) -> String {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let milli = int
        .bytes()
        .chain(frac.bytes().chain(std::iter::repeat(b'0')).take(3))
        .fold(0u128, |n, d| n * 10 + u128::from(d - b'0'));
    let paise = (milli + 5) / 10;
    let sign = if negative && paise != 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", paise / 100, paise % 100)
}

/// What the library writes for an amount, read back.
fn json_round_trip(money: Money) -> Result<(), TestCaseError> {
    let json = serde_json::to_string(&money).unwrap();
    let back: Value = serde_json::from_str(&json).unwrap();
    prop_assert!(back.is_number(), "{}", json);
    prop_assert_eq!(Money::from_wire(Some(&back)), Ok(money));
    prop_assert!(
        json.split_once('.').is_none_or(|(_, f)| f.len() <= 2),
        "{}",
        json
    );
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn up_to_two_decimals_print_back_digit_for_digit(text in decimal(0..=2)) {
        prop_assume!(!negative_zero(&text));
        let money = Money::parse(&text).unwrap();
        prop_assert_eq!(money.to_string(), text.clone());
        prop_assert_eq!(serde_json::to_string(&money).unwrap(), text.clone());
        // The same as a JSON number (kept as text) and as a JSON string.
        let number: Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(Money::from_wire(Some(&number)), Ok(money));
        prop_assert_eq!(Money::from_wire(Some(&json!(text))), Ok(money));
    }

    #[test]
    fn more_decimals_round_once_to_the_paise(text in decimal(3..=36)) {
        prop_assume!(text.len() <= 64);
        let money = Money::parse(&text).unwrap();
        prop_assert_eq!(money.to_string(), paise_by_hand(&text), "{}", text);
        let number: Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(Money::from_wire(Some(&number)), Ok(money));
    }

    #[test]
    fn amounts_beyond_f64_keep_every_digit(int in "[1-9][0-9]{15,25}", paise in 0..100u32) {
        let text = format!("{int}.{paise:02}");
        prop_assert_eq!(Money::parse(&text).unwrap().to_string(), text);
    }

    #[test]
    fn any_number_like_text_parses_or_says_why(
        text in "[ +-]?[0-9]{0,40}(\\.[0-9]{0,40})?([eE][+-]?[0-9]{1,12})?[ ]?"
    ) {
        match Money::parse(&text) {
            Ok(money) => json_round_trip(money)?,
            Err(why) => prop_assert!(why.starts_with("is ") && !why.contains(text.trim())),
        }
    }

    #[test]
    fn any_text_or_json_parses_or_says_why(text in any::<String>(), value in json_value()) {
        if let Ok(money) = Money::parse(&text) {
            json_round_trip(money)?;
        }
        match Money::from_wire(Some(&value)) {
            Ok(money) => json_round_trip(money)?,
            Err(_) => prop_assert!(!matches!(value, Value::Null)),
        }
    }

    #[test]
    fn rms_fields_map_one_to_one(values in prop::collection::vec(rms_value(), 14)) {
        let data: Map<String, Value> = RMS_KEYS
            .iter()
            .zip(&values)
            .filter_map(|(k, v)| v.clone().map(|v| (k.to_string(), v)))
            .collect();
        let amount = |key: &str| Money::from_wire(data.get(key)).unwrap();
        let funds = angelone_funds_from(Value::Object(data.clone())).unwrap();
        prop_assert_eq!(funds.available_cash, amount("availablecash"));
        prop_assert_eq!(funds.net, amount("net"));
        prop_assert_eq!(funds.used_margin, amount("utiliseddebits"));
        prop_assert_eq!(funds.collateral, amount("collateral"));
        prop_assert_eq!(funds.m2m_realized, amount("m2mrealized"));
        prop_assert_eq!(funds.m2m_unrealized, amount("m2munrealized"));
    }

    #[test]
    fn noren_available_cash_is_cash_plus_payin_minus_margin(
        cash in decimal(0..=4), payin in decimal(0..=2), used in decimal(0..=2),
        unrealized in prop::option::of(decimal(0..=3)), legacy_name in any::<bool>(),
    ) {
        let mut reply = json!({
            "stat": "Ok", "cash": cash, "payin": payin, "marginused": used,
        });
        if let Some(u) = &unrealized {
            reply[if legacy_name { "urmtom" } else { "unmtom" }] = json!(u);
        }
        let m = |t: &str| Money::parse(t).unwrap();
        match noren_funds_from(reply) {
            Ok(funds) => {
                let want = m(&cash).checked_add(m(&payin)).and_then(|v| v.checked_sub(m(&used)));
                prop_assert_eq!(Some(funds.available_cash), want);
                prop_assert_eq!(funds.m2m_unrealized, unrealized.map_or(Money::ZERO, |u| m(&u)));
            }
            Err(e) => prop_assert_eq!(e.status, Status::Protocol),
        }
    }
}

const RMS_KEYS: [&str; 14] = [
    "net",
    "availablecash",
    "availableintradaypayin",
    "availablelimitmargin",
    "collateral",
    "m2munrealized",
    "m2mrealized",
    "utiliseddebits",
    "utilisedspan",
    "utilisedoptionpremium",
    "utilisedholdingsales",
    "utilisedexposure",
    "utilisedturnover",
    "utilisedpayout",
];

/// An RMS field as Angel One sends it: a decimal string of any precision,
/// null, empty, or missing.
fn rms_value() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        4 => decimal(0..=20)
            .prop_filter("64 bytes at most", |t| t.len() <= 64)
            .prop_map(|t| Some(json!(t))),
        1 => Just(Some(Value::Null)),
        1 => Just(Some(json!(""))),
        1 => Just(None),
    ]
}
