//! [`Money`]: an amount of rupees, exact to the paise, read from whatever
//! the brokers send (decimal text of any precision, JSON numbers, null) and
//! written as a JSON number with the digits received.

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};
use serde_json::Value;
use std::str::FromStr;

/// An amount of rupees, exact: parsed from the broker's decimal text, never
/// through a float, and printed as a JSON number with the same digits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money(Decimal);

/// Paise: amounts are exact to two decimal places.
const MONEY_DECIMALS: u32 = 2;

impl Money {
    /// Zero rupees.
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Reads an amount the way brokers send it: a decimal string (of any
    /// precision), a JSON number, or null/missing/empty for zero. More than two
    /// decimals are rounded to the paise, half away from zero. `Err` holds a
    /// reason without the value.
    pub fn from_wire(value: Option<&Value>) -> Result<Money, &'static str> {
        match value {
            None | Some(Value::Null) => Ok(Money::ZERO),
            Some(Value::String(s)) => Money::parse(s),
            // With serde_json's arbitrary_precision a Number keeps its text.
            Some(Value::Number(n)) => Money::parse(n.as_str()),
            Some(_) => Err("is neither a number nor a decimal string"),
        }
    }

    /// Parses decimal text (`-1053.75`, `.5`, `1.5e15`); empty text is zero.
    /// The rounding to the paise is done on the digits, before the text
    /// becomes a [`Decimal`]: its 28 digits would otherwise round a long
    /// fraction first (`1.00499…9` to `1.005`, then to `1.01`).
    pub fn parse(text: &str) -> Result<Money, &'static str> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Money::ZERO);
        }
        if text.len() > 64 {
            return Err("is too long to be an amount");
        }
        let (amount, decimals) = round_text(text)?;
        // Beyond Decimal's 96 bits (28 or so digits) the amount is refused,
        // not rounded.
        Decimal::try_from_i128_with_scale(amount, decimals)
            .map(Money)
            .map_err(|_| "is too large to be an amount")
    }

    /// `self + other`, or an error when the sum is out of range.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    /// `self - other`, or an error when the difference is out of range.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }
}

/// Decimal text (an optional sign, digits with at most one `.`, an optional
/// exponent) rounded to the paise, half away from zero: the amount's digits
/// as an integer and how many of them are decimals (those it had, at most
/// [`MONEY_DECIMALS`]). Only the third decimal decides the rounding, so the
/// digits after it are never read. Nothing is allocated: every reply carries
/// a dozen amounts.
fn round_text(text: &str) -> Result<(i128, u32), &'static str> {
    const NOT_DECIMAL: &str = "is not a decimal number";
    const TOO_LARGE: &str = "is too large to be an amount";
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, parse_exponent(exponent).ok_or(NOT_DECIMAL)?),
        None => (unsigned, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = || int.bytes().chain(frac.bytes());
    if all().next().is_none() || !all().all(|b| b.is_ascii_digit()) {
        return Err(NOT_DECIMAL);
    }
    // The significant digits, and how many of them stand before the point.
    let leading_zeros = all().take_while(|&b| b == b'0').count();
    let significant = int.len() + frac.len() - leading_zeros;
    let point = int.len() as i64 - leading_zeros as i64 + exponent;
    if point > 40 {
        return Err(TOO_LARGE);
    }
    // The significant digit at `i` (0 is the first), zero beyond either end.
    let digit = |i: i64| -> u8 {
        let Some(at) = usize::try_from(i).ok().filter(|&i| i < significant) else {
            return 0;
        };
        let at = at + leading_zeros;
        let byte = match int.as_bytes().get(at) {
            Some(&byte) => byte,
            None => frac.as_bytes()[at - int.len()],
        };
        byte - b'0'
    };
    let fraction_len = significant as i64 - point;
    let decimals = fraction_len.clamp(0, i64::from(MONEY_DECIMALS));
    let mut amount: i128 = 0;
    for i in 0..point + decimals {
        amount = amount
            .checked_mul(10)
            .and_then(|a| a.checked_add(i128::from(digit(i))))
            .ok_or(TOO_LARGE)?;
    }
    if fraction_len > decimals && digit(point + decimals) >= 5 {
        amount = amount.checked_add(1).ok_or(TOO_LARGE)?;
    }
    Ok((if negative { -amount } else { amount }, decimals as u32))
}

