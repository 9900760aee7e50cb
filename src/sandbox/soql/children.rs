//! Child relationship subqueries: `SELECT Name, (SELECT LastName FROM
//! Contacts WHERE … ORDER BY … LIMIT n) FROM Account`. Each returned row gets
//! the relationship as `{"totalSize", "done", "records"}`, or null when no
//! child matches; the sandbox returns every child in one piece (`done` true).
//!
//! The relationship names are a real org's (see `sandbox::relationships`).
//! Source: "Using Relationship Queries", SOQL and SOSL Reference,
//! <https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_relationships_query_using.htm>.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use super::ast::Query;
use super::compile::{Level, compile_on};
use super::errors;
use super::plan::{ChildPlan, Column, Shape};
use super::run::sorted_window;
use super::shape::fields_row;
use super::{DataSource, Record, SoqlError};
use crate::sandbox::schema::ObjectDef;

/// Checks the subquery `q` of a query on `parent`.
pub(crate) fn compile<'d>(
    src: &str,
    parent: &ObjectDef,
    q: &Query,
    data: &'d dyn DataSource,
) -> Result<ChildPlan<'d>, SoqlError> {
    let rel = data
        .child_relationships(&parent.name)
        .into_iter()
        .find(|c| c.name.eq_ignore_ascii_case(&q.from.text))
        .ok_or_else(|| errors::bad_child_relationship(src, q.from.pos, &q.from.text))?;
    let obj = data
        .object(&rel.child)
        .ok_or_else(|| errors::bad_child_relationship(src, q.from.pos, &q.from.text))?;
    let plan = compile_on(src, q, obj, data, Level::Child)?;
    let Shape::Rows(columns) = plan.shape else {
        // `compile_on` refuses COUNT() and aggregates below the root.
        return Err(errors::unexpected(src, q.from.pos, &q.from.text));
    };
    let columns = columns
        .into_iter()
        .filter_map(|c| match c {
            Column::Field(f) => Some(f),
            Column::Child(_) => None,
        })
        .collect();
    Ok(ChildPlan {
        rel: rel.name,
        obj,
        ref_field: rel.field,
        columns,
        filter: plan.filter,
        order: plan.order,
        limit: plan.limit,
        offset: plan.offset,
    })
}

/// The subquery's result for each of `parents`, by parent Id: one scan of the
/// child type, then each parent's children sorted and windowed.
pub(crate) fn gather(
    child: &ChildPlan<'_>,
    parents: &[&Record],
    data: &dyn DataSource,
    all_rows: bool,
    api: &str,
) -> HashMap<String, Value> {
    let wanted: HashSet<&str> = parents
        .iter()
        .filter_map(|r| r.get("Id").and_then(Value::as_str))
        .collect();
    let mut by_parent: HashMap<String, Vec<String>> = HashMap::new();
    data.scan(&child.obj.name, &mut |rec| {
        let Some(p) = rec.get(&child.ref_field).and_then(Value::as_str) else {
            return;
        };
        if !wanted.contains(p)
            || (!all_rows && rec.get("IsDeleted") == Some(&Value::Bool(true)))
            || !child.filter.as_ref().is_none_or(|f| f.matches(rec, data))
        {
            return;
        }
        if let Some(id) = rec.get("Id").and_then(Value::as_str) {
            by_parent
                .entry(p.to_owned())
                .or_default()
                .push(id.to_owned());
        }
    });
    let end = child.offset.saturating_add(child.limit.unwrap_or(u64::MAX));
    by_parent
        .into_iter()
        .map(|(parent, ids)| {
            let recs: Vec<&Record> = ids
                .iter()
                .filter_map(|id| data.get(id))
                .map(|(_, r)| r)
                .collect();
            let rows: Vec<Value> = sorted_window(&child.order, &recs, data, child.offset, end)
                .into_iter()
                .map(|r| fields_row(&child.columns, &child.obj.name, r, data, api))
                .collect();
            let v = if rows.is_empty() {
                Value::Null
            } else {
                json!({"totalSize": rows.len(), "done": true, "records": rows})
            };
            (parent, v)
        })
        .collect()
}
