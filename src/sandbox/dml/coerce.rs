//! One field value as the org stores it: coerced from JSON as Salesforce's
//! reader does and checked against the field's type and metadata, with
//! Salesforce's error codes and messages.

use serde_json::Value;

use crate::sandbox::errors::SfError;
use crate::sandbox::numbers::Decimal;
use crate::sandbox::schema::{FieldDef, FieldType};
use crate::sandbox::values;

/// The Jackson token name Salesforce quotes for a JSON value.
fn token(v: &Value) -> &'static str {
    match v {
        Value::Null => "VALUE_NULL",
        Value::Bool(true) => "VALUE_TRUE",
        Value::Bool(false) => "VALUE_FALSE",
        Value::Number(n) if n.is_f64() => "VALUE_NUMBER_FLOAT",
        Value::Number(_) => "VALUE_NUMBER_INT",
        Value::String(_) => "VALUE_STRING",
        Value::Array(_) => "START_ARRAY",
        Value::Object(_) => "START_OBJECT",
    }
}

fn type_error(java_type: &str, v: &Value) -> SfError {
    let shown = match v {
        Value::String(s) => s.clone(),
        Value::Array(_) => "[".to_owned(),
        Value::Object(_) => "{".to_owned(),
        other => other.to_string(),
    };
    SfError::json_parser(format!(
        "Cannot deserialize instance of {java_type} from {} value {shown} or request may be missing a required field",
        token(v)
    ))
}

/// Coerces one JSON value to what a field `f` stores, as Salesforce's JSON
/// reader and save do: scalars become text and numeric text a number; an empty
/// text value is stored as null; text longer than the field is
/// `STRING_TOO_LONG`; a malformed e-mail is `INVALID_EMAIL_ADDRESS`; a value
/// outside a restricted picklist is `INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST`;
/// numbers keep their exact decimal text, rounded to the field's scale, and
/// more integer digits than its precision allows are
/// `NUMBER_OUTSIDE_VALID_RANGE`; a date is `yyyy-MM-dd` only (Salesforce: "use
/// the yyyy-MM-dd format to specify date fields. Specifying an offset for date
/// is not supported",
/// <https://developer.salesforce.com/docs/platform/api-rest/guide/intro-valid-date-formats.html>).
pub(crate) fn coerce(f: &FieldDef, v: &Value) -> Result<Value, SfError> {
    use FieldType as T;
    if v.is_null() {
        return Ok(Value::Null);
    }
    match f.ftype {
        T::String
        | T::TextArea
        | T::Phone
        | T::Url
        | T::Picklist
        | T::MultiPicklist
        | T::Email
        | T::Id
        | T::Reference => {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Bool(_) | Value::Number(_) => v.to_string(),
                _ => return Err(type_error("string", v)),
            };
            text(f, s)
        }
        T::Boolean => match v {
            Value::Bool(b) => Ok(Value::Bool(*b)),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            _ => Err(type_error("boolean", v)),
        },
        T::Int => {
            let d = numeric_text(v)
                .and_then(Decimal::parse)
                .filter(|d| !d.has_fraction())
                .ok_or_else(|| type_error("int", v))?;
            // describe's `digits`; an int field holds at most 9 (a Java int).
            let digits = if f.attrs.digits == 0 {
                9
            } else {
                f.attrs.digits
            };
            if d.integer_digits() > digits {
                return Err(out_of_range(f, v));
            }
            number(&d)
        }
        T::Double | T::Currency | T::Percent => {
            let d = numeric_text(v)
                .and_then(Decimal::parse)
                .ok_or_else(|| type_error("double", v))?;
            // No precision declared: 18 digits, no rounding.
            let (precision, d) = match f.attrs.precision {
                0 => (18, d),
                p => (p.saturating_sub(f.attrs.scale), d.round(f.attrs.scale)),
            };
            if d.integer_digits() > precision {
                return Err(out_of_range(f, v));
            }
            number(&d)
        }
        T::Date => match v {
            Value::String(s) => values::parse_date(s)
                .map(|d| Value::String(values::format_date(d)))
                .ok_or_else(|| type_error("date", v)),
            _ => Err(type_error("date", v)),
        },
        T::DateTime => match v {
            Value::String(s) => values::parse_datetime(s)
                .map(|t| Value::String(values::format_datetime(t)))
                .ok_or_else(|| type_error("datetime", v)),
            _ => Err(type_error("datetime", v)),
        },
    }
}

