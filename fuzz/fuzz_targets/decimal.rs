//! Amounts: `Money::parse` on any text and `Money::from_wire` on any JSON
//! value. What parses serializes to a JSON number that parses back to the
//! same amount; plain decimal text gives exactly the amount worked out by
//! hand (rounded to the paise, half away from zero, never through a float).

#![no_main]

use brokerlink::Money;
use brokerlink_fuzz::paise_by_hand;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// Rupees the library can hold exactly: 28 digits with the paise.
const MAX_DIGITS: usize = 28;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = Money::parse(text);
    if let Ok(money) = parsed {
        round_trips(money);
    }
    if let Some(expected) = paise_by_hand(text) {
        let digits = expected.bytes().filter(u8::is_ascii_digit).count();
        match parsed {
            Ok(money) => assert_eq!(money.to_string(), expected, "{text:?}"),
            Err(why) => assert!(digits > MAX_DIGITS, "{text:?} ({expected}) {why}"),
        }
    }
    if let Ok(value) = serde_json::from_str::<Value>(text)
        && let Ok(money) = Money::from_wire(Some(&value))
    {
        round_trips(money);
    }
});

/// The JSON the library writes for an amount reads back as the same amount,
/// with at most two decimals.
fn round_trips(money: Money) {
    let json = serde_json::to_string(&money).expect("an amount serializes");
    let back: Value = serde_json::from_str(&json).expect("an amount is valid JSON");
    assert!(back.is_number(), "{json}");
    assert_eq!(Money::from_wire(Some(&back)), Ok(money), "{json}");
    assert!(
        json.split_once('.').is_none_or(|(_, f)| f.len() <= 2),
        "{json}"
    );
}
