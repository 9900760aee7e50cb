//! Decimal text and doubles: which of Salesforce's decimals a double carries
//! exactly, which doubles Salesforce should receive (as JSON or as a SOQL literal), and a
//! double written as a plain decimal.
//!
//! Salesforce's number and currency fields hold up to 18 digits
//! (<https://developer.salesforce.com/docs/platform/field-reference/references/field-reference/salesforce-field-reference-opportunity.html>:
//! `Amount` is currency, precision 18, scale 2); a `google.protobuf.Value` holds a
//! double, which keeps 15 to 17 significant digits. A double "carries" a decimal
//! when the shortest text that reads back as that double — what every JSON
//! library prints — is the same number as the decimal: `0.1` and
//! `123456789012345.67` are carried, `1234567890123456.78` is not.

/// The double that carries the JSON number `text` exactly, or `None` when none
/// does (too many significant digits for a double, or beyond its range).
pub fn carried(text: &str) -> Option<f64> {
    let n: f64 = text.parse().ok().filter(|n: &f64| n.is_finite())?;
    // `Display` writes the shortest text that reads back as `n`, in positional form.
    let shortest = n.to_string();
    (canonical(text)? == canonical(&shortest)?).then_some(n)
}

/// A decimal number as (negative, significant digits without leading or trailing
/// zeros, power of ten of the last digit); zero is `(false, "", 0)`. Two texts
/// are the same number exactly when their canonical forms are equal.
fn canonical(text: &str) -> Option<(bool, String, i64)> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], body[i + 1..].parse::<i64>().ok()?),
        None => (body, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits: String = int.chars().chain(frac.chars()).collect();
    let kept = digits.trim_start_matches('0');
    let significant = kept.trim_end_matches('0');
    if significant.is_empty() {
        return Some((false, String::new(), 0));
    }
    let trailing = i64::try_from(kept.len() - significant.len()).ok()?;
    let places = i64::try_from(frac.len()).ok()?;
    Some((
        negative,
        significant.to_owned(),
        exponent - places + trailing,
    ))
}

/// The number of digits after the decimal point in `n`'s shortest positional text.
pub fn decimal_places(n: f64) -> usize {
    let text = n.to_string();
    text.split_once('.').map_or(0, |(_, frac)| frac.len())
}

/// The largest magnitude below which every whole double is an exact integer: 2^53.
pub const MAX_EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// The most decimal places a number sent to Salesforce may need: Salesforce's numbers hold at
/// most 18 digits (field reference: precision ≤ 18), so a value needing more could only be
/// matched or stored after a rounding nobody asked for.
pub const MAX_DECIMAL_PLACES: usize = 18;

/// Why a double is not sent to Salesforce.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum Inexact {
    /// NaN or an infinity.
    #[error("must be a finite number")]
    NotFinite,
    /// A whole number beyond 2^53, which the caller's JSON-to-double step may already have
    /// rounded.
    #[error("whole number beyond 2^53 cannot be carried exactly as a double; send it as a string")]
    BeyondExactIntegers,
}

/// A double as the JSON number Salesforce should receive: a whole number as an integer (one
/// beyond 2^53 refused), anything else as the double.
pub fn json_number(n: f64) -> Result<serde_json::Number, Inexact> {
    if !n.is_finite() {
        return Err(Inexact::NotFinite);
    }
    if n.fract() == 0.0 {
        if n.abs() > MAX_EXACT_INTEGER {
            return Err(Inexact::BeyondExactIntegers);
        }
        // Exact: |n| <= 2^53 fits an i64 without rounding.
        return Ok(serde_json::Number::from(n as i64));
    }
    serde_json::Number::from_f64(n).ok_or(Inexact::NotFinite)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_a_double_carries_stay_numbers() {
        for (text, n) in [
            ("0", 0.0),
            ("-0.0", -0.0),
            ("42", 42.0),
            ("12.5", 12.5),
            ("12.50", 12.5),
            ("0.1", 0.1),
            ("-7.25", -7.25),
            ("123456789012345.67", 123_456_789_012_345.67),
            ("9007199254740992", 9_007_199_254_740_992.0),
            ("1.0E7", 1.0e7),
            ("1.39E9", 1.39e9),
            ("2.5e-3", 0.0025),
            ("1e300", 1e300),
            ("1.5e-308", 1.5e-308),
        ] {
            assert_eq!(carried(text), Some(n), "{text}");
        }
    }

    #[test]
    fn decimals_a_double_would_alter_are_not_carried() {
        for text in [
            "1234567890123456.78",
            "123456789012345.678",
            "9007199254740993",
            "123456789012345678",
            "0.12345678901234567890",
            "1e400",
            "-1e400",
        ] {
            assert_eq!(carried(text), None, "{text}");
        }
    }

    #[test]
    fn canonical_forms_compare_numbers_not_spellings() {
        assert_eq!(canonical("1.50"), canonical("1.5"));
        assert_eq!(canonical("150E-2"), canonical("1.5"));
        assert_eq!(canonical("0.00"), canonical("0"));
        assert_ne!(canonical("-1.5"), canonical("1.5"));
        assert_eq!(canonical("abc"), None);
        assert_eq!(canonical("."), None);
        assert_eq!(canonical("1e"), None);
        assert_eq!(decimal_places(0.25), 2);
        assert_eq!(decimal_places(3.0), 0);
        assert_eq!(decimal_places(1.5e-20), 21);
    }
}
