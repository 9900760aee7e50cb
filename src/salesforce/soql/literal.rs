//! SOQL literals: strings quoted with Salesforce's escapes, numbers as plain decimals,
//! dates and datetimes as SOQL writes them. Every value spliced into a query is one literal,
//! so nothing a caller sends can end it and change the query.

use crate::salesforce::datetime;
use crate::salesforce::decimal::{self, Inexact, MAX_DECIMAL_PLACES};

/// Why a value cannot be a SOQL literal. `Display` says why, for the request field the value
/// came from; it never quotes the value (a number is shown in exponent form).
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum LiteralError {
    /// A number a double may have rounded, or no number at all.
    #[error("{0}")]
    Number(Inexact),
    /// A number needing more decimal places than Salesforce's numbers hold.
    #[error(
        "{n:e} needs {places} decimal places; a Salesforce number holds at most {MAX_DECIMAL_PLACES} digits"
    )]
    TooManyDecimalPlaces {
        /// The number.
        n: f64,
        /// Its decimal places, in its shortest positional form.
        places: usize,
    },
    /// A string with a control character SOQL has no escape for.
    #[error(
        "has a control character (U+{:04X}) at position {at}, which a SOQL string cannot carry",
        u32::from(*c)
    )]
    ControlCharacter {
        /// The character.
        c: char,
        /// Its position, in characters.
        at: usize,
    },
    /// Not a calendar date `YYYY-MM-DD`.
    #[error("must be a calendar date YYYY-MM-DD (four-digit year, no sign)")]
    NotADate,
    /// Not a datetime in any form Salesforce writes or accepts.
    #[error(
        "must be a datetime such as 2024-05-01T10:00:00Z, 2024-05-01T10:00:00.000+0000 or 2024-05-01T12:00:00+02:00"
    )]
    NotADatetime,
    /// A date or datetime outside the ones Salesforce holds.
    #[error("is outside the dates Salesforce holds (1700-01-01 to 4000-12-31T00:00:00Z)")]
    OutOfRange,
    /// A datetime finer than Salesforce's milliseconds.
    #[error("has more precision than Salesforce holds: datetimes hold whole milliseconds")]
    SubMillisecond,
}

/// `value` escaped for a single-quoted SOQL string: backslash, both quotes and the control
/// characters SOQL has an escape for (`\n \r \t \b \f`) get Salesforce's backslash escapes
/// (<https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_quotedstringescapes.htm>).
/// Other control characters pass unchanged: [`string`] refuses them.
pub fn escape_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c => out.push(c),
        }
    }
    out
}

/// `value` as a quoted SOQL string literal, escaped by [`escape_string`].
pub fn quote(value: &str) -> String {
    format!("'{}'", escape_string(value))
}

/// `value` as a quoted SOQL string literal, unless it holds a control character SOQL has no
/// escape for (anything but `\n \r \t \b \f`).
pub fn string(value: &str) -> Result<String, LiteralError> {
    let escapable = |c: char| matches!(c, '\n' | '\r' | '\t' | '\u{8}' | '\u{c}');
    if let Some((at, c)) = value
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_ascii_control() && !escapable(*c))
    {
        return Err(LiteralError::ControlCharacter { c, at });
    }
    Ok(quote(value))
}

/// A number as a plain SOQL literal: `42`, `-0.5`, `0.000001`, never exponent notation,
/// which SOQL does not read (`1.5e-308` is `MALFORMED_QUERY`). Whole numbers beyond 2^53
/// ([`decimal::json_number`]) and numbers needing more than [`MAX_DECIMAL_PLACES`] decimal
/// places are refused.
pub fn number(n: f64) -> Result<String, LiteralError> {
    let whole = decimal::json_number(n).map_err(LiteralError::Number)?;
    if n.fract() == 0.0 {
        return Ok(whole.to_string());
    }
    let places = decimal::decimal_places(n);
    if places > MAX_DECIMAL_PLACES {
        return Err(LiteralError::TooManyDecimalPlaces { n, places });
    }
    // `Display` writes the shortest text that reads back as `n`, positionally.
    Ok(n.to_string())
}

/// A date literal (`2024-05-01`, unquoted) from `text`, which must be a real calendar day
/// with a four-digit year and no sign, within the dates Salesforce holds.
pub fn date(text: &str) -> Result<String, LiteralError> {
    let d = datetime::parse_date(text).ok_or(LiteralError::NotADate)?;
    if !datetime::date_in_range(d) {
        return Err(LiteralError::OutOfRange);
    }
    Ok(text.to_owned())
}

/// A UTC datetime literal (`2024-05-01T10:00:00Z`, unquoted) from `text` in any form
/// Salesforce writes or accepts (`Z`, `±hh:mm`, `±hhmm`, with or without fractional seconds:
/// [`datetime::parse_datetime`]), within the dates Salesforce holds, to the millisecond.
pub fn datetime(text: &str) -> Result<String, LiteralError> {
    let t = datetime::parse_datetime(text).ok_or(LiteralError::NotADatetime)?;
    if !datetime::datetime_in_range(t) {
        return Err(LiteralError::OutOfRange);
    }
    if !datetime::whole_milliseconds(t) {
        return Err(LiteralError::SubMillisecond);
    }
    Ok(datetime::soql_datetime(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soql_strings_escape_backslash_before_quote() {
        assert_eq!(escape_string(r"O'Brien"), r"O\'Brien");
        assert_eq!(escape_string(r"a\'b"), r"a\\\'b");
        assert_eq!(escape_string("plain"), "plain");
    }

    #[test]
    fn quotes_escape_everything_soql_escapes_and_strings_refuse_the_rest() {
        assert_eq!(quote("a\"b\nc\rd\te\u{8}f\u{c}"), r#"'a\"b\nc\rd\te\bf\f'"#);
        assert_eq!(string("a\tb\nc"), Ok(r"'a\tb\nc'".to_owned()));
        for bad in ["nul\u{0}", "bell\u{7}", "esc\u{1b}", "del\u{7f}"] {
            assert!(
                matches!(string(bad), Err(LiteralError::ControlCharacter { .. })),
                "{bad:?}"
            );
        }
    }
}
