//! `google.protobuf.Struct` ⇄ JSON, with Salesforce's number rules.
//!
//! `Struct` numbers are doubles. Salesforce wants integers for integer fields, so a
//! whole number is sent as a JSON integer. A whole number beyond 2^53 may already
//! have been rounded by the caller's JSON-to-double step, so it is refused rather
//! than sent as a value nobody typed.
//!
//! Numbers from Salesforce keep their exact text (serde_json's
//! `arbitrary_precision`): one a double carries exactly ([`decimal::carried`])
//! becomes a `number_value`; one it cannot (more significant digits than a double
//! keeps — currency and number fields go to 18) becomes a `string_value` holding
//! Salesforce's exact decimal text, so no value is ever altered on the way back.

use prost_types::{ListValue, Struct, Value as PbValue, value::Kind};
use serde_json::{Map, Number, Value};

use crate::salesforce::decimal;
use crate::status::Violation;

/// Converts request `fields` to a JSON object; `path` names the field in errors.
pub(crate) fn struct_to_json(s: &Struct, path: &str) -> Result<Map<String, Value>, Violation> {
    s.fields
        .iter()
        .map(|(k, v)| Ok((k.clone(), value_to_json(v, &format!("{path}.{k}"))?)))
        .collect()
}

/// Converts one `google.protobuf.Value` to JSON; `path` names it in errors.
pub(crate) fn value_to_json(v: &PbValue, path: &str) -> Result<Value, Violation> {
    Ok(match &v.kind {
        None | Some(Kind::NullValue(_)) => Value::Null,
        Some(Kind::BoolValue(b)) => Value::Bool(*b),
        Some(Kind::StringValue(s)) => Value::String(s.clone()),
        Some(Kind::NumberValue(n)) => Value::Number(number(*n, path)?),
        Some(Kind::StructValue(s)) => Value::Object(struct_to_json(s, path)?),
        Some(Kind::ListValue(l)) => Value::Array(
            l.values
                .iter()
                .enumerate()
                .map(|(i, v)| value_to_json(v, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// A double as the JSON number Salesforce should receive: whole numbers as integers
/// ([`decimal::json_number`]); `path` names it in errors.
pub(crate) fn number(n: f64, path: &str) -> Result<Number, Violation> {
    decimal::json_number(n).map_err(|e| Violation::new(path, e.to_string()))
}

/// Converts a JSON object from Salesforce into a `Struct`.
pub(crate) fn json_to_struct(map: Map<String, Value>) -> Struct {
    Struct {
        fields: map
            .into_iter()
            .map(|(k, v)| (k, json_to_value(v)))
            .collect(),
    }
}

/// Converts one JSON value into a `google.protobuf.Value`.
pub(crate) fn json_to_value(v: Value) -> PbValue {
    let kind = match v {
        Value::Null => Kind::NullValue(0),
        Value::Bool(b) => Kind::BoolValue(b),
        // A double when it carries the decimal exactly, else the decimal's own text.
        Value::Number(n) => match decimal::carried(n.as_str()) {
            Some(double) => Kind::NumberValue(double),
            None => Kind::StringValue(n.as_str().to_owned()),
        },
        Value::String(s) => Kind::StringValue(s),
        Value::Array(a) => Kind::ListValue(ListValue {
            values: a.into_iter().map(json_to_value).collect(),
        }),
        Value::Object(m) => Kind::StructValue(json_to_struct(m)),
    };
    PbValue { kind: Some(kind) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(n: f64) -> PbValue {
        PbValue {
            kind: Some(Kind::NumberValue(n)),
        }
    }

    #[test]
    fn whole_numbers_become_integers_and_fractions_stay_decimal() {
        assert_eq!(
            value_to_json(&num(42.0), "f").unwrap(),
            serde_json::json!(42)
        );
        assert_eq!(value_to_json(&num(-7.0), "f").unwrap().to_string(), "-7");
        assert_eq!(value_to_json(&num(0.1), "f").unwrap().to_string(), "0.1");
        assert_eq!(
            value_to_json(&num(9_007_199_254_740_992.0), "f")
                .unwrap()
                .to_string(),
            "9007199254740992"
        );
    }

    #[test]
    fn inexact_and_non_finite_numbers_are_refused_naming_the_field() {
        let err = value_to_json(&num(1e19), "fields.Amount").unwrap_err();
        assert_eq!(err.field, "fields.Amount");
        assert!(err.description.contains("2^53"));
        assert!(value_to_json(&num(f64::NAN), "f").is_err());
        assert!(value_to_json(&num(f64::INFINITY), "f").is_err());
    }

    #[test]
    fn salesforce_decimals_reach_the_caller_unaltered() {
        let record: Value = serde_json::from_str(
            r#"{"Amount": 123456789012345.67, "Big": 1234567890123456.78,
                "Whole": 123456789012345678, "Rev": 1.39E9, "Nested": {"N": 0.1, "X": 12345678901234567.8}}"#,
        )
        .unwrap();
        let Value::Object(map) = record else {
            unreachable!()
        };
        let s = json_to_struct(map);
        let kind = |v: &PbValue| v.kind.clone().unwrap();
        assert_eq!(
            kind(&s.fields["Amount"]),
            Kind::NumberValue(123_456_789_012_345.67)
        );
        assert_eq!(kind(&s.fields["Rev"]), Kind::NumberValue(1.39e9));
        assert_eq!(
            kind(&s.fields["Big"]),
            Kind::StringValue("1234567890123456.78".into())
        );
        assert_eq!(
            kind(&s.fields["Whole"]),
            Kind::StringValue("123456789012345678".into())
        );
        let Kind::StructValue(nested) = kind(&s.fields["Nested"]) else {
            panic!("nested object")
        };
        assert_eq!(kind(&nested.fields["N"]), Kind::NumberValue(0.1));
        assert_eq!(
            kind(&nested.fields["X"]),
            Kind::StringValue("12345678901234567.8".into())
        );
    }

    #[test]
    fn nested_values_round_trip() {
        let json = serde_json::json!({"a": [1, "x", true, null], "b": {"c": 2.5}});
        let Value::Object(map) = json.clone() else {
            unreachable!()
        };
        let s = json_to_struct(map);
        assert_eq!(Value::Object(struct_to_json(&s, "fields").unwrap()), json);
    }
}
