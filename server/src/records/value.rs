//! Typed values: reading a field's JSON into its one stored form, and the fixed-point integer
//! or text that the list index keeps of it.
//!
//! Money is integer minor units; number and percent are exact decimals ([`Decimal`], at most
//! [`MAX_SCALE`] places, written as strings on the way out); date is `YYYY-MM-DD`; datetime is
//! milliseconds since the epoch; duration is seconds. No floats anywhere: a JSON number with a
//! fraction is read through its decimal text, never through `f64`.

use std::str::FromStr;

use atrium_client::wire::FieldType;
use rust_decimal::Decimal;
use serde_json::Value;

/// Most decimal places a number or percent keeps (the index stores millionths).
pub const MAX_SCALE: u32 = 6;
/// Longest text value (long and rich text: [`MAX_LONG_TEXT`]).
pub const MAX_TEXT: usize = 1_000;
pub const MAX_LONG_TEXT: usize = 100_000;
/// The index's "no value" for numeric fields (sorts first).
pub const NO_NUMBER: i64 = i64::MIN;
/// Most characters of a text value the index keeps (for sort and `contains`).
pub const INDEX_TEXT_CHARS: usize = 200;

/// A field's value in the list index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Indexed {
    Num(i64),
    Txt(String),
}

/// Whether values of this type are kept as numbers in the index.
pub fn indexed_as_number(field_type: FieldType) -> bool {
    use FieldType::*;
    matches!(
        field_type,
        Number | Integer | Money | Percent | Date | Datetime | Duration | Boolean
    )
}

/// Whether lists can filter and sort on fields of this type.
pub fn indexable(field_type: FieldType) -> bool {
    !matches!(
        field_type,
        FieldType::Table | FieldType::LongText | FieldType::RichText
    )
}

/// Whether the type's values are totalled in list answers.
pub fn totalled(field_type: FieldType) -> bool {
    matches!(
        field_type,
        FieldType::Money
            | FieldType::Number
            | FieldType::Integer
            | FieldType::Percent
            | FieldType::Duration
    )
}

/// Reads a JSON value as an exact decimal (a string, or a JSON number's own text).
pub fn decimal(value: &Value) -> Result<Decimal, String> {
    let text = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return Err("must be a decimal number".into()),
    };
    let parsed = Decimal::from_str_exact(&text)
        .or_else(|_| Decimal::from_str(&text))
        .map_err(|_| "must be a decimal number such as \"12.50\"".to_owned())?;
    if text.contains(['e', 'E']) {
        return Err("must be a decimal number such as \"12.50\"".into());
    }
    if parsed.scale() > MAX_SCALE {
        return Err(format!("must have at most {MAX_SCALE} decimal places"));
    }
    let parsed = parsed.normalize();
    micros(parsed).ok_or("is out of range")?;
    Ok(parsed)
}

/// A decimal as millionths (the index form); `None` when out of range.
pub fn micros(value: Decimal) -> Option<i64> {
    let scaled = value.checked_mul(Decimal::from(1_000_000))?;
    let int: i64 = scaled.trunc().try_into().ok()?;
    (int != NO_NUMBER).then_some(int)
}

/// The decimal of a stored millionths total.
pub fn from_micros(value: i64) -> Decimal {
    Decimal::new(value, 6).normalize()
}

/// Reads a JSON integer.
pub fn integer(value: &Value) -> Result<i64, String> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .filter(|&i| i != NO_NUMBER)
            .ok_or_else(|| "must be a whole number".to_owned()),
        _ => Err("must be a whole number".into()),
    }
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date.
pub fn parse_date(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year: i64 = text[0..4].parse().ok()?;
    let month: u32 = text[5..7].parse().ok()?;
    let day: u32 = text[8..10].parse().ok()?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The `(year, month, day)` of days since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The `YYYY-MM-DD` of days since 1970-01-01.
pub fn format_date(days: i64) -> String {
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

fn text(value: &Value, max: usize) -> Result<String, String> {
    let Value::String(s) = value else {
        return Err("must be a string".into());
    };
    if s.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err("must not contain control characters".into());
    }
    Ok(s.clone())
}

fn phone(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let body = s.strip_prefix('+').unwrap_or(s);
    (7..=15).contains(&digits)
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '.'))
}

