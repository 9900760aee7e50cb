//! Runs a plan over the records: one scan that filters, then sorting and
//! windowing of the matches, then shaping only the rows that are returned
//! (with their child subqueries, gathered in one scan per subquery).

use std::collections::HashMap;

use serde_json::Value;

use super::eval::{Filter, Sort, keys_cmp};
use super::plan::{Column, Plan, Shape};
use super::shape::row;
use super::{DataSource, QueryOutput, Record, SoqlError, children, groups, ids};
use crate::sandbox::schema::ObjectDef;

/// Runs `plan`; `all_rows` includes deleted records (`queryAll`).
pub(crate) fn run(
    plan: &Plan<'_>,
    data: &dyn DataSource,
    all_rows: bool,
    api_version: &str,
) -> Result<QueryOutput, SoqlError> {
    let sobject = plan.obj.name.clone();
    let limit = plan.limit.unwrap_or(u64::MAX);
    let end = plan.offset.saturating_add(limit);
    let columns = match &plan.shape {
        Shape::Count => {
            let mut count = 0u64;
            each_match(plan.obj, plan.filter.as_ref(), data, all_rows, &mut |_| {
                count += 1;
            });
            return Ok(QueryOutput {
                sobject,
                total_size: count.min(limit),
                rows: Vec::new(),
                single_batch: false,
            });
        }
        Shape::Aggregate(agg) => {
            let rows = groups::run(plan, agg, data, all_rows)?;
            return Ok(QueryOutput {
                sobject,
                total_size: rows.len() as u64,
                rows,
                single_batch: true,
            });
        }
        Shape::Rows(columns) => columns,
    };
    let has_children = columns.iter().any(|c| matches!(c, Column::Child(_)));
    let rows = if plan.order.is_empty() && !has_children {
        // Without ORDER BY the scan order is the answer: shape only the window.
        let mut seen = 0u64;
        let mut rows = Vec::new();
        each_match(plan.obj, plan.filter.as_ref(), data, all_rows, &mut |rec| {
            if seen >= plan.offset && seen < end {
                rows.push(row(columns, &plan.obj.name, rec, data, api_version, &[]));
            }
            seen += 1;
        });
        rows
    } else {
        // `scan` lends each record only for the call, so keep the Ids of the
        // matches and borrow the records again through `get`.
        let mut ids = Vec::new();
        let mut seen = 0u64;
        let window_only = plan.order.is_empty();
        each_match(plan.obj, plan.filter.as_ref(), data, all_rows, &mut |rec| {
            let keep = !window_only || (seen >= plan.offset && seen < end);
            seen += 1;
            if keep && let Some(id) = rec.get("Id").and_then(Value::as_str) {
                ids.push(id.to_owned());
            }
        });
        let recs: Vec<&Record> = ids
            .iter()
            .filter_map(|id| data.get(id))
            .map(|(_, r)| r)
            .collect();
        let window = if window_only {
            recs
        } else {
            sorted_window(&plan.order, &recs, data, plan.offset, end)
        };
        let kids: Vec<HashMap<String, Value>> = columns
            .iter()
            .filter_map(|c| match c {
                Column::Child(child) => Some(children::gather(
                    child,
                    &window,
                    data,
                    all_rows,
                    api_version,
                )),
                Column::Field(_) => None,
            })
            .collect();
        window
            .into_iter()
            .map(|rec| row(columns, &plan.obj.name, rec, data, api_version, &kids))
            .collect()
    };
    Ok(QueryOutput {
        sobject,
        total_size: rows.len() as u64,
        rows,
        single_batch: false,
    })
}

/// Calls `visit` with every record of `obj` that is visible and passes
/// `filter`: through `get` when the filter pins the Id, else by a scan.
pub(crate) fn each_match(
    obj: &ObjectDef,
    filter: Option<&Filter>,
    data: &dyn DataSource,
    all_rows: bool,
    visit: &mut dyn FnMut(&Record),
) {
    // The filter first: it usually rejects most records, and each field read is a map
    // lookup (the scan's cost), so `IsDeleted` is then read for the matches only.
    let mut check = |rec: &Record| {
        if filter.is_none_or(|f| f.matches(rec, data))
            && (all_rows || rec.get("IsDeleted") != Some(&Value::Bool(true)))
        {
            visit(rec);
        }
    };
    match filter.and_then(ids::pinned) {
        Some(ids) => {
            for id in ids {
                if let Some((def, rec)) = data.get(&id)
                    && def.name == obj.name
                {
                    check(rec);
                }
            }
        }
        None => data.scan(&obj.name, &mut check),
    }
}

/// The records at sorted positions `offset..end` under `order` (ties, and
/// every record when `order` is empty, keep their given order). Keys are
/// read once into one flat table; with a LIMIT only the first `end` are
/// fully sorted.
pub(crate) fn sorted_window<'a>(
    order: &[Sort],
    recs: &[&'a Record],
    data: &'a dyn DataSource,
    offset: u64,
    end: u64,
) -> Vec<&'a Record> {
    let width = order.len();
    let keys: Vec<Option<&Value>> = recs
        .iter()
        .flat_map(|r| order.iter().map(|k| k.field.get(r, data)))
        .collect();
    let key = |i: usize| keys.get(i * width..(i + 1) * width).unwrap_or(&[]);
    // Ties keep the given order, so the answer is the same on every run.
    let cmp = |a: &usize, b: &usize| keys_cmp(order, key(*a), key(*b)).then(a.cmp(b));
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
