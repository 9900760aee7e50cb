//! Runs a plan over the records: one scan that filters, then sorting and
//! windowing of the matches, then shaping only the rows that are returned.

use serde_json::{Map, Value};

use super::eval::{Field, Plan, keys_cmp, parent};
use super::ids;
use super::{DataSource, QueryOutput, Record};

/// Runs `plan`; `all_rows` includes deleted records (`queryAll`).
pub(crate) fn run(
    plan: &Plan<'_>,
    data: &dyn DataSource,
    all_rows: bool,
    api_version: &str,
) -> QueryOutput {
    let each_match = |visit: &mut dyn FnMut(&Record)| each_match(plan, data, all_rows, visit);
    let sobject = plan.obj.name.clone();
    let limit = plan.limit.unwrap_or(u64::MAX);
    let Some(fields) = &plan.select else {
        let mut count = 0u64;
        each_match(&mut |_| count += 1);
        return QueryOutput {
            sobject,
            total_size: count.min(limit),
            rows: Vec::new(),
        };
    };
    let end = plan.offset.saturating_add(limit);
    let shape = |rec: &Record| row(fields, &plan.obj.name, rec, data, api_version);
    let rows = if plan.order.is_empty() {
        // Without ORDER BY the scan order is the answer: shape only the window.
        let mut seen = 0u64;
        let mut rows = Vec::new();
        each_match(&mut |rec| {
            if seen >= plan.offset && seen < end {
                rows.push(shape(rec));
            }
            seen += 1;
        });
        rows
    } else {
        // `scan` lends each record only for the call, so keep the Ids of the
        // matches and borrow the records again through `get` to sort them.
        let mut ids = Vec::new();
        each_match(&mut |rec| {
            if let Some(id) = rec.get("Id").and_then(Value::as_str) {
                ids.push(id.to_owned());
            }
        });
        let recs: Vec<&Record> = ids
            .iter()
            .filter_map(|id| data.get(id))
            .map(|(_, r)| r)
            .collect();
        sorted_window(plan, &recs, data, plan.offset, end)
            .into_iter()
            .map(shape)
            .collect()
    };
    QueryOutput {
        sobject,
        total_size: rows.len() as u64,
        rows,
    }
}

/// Calls `visit` with every record of the plan's type that is visible and
/// passes the filter: through `get` when the filter pins the Id, else by a scan.
fn each_match(
    plan: &Plan<'_>,
    data: &dyn DataSource,
    all_rows: bool,
    visit: &mut dyn FnMut(&Record),
) {
    // The filter first: it usually rejects most records, and each field read is a map
    // lookup (the scan's cost), so `IsDeleted` is then read for the matches only.
    let mut check = |rec: &Record| {
        if plan.filter.as_ref().is_none_or(|f| f.matches(rec, data))
            && (all_rows || rec.get("IsDeleted") != Some(&Value::Bool(true)))
        {
            visit(rec);
        }
    };
    match plan.filter.as_ref().and_then(ids::pinned) {
        Some(ids) => {
            for id in ids {
                if let Some((def, rec)) = data.get(&id)
                    && def.name == plan.obj.name
                {
                    check(rec);
                }
            }
        }
        None => data.scan(&plan.obj.name, &mut check),
    }
}

/// The records at sorted positions `offset..end`. Keys are read once into one
/// flat table; with a LIMIT only the first `end` are fully sorted.
fn sorted_window<'a>(
    plan: &Plan<'_>,
    recs: &[&'a Record],
    data: &'a dyn DataSource,
    offset: u64,
    end: u64,
) -> Vec<&'a Record> {
    let width = plan.order.len();
    let keys: Vec<Option<&Value>> = recs
        .iter()
        .flat_map(|r| plan.order.iter().map(|k| k.field.get(r, data)))
        .collect();
    let key = |i: usize| keys.get(i * width..(i + 1) * width).unwrap_or(&[]);
    // Ties keep scan order, so the answer is the same on every run.
    let cmp = |a: &usize, b: &usize| keys_cmp(&plan.order, key(*a), key(*b)).then(a.cmp(b));
    let mut idx: Vec<usize> = (0..recs.len()).collect();
    let end = usize::try_from(end).unwrap_or(usize::MAX).min(idx.len());
    let offset = usize::try_from(offset).unwrap_or(usize::MAX).min(end);
    if end < idx.len() {
        if end > 0 {
            idx.select_nth_unstable_by(end - 1, cmp);
        }
        idx.truncate(end);
    }
    idx.sort_unstable_by(cmp);
    idx.get(offset..)
        .unwrap_or(&[])
        .iter()
        .filter_map(|&i| recs.get(i).copied())
        .collect()
}

/// One result row: `attributes`, then each selected field (null when unset),
/// parent fields merged into one nested object per relationship.
fn row(fields: &[Field], sobject: &str, rec: &Record, data: &dyn DataSource, api: &str) -> Value {
    let mut out = Map::new();
    out.insert("attributes".into(), attributes(sobject, rec, api));
    for f in fields {
        let Some(via) = &f.via else {
            let v = rec.get(&f.name).cloned().unwrap_or(Value::Null);
            out.insert(f.name.clone(), v);
            continue;
        };
        let up = parent(rec, via, data);
        let slot = out.entry(via.rel.clone()).or_insert_with(|| match up {
            Some(p) => {
                let mut nested = Map::new();
                nested.insert("attributes".into(), attributes(&via.target, p, api));
                Value::Object(nested)
            }
            None => Value::Null,
        });
        if let (Value::Object(nested), Some(p)) = (slot, up) {
            let v = p.get(&f.name).cloned().unwrap_or(Value::Null);
            nested.insert(f.name.clone(), v);
        }
    }
    Value::Object(out)
}

fn attributes(sobject: &str, rec: &Record, api: &str) -> Value {
    let id = rec.get("Id").and_then(Value::as_str).unwrap_or_default();
    let mut a = Map::new();
    a.insert("type".into(), Value::String(sobject.to_owned()));
    // Callers may pass `60.0` or `v60.0`; the URL has exactly one `v`.
    let api = api.strip_prefix('v').unwrap_or(api);
    let url = format!("/services/data/v{api}/sobjects/{sobject}/{id}");
    a.insert("url".into(), Value::String(url));
    Value::Object(a)
}
