//! References between Composite subrequests: `@{referenceId.path}`.
//!
//! "You can use two operators with the reference ID. The `.` operator
//! references a field on a JSON object in the response. The `[]` operator
//! indexes a JSON collection in the response. You can use each operator
//! recursively", as in `@{NewAccount.id}`, `@{AccountInfo.recentItems[0].Id}`
//! or `@{NewAccount.BillingAddress.city}`; the reference ID and the field
//! names are case-sensitive; a reference may stand in the `url` or the `body`
//! of a later subrequest
//! (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/requests_composite.htm>).
//!
//! A reference resolves only to a scalar (text, number, boolean) of the
//! response body of an earlier subrequest that succeeded (2xx). A body string
//! that is exactly one reference takes the referenced value with its JSON
//! type; a reference inside a longer string (or a URL) is replaced by the
//! value's text, percent-encoded in a URL. Anything else (an unknown or failed
//! referenceId, a path the body does not have, `null`, an object) is
//! "Invalid reference specified. No value for `<path>` found in `<referenceId>`",
//! the message real orgs send with 400 `PROCESSING_HALTED` (seen in
//! CumulusCI's test fixtures).

use std::collections::HashMap;

use serde_json::Value;

/// The response bodies of the subrequests that succeeded, by referenceId.
pub(crate) type Done = HashMap<String, Value>;

/// Why a reference did not resolve: the message of the subrequest's 400
/// `PROCESSING_HALTED`.
pub(crate) type Unresolved = String;

fn unresolved(inner: &str) -> Unresolved {
    let id: String = inner
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    format!("Invalid reference specified. No value for {inner} found in {id}")
}

/// The scalar `inner` (`refId.a[0].b`) names in `done`.
fn lookup<'a>(inner: &str, done: &'a Done) -> Result<&'a Value, Unresolved> {
    let fail = || unresolved(inner);
    let end = inner.find(['.', '[']).unwrap_or(inner.len());
    let (id, mut rest) = inner.split_at(end);
    let mut at = done.get(id).ok_or_else(fail)?;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let (name, tail) = r.split_at(end);
            if name.is_empty() {
                return Err(fail());
            }
            at = at.get(name).ok_or_else(fail)?;
            rest = tail;
        } else if let Some(r) = rest.strip_prefix('[') {
            let (index, tail) = r.split_once(']').ok_or_else(fail)?;
            let i: usize = index.trim().parse().map_err(|_| fail())?;
            at = at.get(i).ok_or_else(fail)?;
            rest = tail;
        } else {
            return Err(fail());
        }
    }
    match at {
        Value::String(_) | Value::Number(_) | Value::Bool(_) => Ok(at),
        _ => Err(fail()),
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `s` with every reference replaced by its value's text (`encode` turns
/// each replacement into URL-safe text).
pub(crate) fn resolve_text(s: &str, done: &Done, encode: bool) -> Result<String, Unresolved> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("@{") {
        let Some(len) = rest[start + 2..].find('}') else {
            break;
        };
        out.push_str(&rest[..start]);
        let inner = &rest[start + 2..start + 2 + len];
        let text = text_of(lookup(inner, done)?);
        if encode {
            out.push_str(&percent_encode(&text));
        } else {
            out.push_str(&text);
        }
        rest = &rest[start + 3 + len..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `body` with every reference in its strings replaced.
pub(crate) fn resolve_body(body: &Value, done: &Done) -> Result<Value, Unresolved> {
    Ok(match body {
        Value::String(s) if s.contains("@{") => {
            let whole = s
                .strip_prefix("@{")
                .and_then(|r| r.strip_suffix('}'))
                .filter(|inner| !inner.contains('}'));
            match whole {
                Some(inner) => lookup(inner, done)?.clone(),
                None => Value::String(resolve_text(s, done, false)?),
            }
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| resolve_body(i, done))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| Ok((k.clone(), resolve_body(v, done)?)))
                .collect::<Result<_, Unresolved>>()?,
        ),
        other => other.clone(),
    })
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn done() -> Done {
        let mut d = Done::new();
        d.insert(
            "NewAccount".into(),
            json!({"id": "001000000000001AAA", "success": true,
                   "BillingAddress": {"city": "Paris"}, "Employees": 12}),
        );
        d.insert(
            "q".into(),
            json!({"totalSize": 1, "records": [{"Id": "003000000000001AAA", "Email": null,
                   "Account": {"Name": "Acme & Co"}}]}),
        );
        d
    }

    #[test]
    fn dots_and_brackets_walk_the_body() {
        let d = done();
        assert_eq!(
            resolve_text("/sobjects/Account/@{NewAccount.id}", &d, true).unwrap(),
            "/sobjects/Account/001000000000001AAA"
        );
        assert_eq!(
            resolve_body(&json!("@{NewAccount.BillingAddress.city}"), &d).unwrap(),
            json!("Paris")
        );
        assert_eq!(
            resolve_body(
                &json!({"n": "@{NewAccount.Employees}", "t": "x @{NewAccount.Employees} y",
                                 "l": ["@{q.records[0].Id}"]}),
                &d
            )
            .unwrap(),
            json!({"n": 12, "t": "x 12 y", "l": ["003000000000001AAA"]})
        );
        assert_eq!(
            resolve_text("q=@{q.records[0].Account.Name}", &d, true).unwrap(),
            "q=Acme%20%26%20Co"
        );
        assert_eq!(
            resolve_text("no refs {} @ {", &d, true).unwrap(),
            "no refs {} @ {"
        );
    }

    #[test]
    fn what_does_not_resolve_names_itself() {
        let d = done();
        for (r, id) in [
            ("NewAccount.Id", "NewAccount"),
            ("newaccount.id", "newaccount"),
            ("q.records[1].Id", "q"),
            ("q.records[0].Email", "q"),
            ("q.records[0]", "q"),
            ("Missing.id", "Missing"),
            ("q.records[x].Id", "q"),
            ("NewAccount..id", "NewAccount"),
        ] {
            let err = resolve_body(&json!(format!("@{{{r}}}")), &d).unwrap_err();
            assert_eq!(
                err,
                format!("Invalid reference specified. No value for {r} found in {id}")
            );
        }
    }
}