/// A text value checked against its field (see [`coerce`]).
fn text(f: &FieldDef, s: String) -> Result<Value, SfError> {
    use FieldType as T;
    if s.is_empty() {
        // Salesforce stores an empty text value as null.
        return Ok(Value::Null);
    }
    let s = match f.ftype {
        T::Email if !looks_like_email(&s) => {
            return Err(SfError::dml(
                "INVALID_EMAIL_ADDRESS",
                format!("{}: invalid email address: {s}", f.label),
                vec![f.name.clone()],
            ));
        }
        T::Picklist if f.attrs.restricted && !f.attrs.picklist.iter().any(|p| p.value == s) => {
            return Err(bad_picklist_value(f, &s));
        }
        T::MultiPicklist => multi_picklist(f, &s)?,
        _ => s,
    };
    let length = f.attrs.length;
    let id = matches!(f.ftype, T::Id | T::Reference);
    if length > 0 && !id && s.chars().count() > length as usize {
        return Err(SfError::dml(
            "STRING_TOO_LONG",
            format!(
                "{}: data value too large: {s} (max length={length})",
                f.label
            ),
            vec![f.name.clone()],
        ));
    }
    Ok(Value::String(s))
}

/// A multi-select picklist value as the org stores it: its values
/// `;`-separated, each once, in the picklist's order (values it does not list
/// last, in the order given); every value listed when it is restricted.
fn multi_picklist(f: &FieldDef, s: &str) -> Result<String, SfError> {
    let mut chosen: Vec<&str> = Vec::new();
    for v in s.split(';').map(str::trim).filter(|v| !v.is_empty()) {
        if !chosen.contains(&v) {
            chosen.push(v);
        }
    }
    let position = |v: &str| f.attrs.picklist.iter().position(|p| p.value == v);
    if f.attrs.restricted
        && let Some(bad) = chosen.iter().find(|v| position(v).is_none())
    {
        return Err(bad_picklist_value(f, bad));
    }
    chosen.sort_by_key(|v| position(v).unwrap_or(usize::MAX));
    Ok(chosen.join(";"))
}

fn bad_picklist_value(f: &FieldDef, value: &str) -> SfError {
    SfError::dml(
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        format!(
            "{}: bad value for restricted picklist field: {value}",
            f.label
        ),
        vec![f.name.clone()],
    )
}

fn out_of_range(f: &FieldDef, v: &Value) -> SfError {
    let shown = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    SfError::dml(
        "NUMBER_OUTSIDE_VALID_RANGE",
        format!(
            "{}: value outside of valid range on numeric field: {shown}",
            f.label
        ),
        vec![f.name.clone()],
    )
}

/// The text of a JSON number, or of a string holding one.
fn numeric_text(v: &Value) -> Option<&str> {
    match v {
        Value::Number(n) => Some(n.as_str()),
        Value::String(s) => Some(s.trim()),
        _ => None,
    }
}

/// A stored number: its exact decimal text as a JSON number.
fn number(d: &Decimal) -> Result<Value, SfError> {
    d.to_plain()
        .parse::<serde_json::Number>()
        .map(Value::Number)
        .map_err(|_| SfError::json_parser("Unable to read a number"))
}

/// One `@` between a local part and a dotted domain, no white space.
fn looks_like_email(s: &str) -> bool {
    if s.chars().any(char::is_whitespace) {
        return false;
    }
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
        }
        None => false,
    }
}