/// An exponent's digits, optionally signed. Beyond six digits it is clamped:
/// the amount is then far too large, or rounds to zero, either way.
fn parse_exponent(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = digits.trim_start_matches('0');
    let magnitude = if digits.len() > 6 {
        1_000_000
    } else {
        digits.parse().unwrap_or(0)
    };
    Some(if negative { -magnitude } else { magnitude })
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Decimal's text is always a valid JSON number; arbitrary_precision
        // keeps it digit for digit.
        let number =
            serde_json::Number::from_str(&self.0.to_string()).map_err(serde::ser::Error::custom)?;
        number.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn money_json(v: Value) -> String {
        serde_json::to_string(&Money::from_wire(Some(&v)).unwrap()).unwrap()
    }

    #[test]
    fn money_prints_the_digits_received() {
        assert_eq!(money_json(json!("9999999999999")), "9999999999999");
        assert_eq!(money_json(json!("-1053.75")), "-1053.75");
        assert_eq!(money_json(json!("250.5")), "250.5");
        assert_eq!(money_json(json!("5000.00")), "5000.00");
        assert_eq!(
            money_json(json!("1500000000000000.00")),
            "1500000000000000.00"
        );
    }

    #[test]
    fn an_amount_that_rounds_to_nothing_is_zero_without_a_sign() {
        assert_eq!(money_json(json!("-0.001")), "0.00");
        assert_eq!(money_json(json!("-0.004999")), "0.00");
        assert_eq!(money_json(json!("-0")), "0");
        assert_eq!(money_json(json!(-0.0)), "0.0");
    }

    #[test]
    fn money_rounds_to_the_paise_only_beyond_two_decimals() {
        assert_eq!(money_json(json!("12554.549999999999272")), "12554.55");
        assert_eq!(money_json(json!("19948.7700")), "19948.77");
        assert_eq!(money_json(json!("0.005")), "0.01");
        assert_eq!(money_json(json!("-0.005")), "-0.01");
    }

    #[test]
    fn money_rounds_long_fractions_once() {
        // Found by fuzz/decimal: Decimal's 28 digits rounded these long
        // fractions once, and the paise rounding then rounded them again.
        assert_eq!(
            money_json(json!("1.00499999999999999999999999999999")),
            "1.00"
        );
        assert_eq!(
            money_json(json!("44599909999999999999999998.914599")),
            "44599909999999999999999998.91"
        );
        assert_eq!(money_json(json!("9.995")), "10.00");
        assert_eq!(money_json(json!("-0.001")), "0.00");
        assert_eq!(money_json(json!("1.5e-15")), "0.00");
        assert_eq!(money_json(json!("-1.5E+15")), "-1500000000000000");
    }

    #[test]
    fn money_refuses_amounts_it_cannot_hold_exactly() {
        let max = "79228162514264337593543950335";
        assert_eq!(Money::parse(max).unwrap().to_string(), max);
        for bad in ["12345678901234567890123456789.49", "1e999999999", "1e30"] {
            assert_eq!(
                Money::parse(bad),
                Err("is too large to be an amount"),
                "{bad}"
            );
        }
        for bad in ["1_000", "1e", "e5", "+-5", "0x10", "."] {
            assert_eq!(Money::parse(bad), Err("is not a decimal number"), "{bad}");
        }
    }

    #[test]
    fn money_treats_null_missing_and_empty_as_zero() {
        assert_eq!(Money::from_wire(None).unwrap(), Money::ZERO);
        assert_eq!(Money::from_wire(Some(&Value::Null)).unwrap(), Money::ZERO);
        assert_eq!(money_json(json!("")), "0");
        assert_eq!(money_json(json!(" 12.5 ")), "12.5");
    }

    #[test]
    fn money_reads_json_numbers_exactly() {
        let v: Value = serde_json::from_str("12554.549999999999272").unwrap();
        assert_eq!(money_json(v), "12554.55");
        let v: Value = serde_json::from_str("1500000000000000.25").unwrap();
        assert_eq!(money_json(v), "1500000000000000.25");
        assert_eq!(money_json(json!("1e3")), "1000");
    }

    #[test]
    fn money_rejects_garbage_without_echoing_it() {
        for bad in [
            json!("abc"),
            json!("NaN"),
            json!("1.2.3"),
            json!(true),
            json!([1]),
        ] {
            let reason = Money::from_wire(Some(&bad)).unwrap_err();
            assert!(!reason.contains("abc"));
        }
        assert!(Money::parse(&"9".repeat(40)).is_err());
    }
}
