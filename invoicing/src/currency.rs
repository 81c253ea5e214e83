//! Currencies: ISO 4217 codes, their minor-unit exponents, and amounts written out for people.
//!
//! Money is always an `i64` count of minor units (cents, paise, fils, yen) next to a
//! [`Currency`]; the exponent only matters where an amount meets text: parsing what a person
//! typed ([`Currency::parse_amount`]) and printing it ([`Currency::format_amount`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Error, Result};

/// An ISO 4217 currency that has a minor unit (so gold, SDRs and the like are refused).
///
/// Serialises as its three-letter code.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    iso: iso_currency::Currency,
    exponent: u32,
}

impl Currency {
    /// The currency with this upper-case ISO 4217 code, e.g. `"EUR"`.
    pub fn from_code(code: &str) -> Result<Self> {
        let unknown = || Error::UnknownCurrency(code.chars().take(8).collect());
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(unknown());
        }
        let iso = iso_currency::Currency::from_code(code).ok_or_else(unknown)?;
        // Metals, SDRs and testing codes have no minor unit: nobody invoices in them.
        let exponent = iso.exponent().ok_or_else(unknown)?;
        Ok(Currency {
            iso,
            exponent: u32::from(exponent),
        })
    }

    /// The three-letter code, e.g. `"JPY"`.
    pub fn code(&self) -> &'static str {
        self.iso.code()
    }

    /// How many decimal places the minor unit has: 0 for JPY, 2 for EUR, 3 for KWD.
    pub fn exponent(&self) -> u32 {
        self.exponent
    }

    /// The symbol written before an amount, for the currencies whose symbol is unambiguous and
    /// reads left to right; `None` for the rest, which are written with their code instead
    /// (`$` alone could be any of twenty dollars, and Arabic-script symbols would need
    /// right-to-left layout inside a left-to-right number).
    pub fn symbol(&self) -> Option<&'static str> {
        Some(match self.code() {
            "EUR" => "€",
            "GBP" => "£",
            "INR" => "₹",
            "JPY" => "¥",
            "USD" => "$",
            _ => return None,
        })
    }

    /// Parses an amount in major units as a person writes it (`"1234.5"`, `"-3"`,
    /// `"0.125"`) into minor units. Refuses more decimals than the currency has, grouping
    /// separators, exponents and anything that does not fit in an `i64`.
    pub fn parse_amount(&self, text: &str) -> Result<i64> {
        let invalid = || Error::InvalidAmount {
            text: text.chars().take(40).collect(),
            currency: self.code(),
        };
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = match digits.split_once('.') {
            Some((whole, fraction)) => (whole, fraction),
            None => (digits, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !all_digits(whole)
            || !all_digits(fraction)
            || (digits.contains('.') && fraction.is_empty())
            || fraction.len() > self.exponent as usize
        {
            return Err(invalid());
        }
        let scale = 10_i64.pow(self.exponent);
        let whole: i64 = whole.parse().map_err(|_| invalid())?;
        let mut minor_fraction: i64 = if fraction.is_empty() {
            0
        } else {
            fraction.parse().map_err(|_| invalid())?
        };
        minor_fraction *= 10_i64.pow(self.exponent - fraction.len() as u32);
        let magnitude = whole
            .checked_mul(scale)
            .and_then(|minor| minor.checked_add(minor_fraction))
            .ok_or_else(invalid)?;
        Ok(if negative { -magnitude } else { magnitude })
    }

    /// Writes minor units out in major units with every decimal place the currency has and
    /// thousands grouped (`1,234.50`; `1,235` for yen; `1.234` for dinar). Indian rupees are
    /// grouped the Indian way, by lakh and crore (`12,34,567.00`).
    pub fn format_amount(&self, minor: i64) -> String {
        let scale = 10_u64.pow(self.exponent);
        let magnitude = minor.unsigned_abs();
        let whole = group_digits(magnitude / scale, self.code() == "INR");
        let mut out = String::with_capacity(whole.len() + 6);
        if minor < 0 {
            out.push('-');
        }
        out.push_str(&whole);
        if self.exponent > 0 {
            let fraction = magnitude % scale;
            out.push('.');
            out.push_str(&format!(
                "{fraction:0width$}",
                width = self.exponent as usize
            ));
        }
        out
    }

    /// [`format_amount`](Self::format_amount) with the symbol in front (`€1,234.50`,
    /// `-₹500.00`), or the code and a no-break space where there is no unambiguous symbol
    /// (`KWD 1.234`).
    pub fn format_money(&self, minor: i64) -> String {
        let amount = self.format_amount(minor);
        let (sign, digits) = match amount.strip_prefix('-') {
            Some(digits) => ("-", digits),
            None => ("", amount.as_str()),
        };
        match self.symbol() {
            Some(symbol) => format!("{sign}{symbol}{digits}"),
            None => format!("{sign}{}\u{a0}{digits}", self.code()),
        }
    }
}

/// `1234567` → `1,234,567`, or `12,34,567` with Indian grouping (the last three digits, then
/// pairs).
fn group_digits(value: u64, indian: bool) -> String {
    let digits = value.to_string();
    let bytes = digits.as_bytes();
    let mut out = String::with_capacity(digits.len() + digits.len() / 2);
    let first_group = 3;
    let later_groups = if indian { 2 } else { 3 };
    for (index, digit) in bytes.iter().enumerate() {
        let from_right = bytes.len() - index;
        if index > 0 && from_right >= first_group {
            let past_first = from_right - first_group;
            if past_first % later_groups == 0 {
                out.push(',');
            }
        }
        out.push(char::from(*digit));
    }
    out
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = Error;

    fn from_str(code: &str) -> Result<Self> {
        Currency::from_code(code)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Currency::from_code(&code).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn currency(code: &str) -> Currency {
        Currency::from_code(code).unwrap()
    }

    #[test]
    fn exponents_come_from_iso_4217() {
        assert_eq!(currency("JPY").exponent(), 0);
        assert_eq!(currency("EUR").exponent(), 2);
        assert_eq!(currency("USD").exponent(), 2);
        assert_eq!(currency("INR").exponent(), 2);
        assert_eq!(currency("KWD").exponent(), 3);
        assert_eq!(currency("BHD").exponent(), 3);
    }

    #[test]
    fn unknown_lower_case_and_unit_less_codes_are_refused() {
        for code in ["", "EU", "EURO", "eur", "ZZZ", "XAU", "XXX", "€"] {
            assert!(
                matches!(Currency::from_code(code), Err(Error::UnknownCurrency(_))),
                "{code:?} was accepted"
            );
        }
    }

    #[test]
    fn amounts_parse_to_minor_units_with_the_currency_exponent() {
        let cases = [
            ("EUR", "1234.5", 123_450),
            ("EUR", "0.07", 7),
            ("EUR", "12", 1200),
            ("EUR", "-3.10", -310),
            ("JPY", "1250", 1250),
            ("KWD", "1.235", 1235),
            ("KWD", "0.5", 500),
            ("INR", "99999.99", 9_999_999),
        ];
        for (code, text, minor) in cases {
            assert_eq!(
                currency(code).parse_amount(text).unwrap(),
                minor,
                "{code} {text}"
            );
        }
    }

    #[test]
    fn malformed_or_over_precise_amounts_are_refused() {
        let cases = [
            ("JPY", "12.5"),
            ("EUR", "1.005"),
            ("KWD", "1.2345"),
            ("EUR", "1,000.00"),
            ("EUR", ""),
            ("EUR", "."),
            ("EUR", "5."),
            ("EUR", ".5"),
            ("EUR", "1e3"),
            ("EUR", "+5"),
            ("EUR", "--5"),
            ("EUR", " 5"),
            ("EUR", "92233720368547758.08"),
        ];
        for (code, text) in cases {
            assert!(
                matches!(
                    currency(code).parse_amount(text),
                    Err(Error::InvalidAmount { .. })
                ),
                "{code} {text:?} was accepted"
            );
        }
    }

    #[test]
    fn amounts_format_with_grouping_and_every_decimal_place() {
        let cases = [
            ("EUR", 0, "0.00"),
            ("EUR", 7, "0.07"),
            ("EUR", 123_450, "1,234.50"),
            ("EUR", -123_450, "-1,234.50"),
            ("USD", 100_000_000_000, "1,000,000,000.00"),
            ("JPY", 1_234_567, "1,234,567"),
            ("JPY", 999, "999"),
            ("KWD", 1_234_567, "1,234.567"),
            ("KWD", 5, "0.005"),
            ("INR", 123_456_789, "12,34,567.89"),
            ("INR", 10_000_000_000, "10,00,00,000.00"),
            ("INR", 99_999, "999.99"),
            ("INR", 100_000, "1,000.00"),
        ];
        for (code, minor, text) in cases {
            assert_eq!(currency(code).format_amount(minor), text, "{code} {minor}");
        }
        assert_eq!(
            currency("EUR").format_amount(i64::MIN),
            "-92,233,720,368,547,758.08"
        );
    }

    #[test]
    fn money_uses_unambiguous_symbols_and_codes_otherwise() {
        assert_eq!(currency("EUR").format_money(123_450), "€1,234.50");
        assert_eq!(currency("INR").format_money(-50_000), "-₹500.00");
        assert_eq!(currency("JPY").format_money(1235), "¥1,235");
        assert_eq!(currency("KWD").format_money(1234), "KWD\u{a0}1.234");
        assert_eq!(currency("CAD").format_money(100), "CAD\u{a0}1.00");
    }

    #[test]
    fn serde_uses_the_code() {
        let eur: Currency = serde_json::from_str("\"EUR\"").unwrap();
        assert_eq!(serde_json::to_string(&eur).unwrap(), "\"EUR\"");
        assert!(serde_json::from_str::<Currency>("\"XAU\"").is_err());
    }
}
