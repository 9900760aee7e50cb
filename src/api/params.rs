//! Binds `:name` placeholders in SOQL to caller values, rendered as escaped literals.
//!
//! A value heard on a call (a name, a phone number) is spliced in only as one SOQL
//! literal ([`crate::salesforce::soql`] renders them): strings are quoted with every quote
//! and backslash escaped, so no value can end the literal and change the query. What is
//! the caller's here: which `google.protobuf.Value` becomes which literal, and the request
//! field each refusal names.

use std::collections::{BTreeSet, HashMap};

use prost_types::{Value as PbValue, value::Kind};

use crate::salesforce::soql::{self, Piece};
use crate::status::Violation;

/// Replaces every `:name` placeholder outside string literals in `soql`
/// ([`soql::pieces`]) with the rendered value of `params[name]`. `query_field` and
/// `params_field` name the request fields in errors (`query`/`params`, or
/// `new_object.where`/`new_object.params`).
pub(crate) fn bind(
    soql: &str,
    params: &HashMap<String, PbValue>,
    query_field: &str,
    params_field: &str,
) -> Result<String, Vec<Violation>> {
    let mut out = String::with_capacity(soql.len() + 16);
    let mut used = BTreeSet::new();
    let mut violations = Vec::new();
    for piece in soql::pieces(soql) {
        let name = match piece {
            Piece::Text(text) => {
                out.push_str(text);
                continue;
            }
            Piece::Placeholder(name) => name,
        };
        // A value refused for what it is still has its placeholder: one fault is one
        // violation, never also "no placeholder" (nor twice for a placeholder used twice).
        let first_use = used.insert(name);
        match params.get(name) {
            Some(v) => match render(v, &format!("{params_field}.{name}")) {
                Ok(lit) => out.push_str(&lit),
                Err(v) if first_use => violations.push(v),
                Err(_) => {}
            },
            None if first_use => violations.push(Violation::new(
                query_field,
                format!("placeholder :{name} has no value in {params_field}"),
            )),
            None => {}
        }
    }
    for name in params.keys().filter(|k| !used.contains(k.as_str())) {
        violations.push(Violation::new(
            format!("{params_field}.{name}"),
            format!("no placeholder :{name} in {query_field}"),
        ));
    }
    if violations.is_empty() {
        Ok(out)
    } else {
        Err(violations)
    }
}

