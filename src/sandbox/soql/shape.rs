//! Result rows as Salesforce returns them: `attributes` and each selected
//! column (keys in sorted order; Salesforce promises no order either);
//! parent fields nested under their relationship name with the parent's own
//! `attributes` (or null when a lookup on the way is empty), child subqueries
//! as `{totalSize, done, records}` (or null).

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::eval::{Field, Via, parent};
use super::plan::Column;
use super::{DataSource, Record};

/// One row of a query with child subqueries: `children[k]` holds the k-th
/// subquery's result for each parent Id.
pub(crate) fn row(
    columns: &[Column<'_>],
    sobject: &str,
    rec: &Record,
    data: &dyn DataSource,
    api: &str,
    children: &[HashMap<String, Value>],
) -> Value {
    let mut out = Map::new();
    out.insert("attributes".into(), attributes(sobject, rec, api));
    let id = rec.get("Id").and_then(Value::as_str).unwrap_or_default();
    let mut k = 0;
    for c in columns {
        match c {
            Column::Field(f) => put(&mut out, f, &f.via, rec, data, api),
            Column::Child(child) => {
                let v = children.get(k).and_then(|m| m.get(id)).cloned();
                out.insert(child.rel.clone(), v.unwrap_or(Value::Null));
                k += 1;
            }
        }
    }
    Value::Object(out)
}

/// One row of plain fields.
pub(crate) fn fields_row(
    fields: &[Field],
    sobject: &str,
    rec: &Record,
    data: &dyn DataSource,
    api: &str,
) -> Value {
    let mut out = Map::new();
    out.insert("attributes".into(), attributes(sobject, rec, api));
    for f in fields {
        put(&mut out, f, &f.via, rec, data, api);
    }
    Value::Object(out)
}

/// Puts `f` into `out`, under the rest of its lookups `hops`: the first hop's
/// nested object is made once (with the parent's `attributes`) and shared by
/// every field reached through it.
fn put(
    out: &mut Map<String, Value>,
    f: &Field,
    hops: &[Via],
    rec: &Record,
    data: &dyn DataSource,
    api: &str,
) {
    let Some((hop, rest)) = hops.split_first() else {
        let v = rec.get(&f.name).cloned().unwrap_or(Value::Null);
        out.insert(f.name.clone(), v);
        return;
    };
    let up = parent(rec, hop, data);
    let slot = out.entry(hop.rel.clone()).or_insert_with(|| match up {
        Some(p) => {
            let mut nested = Map::new();
            nested.insert("attributes".into(), attributes(&hop.target, p, api));
            Value::Object(nested)
        }
        None => Value::Null,
    });
    if let (Value::Object(nested), Some(p)) = (slot, up) {
        put(nested, f, rest, p, data, api);
    }
}

/// A record's `attributes`: its type and REST URL.
pub(crate) fn attributes(sobject: &str, rec: &Record, api: &str) -> Value {
    let id = rec.get("Id").and_then(Value::as_str).unwrap_or_default();
    let mut a = Map::new();
    a.insert("type".into(), Value::String(sobject.to_owned()));
    // Callers may pass `60.0` or `v60.0`; the URL has exactly one `v`.
    let api = api.strip_prefix('v').unwrap_or(api);
    let url = format!("/services/data/v{api}/sobjects/{sobject}/{id}");
    a.insert("url".into(), Value::String(url));
    Value::Object(a)
}