/// Reads one scalar (non-table) value of a field into its stored JSON form; `Ok(None)` is
/// "no value" (null, an empty string or an empty list).
pub fn normalize(
    field_type: FieldType,
    options: Option<&[String]>,
    value: &Value,
) -> Result<Option<Value>, String> {
    use FieldType::*;
    let empty = match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    };
    if empty {
        return Ok(None);
    }
    let stored = match field_type {
        Text | Select | User | Link | File => {
            let s = text(value, MAX_TEXT)?;
            let s = s.trim().to_owned();
            if field_type == Select && !options.unwrap_or_default().contains(&s) {
                return Err(format!(
                    "must be one of: {}",
                    options.unwrap_or_default().join(", ")
                ));
            }
            if matches!(field_type, User | Link | File) && s.len() > 64 {
                return Err("must be an id".into());
            }
            Value::String(s)
        }
        LongText | RichText => Value::String(text(value, MAX_LONG_TEXT)?),
        Email => {
            let s = text(value, 254)?.trim().to_owned();
            if !email_address::EmailAddress::is_valid(&s) {
                return Err("must be an e-mail address".into());
            }
            Value::String(s)
        }
        Phone => {
            let s = text(value, 40)?.trim().to_owned();
            if !phone(&s) {
                return Err("must be a phone number (7 to 15 digits, + and separators)".into());
            }
            Value::String(s)
        }
        Url => {
            let s = text(value, 2_000)?.trim().to_owned();
            match url::Url::parse(&s) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
                _ => return Err("must be an http or https URL".into()),
            }
            Value::String(s)
        }
        Number | Percent => Value::String(decimal(value)?.to_string()),
        Integer | Money | Datetime | Duration => Value::from(integer(value)?),
        Date => {
            let s = text(value, 10)?;
            parse_date(&s).ok_or("must be a date YYYY-MM-DD")?;
            Value::String(s)
        }
        Boolean => match value {
            Value::Bool(b) => Value::Bool(*b),
            _ => return Err("must be true or false".into()),
        },
        MultiSelect => {
            let Value::Array(items) = value else {
                return Err("must be a list of options".into());
            };
            let allowed = options.unwrap_or_default();
            let mut chosen: Vec<String> = Vec::new();
            for item in items {
                let Value::String(s) = item else {
                    return Err("must be a list of options".into());
                };
                if !allowed.contains(s) {
                    return Err(format!("must be among: {}", allowed.join(", ")));
                }
                if !chosen.contains(s) {
                    chosen.push(s.clone());
                }
            }
            Value::from(chosen)
        }
        Users => {
            let Value::Array(items) = value else {
                return Err("must be a list of user ids".into());
            };
            let mut chosen: Vec<String> = Vec::new();
            for item in items {
                match item {
                    Value::String(s) if !s.trim().is_empty() && s.trim().len() <= 64 => {
                        let s = s.trim().to_owned();
                        if !chosen.contains(&s) {
                            chosen.push(s);
                        }
                    }
                    _ => return Err("must be a list of user ids".into()),
                }
            }
            Value::from(chosen)
        }
        Table => return Err("must be a list of rows".into()),
    };
    Ok(Some(stored))
}

/// The index form of a stored value (multi-selects: one per option).
pub fn index_values(field_type: FieldType, value: Option<&Value>) -> Vec<Indexed> {
    let none = || {
        if indexed_as_number(field_type) {
            Indexed::Num(NO_NUMBER)
        } else {
            Indexed::Txt(String::new())
        }
    };
    let Some(value) = value else {
        return vec![none()];
    };
    let one = match (field_type, value) {
        (FieldType::MultiSelect | FieldType::Users, Value::Array(items)) => {
            let all: Vec<Indexed> = items
                .iter()
                .filter_map(Value::as_str)
                .map(|s| Indexed::Txt(s.to_owned()))
                .collect();
            return if all.is_empty() { vec![none()] } else { all };
        }
        (FieldType::Number | FieldType::Percent, v) => {
            decimal(v).ok().and_then(micros).map(Indexed::Num)
        }
        (FieldType::Date, Value::String(s)) => parse_date(s).map(Indexed::Num),
        (FieldType::Boolean, Value::Bool(b)) => Some(Indexed::Num(i64::from(*b))),
        (t, v) if indexed_as_number(t) => v.as_i64().map(Indexed::Num),
        (_, Value::String(s)) => Some(Indexed::Txt(s.chars().take(INDEX_TEXT_CHARS).collect())),
        _ => None,
    };
    vec![one.unwrap_or_else(none)]
}

/// A filter operand in the index form of the field's type (from a query string).
pub fn index_operand(field_type: FieldType, text: &str) -> Result<Indexed, String> {
    use FieldType::*;
    Ok(match field_type {
        Number | Percent => Indexed::Num(
            micros(decimal(&Value::String(text.to_owned()))?).ok_or("is out of range")?,
        ),
        Date => Indexed::Num(parse_date(text).ok_or("must be a date YYYY-MM-DD")?),
        Boolean => match text {
            "true" => Indexed::Num(1),
            "false" => Indexed::Num(0),
            _ => return Err("must be true or false".into()),
        },
        t if indexed_as_number(t) => Indexed::Num(
            text.parse::<i64>()
                .ok()
                .filter(|&i| i != NO_NUMBER)
                .ok_or("must be a whole number")?,
        ),
        _ => Indexed::Txt(text.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decimals_are_exact_and_bounded() {
        assert_eq!(decimal(&json!("12.50")).unwrap().to_string(), "12.5");
        assert_eq!(decimal(&json!(0.1)).unwrap().to_string(), "0.1");
        assert!(decimal(&json!("1.0000001")).is_err());
        assert!(decimal(&json!("1e5")).is_err());
        assert!(decimal(&json!(true)).is_err());
        assert_eq!(micros(decimal(&json!("2.5")).unwrap()), Some(2_500_000));
    }

    #[test]
    fn dates_round_trip() {
        for date in ["1970-01-01", "2024-02-29", "2026-12-31", "1999-03-01"] {
            assert_eq!(format_date(parse_date(date).unwrap()), date);
        }
        assert_eq!(parse_date("1970-01-02"), Some(1));
        assert!(parse_date("2025-02-29").is_none());
        assert!(parse_date("2025-13-01").is_none());
    }

    #[test]
    fn values_are_checked_by_type() {
        let options = vec!["a".to_owned(), "b".to_owned()];
        assert!(normalize(FieldType::Select, Some(&options), &json!("c")).is_err());
        assert_eq!(
            normalize(
                FieldType::MultiSelect,
                Some(&options),
                &json!(["a", "a", "b"])
            )
            .unwrap(),
            Some(json!(["a", "b"]))
        );
        assert!(normalize(FieldType::Email, None, &json!("nope")).is_err());
        assert!(normalize(FieldType::Url, None, &json!("javascript:alert(1)")).is_err());
        assert!(normalize(FieldType::Phone, None, &json!("+44 20 7946 0958")).is_ok());
        assert!(normalize(FieldType::Money, None, &json!(12.5)).is_err());
        assert_eq!(
            normalize(FieldType::Text, None, &json!("  ")).unwrap(),
            None
        );
    }
}