/// Renders one value as a SOQL literal ([`soql`]'s), naming `path` in a refusal.
fn render(v: &PbValue, path: &str) -> Result<String, Violation> {
    let refused = |e: soql::LiteralError| Violation::new(path, e.to_string());
    match &v.kind {
        Some(Kind::ListValue(list)) => {
            if list.values.is_empty() {
                return Err(Violation::new(path, "a list for IN must not be empty"));
            }
            let items = list
                .values
                .iter()
                .enumerate()
                .map(|(i, v)| match &v.kind {
                    Some(Kind::ListValue(_)) => Err(Violation::new(
                        format!("{path}[{i}]"),
                        "lists cannot be nested",
                    )),
                    _ => render(v, &format!("{path}[{i}]")),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(format!("({})", items.join(", ")))
        }
        None | Some(Kind::NullValue(_)) => Ok("null".to_owned()),
        Some(Kind::BoolValue(b)) => Ok(b.to_string()),
        Some(Kind::NumberValue(n)) => soql::number(*n).map_err(refused),
        Some(Kind::StringValue(s)) => soql::string(s).map_err(refused),
        Some(Kind::StructValue(s)) => temporal(s, path),
    }
}

/// A `{"date": "YYYY-MM-DD"}` or `{"datetime": "…"}` value as an unquoted literal
/// ([`soql::date`], [`soql::datetime`]); a refusal names `path.date` or `path.datetime`.
fn temporal(s: &prost_types::Struct, path: &str) -> Result<String, Violation> {
    const HINT: &str = r#"a struct value must be {"date": "YYYY-MM-DD"} or {"datetime": "YYYY-MM-DDThh:mm:ss[.SSS](Z|±hh:mm|±hhmm)"}"#;
    let mut fields = s.fields.iter();
    let (Some((key, value)), None) = (fields.next(), fields.next()) else {
        return Err(Violation::new(path, HINT));
    };
    let Some(Kind::StringValue(text)) = &value.kind else {
        return Err(Violation::new(path, HINT));
    };
    let literal = match key.as_str() {
        "date" => soql::date(text),
        "datetime" => soql::datetime(text),
        _ => return Err(Violation::new(path, HINT)),
    };
    literal.map_err(|e| Violation::new(format!("{path}.{key}"), e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::convert;
    use serde_json::json;

    fn params(v: serde_json::Value) -> HashMap<String, PbValue> {
        let serde_json::Value::Object(m) = v else {
            unreachable!()
        };
        m.into_iter()
            .map(|(k, v)| (k, convert::json_to_value(v)))
            .collect()
    }

    fn bind_ok(q: &str, p: serde_json::Value) -> String {
        bind(q, &params(p), "query", "params").unwrap()
    }

    #[test]
    fn renders_every_kind_of_value() {
        assert_eq!(
            bind_ok(
                "SELECT Id FROM Contact WHERE Phone = :phone AND Age__c > :n AND Active__c = :b AND X = :nul",
                json!({"phone": "+1 415", "n": 3, "b": true, "nul": null})
            ),
            "SELECT Id FROM Contact WHERE Phone = '+1 415' AND Age__c > 3 AND Active__c = true AND X = null"
        );
        assert_eq!(
            bind_ok(
                "WHERE Name IN :names AND Score__c = :s",
                json!({"names": ["a", "b'c"], "s": 2.5})
            ),
            r"WHERE Name IN ('a', 'b\'c') AND Score__c = 2.5"
        );
        assert_eq!(
            bind_ok(
                "WHERE CloseDate = :d AND CreatedDate > :t",
                json!({"d": {"date": "2024-05-01"}, "t": {"datetime": "2024-05-01T12:00:00+02:00"}})
            ),
            "WHERE CloseDate = 2024-05-01 AND CreatedDate > 2024-05-01T10:00:00Z"
        );
    }

    #[test]
    fn every_datetime_form_salesforce_emits_or_accepts_binds_as_one_utc_literal() {
        for text in [
            "2020-03-17T21:04:32Z",
            "2020-03-17T21:04:32.000Z",
            "2020-03-17T21:04:32.000+0000",
            "2020-03-17T21:04:32+0000",
            "2020-03-17T21:04:32+00:00",
            "2020-03-17T23:04:32.000+0200",
            "2020-03-17T23:04:32+02:00",
            "2020-03-17T15:34:32-0530",
            "2020-03-17T21:04:32.000000+00:00",
        ] {
            assert_eq!(
                bind_ok("WHERE CreatedDate = :t", json!({"t": {"datetime": text}})),
                "WHERE CreatedDate = 2020-03-17T21:04:32Z",
                "{text}"
            );
        }
        assert_eq!(
            bind_ok(
                "WHERE CreatedDate = :t",
                json!({"t": {"datetime": "2020-03-17T21:04:32.250+0000"}})
            ),
            "WHERE CreatedDate = 2020-03-17T21:04:32.250Z"
        );
    }

    #[test]
    fn dates_and_datetimes_salesforce_would_not_read_as_sent_are_refused() {
        for bad in [
            json!({"date": "+2024-05-01"}),
            json!({"date": "-2024-05-01"}),
            json!({"date": "2024-02-30"}),
            json!({"date": "2023-02-29"}),
            json!({"date": "20240-05-01"}),
            json!({"date": "2024-05-01T00:00:00Z"}),
            json!({"datetime": "+2024-05-01T00:00:00Z"}),
            json!({"datetime": "2024-05-01T00:00:00"}),
            json!({"datetime": "2024-05-01T00:00:00.0001Z"}),
            json!({"datetime": "2024-05-01T00:00:00.123456789Z"}),
            json!({"datetime": "2024-05-01"}),
            json!({"date": "1699-12-31"}),
            json!({"date": "4001-01-01"}),
            json!({"datetime": "1699-12-31T23:59:59Z"}),
            json!({"datetime": "4000-12-31T00:00:01Z"}),
        ] {
            let err = bind(
                "WHERE A = :a",
                &params(json!({ "a": bad })),
                "query",
                "params",
            )
            .expect_err("refused");
            assert_eq!(err.len(), 1, "{bad}");
            assert!(err[0].field.starts_with("params.a."), "{bad}: {err:?}");
        }
    }

    #[test]
    fn numbers_render_as_plain_decimals_salesforce_reads() {
        for (n, want) in [
            (json!(3), "3"),
            (json!(-7), "-7"),
            (json!(2.5), "2.5"),
            (json!(0.1), "0.1"),
            (json!(1e-7), "0.0000001"),
            (json!(1.5e-17), "0.000000000000000015"),
            (json!(123456789012345.67), "123456789012345.67"),
            (json!(1e15), "1000000000000000"),
            (json!(9007199254740992.0), "9007199254740992"),
        ] {
            assert_eq!(
                bind_ok("WHERE A = :n", json!({ "n": n })),
                format!("WHERE A = {want}"),
                "{n}"
            );
        }
        for bad in [json!(1.5e-308), json!(1e-19), json!(1e300), json!(-1e17)] {
            let err = bind(
                "WHERE A = :n",
                &params(json!({ "n": bad })),
                "query",
                "params",
            )
            .expect_err("refused");
            assert_eq!(err.len(), 1);
            assert_eq!(err[0].field, "params.n", "{bad}");
        }
        // Strings with a control character SOQL cannot escape.
        for bad in ["nul\u{0}", "bell\u{7}", "esc\u{1b}", "del\u{7f}"] {
            let err = bind(
                "WHERE A = :s",
                &params(json!({ "s": bad })),
                "query",
                "params",
            )
            .expect_err("refused");
            assert_eq!(err[0].field, "params.s", "{bad:?}");
        }
        assert_eq!(
            bind_ok("WHERE A = :s", json!({"s": "a\tb\nc"})),
            r"WHERE A = 'a\tb\nc'"
        );
        // In a list too, naming the element.
        let err = bind(
            "WHERE A IN :n",
            &params(json!({"n": [1, 1e-30]})),
            "query",
            "params",
        )
        .unwrap_err();
        assert_eq!(err[0].field, "params.n[1]");
    }

    #[test]
    fn injection_attempts_stay_one_literal() {
        let q = bind_ok(
            "SELECT Id FROM Contact WHERE Name = :name",
            json!({"name": "x' OR Name != 'y"}),
        );
        assert_eq!(
            q,
            r"SELECT Id FROM Contact WHERE Name = 'x\' OR Name != \'y'"
        );
        let q = bind_ok(
            "WHERE Name = :n",
            json!({"n": "a\\' OR Id != null OR Name = '"}),
        );
        assert_eq!(q, r"WHERE Name = 'a\\\' OR Id != null OR Name = \''");
    }

    #[test]
    fn placeholders_inside_string_literals_and_date_literals_are_left_alone() {
        assert_eq!(
            bind_ok(
                r"WHERE Name = ':x \' :y' AND CreatedDate = LAST_N_DAYS:3 AND A = :x",
                json!({"x": 1})
            ),
            r"WHERE Name = ':x \' :y' AND CreatedDate = LAST_N_DAYS:3 AND A = 1"
        );
    }

    #[test]
    fn missing_and_unused_values_name_the_field() {
        let err = bind(
            "WHERE A = :a AND B = :b",
            &params(json!({"a": 1, "c": 2})),
            "query",
            "params",
        )
        .unwrap_err();
        let fields: Vec<_> = err.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["query", "params.c"]);
        assert!(err[0].description.contains(":b"));
    }

    #[test]
    fn a_value_refused_for_what_it_is_is_one_violation() {
        for (query, p, field) in [
            (
                "WHERE CloseDate = :d",
                json!({"d": {"date": "2024-02-30"}}),
                "params.d.date",
            ),
            (
                "WHERE A = :d OR B = :d",
                json!({"d": {"date": "2024-02-30"}}),
                "params.d.date",
            ),
            ("WHERE A = :l", json!({"l": []}), "params.l"),
            ("WHERE A IN :l", json!({"l": [1, [2]]}), "params.l[1]"),
            ("WHERE A = :s", json!({"s": {"when": "x"}}), "params.s"),
            ("WHERE A = :n", json!({"n": 1e300}), "params.n"),
        ] {
            let err = bind(query, &params(p.clone()), "query", "params").unwrap_err();
            let fields: Vec<_> = err.iter().map(|v| v.field.as_str()).collect();
            assert_eq!(fields, [field], "{query} with {p}");
        }
        // A placeholder missing its value is named once however often it is used.
        let err = bind("WHERE A = :b OR B = :b", &HashMap::new(), "query", "params").unwrap_err();
        assert_eq!(err.len(), 1);
    }

    #[test]
    fn bad_values_are_refused() {
        for bad in [
            json!([]),
            json!([[1]]),
            json!({"date": "May 1"}),
            json!({"when": "x"}),
            json!(1e300),
        ] {
            let err = bind(
                "WHERE A = :a",
                &params(json!({ "a": bad })),
                "query",
                "params",
            );
            assert!(err.is_err(), "{bad} should be refused");
        }
    }
}
