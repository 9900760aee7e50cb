//! Semi-joins and anti-joins: `Id IN (SELECT AccountId FROM Contact WHERE …)`
//! and `NOT IN`. The subquery runs once, when the outer query is compiled;
//! the outer scan then tests each record's field against the Ids it selected.
//!
//! Source: "Comparison Operators" (semi-joins and anti-joins), SOQL and SOSL
//! Reference,
//! <https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_comparisonoperators.htm>.
//! The error texts are the ones real orgs answer (`semi join sub selects can
//! only query id fields, cannot use: 'Name'`, `The inner and outer selects
//! should not be on the same object type`, `inner select field cannot have
//! more than one level of relationships`, `Nesting of semi join sub-selects
//! is not supported`).

use std::collections::HashSet;

use serde_json::Value;

use super::ast::{Item, Path, Query, Select};
use super::conds::{Conds, SemiJoins};
use super::errors::{self, Pos};
use super::eval::{Field, Test};
use super::paths::{self, OnObject};
use super::{DataSource, SoqlError};
use crate::sandbox::schema::{FieldType, ObjectDef};

/// The test of `left` (written `left_path`, on `outer`) against the Ids the
/// subquery `q` selects; `negated` for `NOT IN`.
pub(crate) fn compile(
    src: &str,
    outer: &ObjectDef,
    left_path: &Path,
    left: &Field,
    negated: bool,
    q: &Query,
    data: &dyn DataSource,
) -> Result<Test, SoqlError> {
    let obj = data
        .object(&q.from.text)
        .ok_or_else(|| errors::unknown_type(src, q.from.pos, &q.from.text))?;
    if obj.name == outer.name {
        let text = "The inner and outer selects should not be on the same object type";
        return Err(errors::at(errors::MALFORMED, src, q.from.pos, text));
    }
    let path = match &q.select {
        Select::Items(items) => match items.as_slice() {
            [Item::Field(path, None)] => path,
            [Item::Field(_, Some(alias)), ..] => {
                return Err(errors::unexpected(src, alias.pos, &alias.text));
            }
            [Item::Field(..), second, ..] => return Err(at_item(src, second)),
            [first, ..] => return Err(at_item(src, first)),
            [] => return Err(errors::unexpected(src, q.from.pos, "FROM")),
        },
        Select::Count(pos) => return Err(errors::unexpected(src, *pos, "COUNT")),
    };
    refuse_clauses(src, q)?;
    let field = paths::resolve(src, obj, path, data)?;
    if !field.via.is_empty() {
        let text = "inner select field cannot have more than one level of relationships";
        return Err(errors::at(errors::MALFORMED, src, path.pos(), text));
    }
    if !is_id(field.ftype) {
        return Err(not_an_id(src, path.pos(), &field.name));
    }
    if !left.via.is_empty() || !is_id(left.ftype) {
        return Err(not_an_id(src, left_path.pos(), &left_path.dotted()));
    }
    let resolve = OnObject { src, obj, data };
    let conds = Conds {
        src,
        obj,
        data,
        resolve: &resolve,
        semi_joins: SemiJoins::Nested,
    };
    let filter = q.filter.as_ref().map(|c| conds.cond(c)).transpose()?;
    let mut ids = HashSet::new();
    data.scan(&obj.name, &mut |rec| {
        if rec.get("IsDeleted") == Some(&Value::Bool(true)) {
            return;
        }
        if filter.as_ref().is_none_or(|f| f.matches(rec, data))
            && let Some(Value::String(id)) = field.get(rec, data)
        {
            ids.insert(id.clone());
        }
    });
    Ok(Test::InSet(negated, ids))
}

fn is_id(t: FieldType) -> bool {
    matches!(t, FieldType::Id | FieldType::Reference)
}

fn not_an_id(src: &str, pos: Pos, name: &str) -> SoqlError {
    let text = format!("semi join sub selects can only query id fields, cannot use: '{name}'");
    errors::at(errors::MALFORMED, src, pos, &text)
}

/// A select item a semi-join's subquery cannot have.
fn at_item(src: &str, item: &Item) -> SoqlError {
    match item {
        Item::Field(p, _) => errors::unexpected(src, p.pos(), &p.dotted()),
        Item::Agg(a, _) => errors::unexpected(src, a.pos, a.func.name()),
        Item::Fields(_, pos) => errors::unexpected(src, *pos, "FIELDS"),
        Item::Child(_, pos) => errors::unexpected(src, *pos, "("),
    }
}

/// GROUP BY, HAVING, ORDER BY, LIMIT and OFFSET have no meaning in a
/// semi-join's subquery; this subset refuses them.
fn refuse_clauses(src: &str, q: &Query) -> Result<(), SoqlError> {
    if let Some(p) = q.group_by.first() {
        return Err(errors::unexpected(src, p.pos(), &p.dotted()));
    }
    if let Some(k) = q.order.first() {
        return Err(errors::unexpected(src, k.expr.pos(), "ORDER BY"));
    }
    match q.limit.or(q.offset) {
        Some((n, pos)) => Err(errors::unexpected(src, pos, &n.to_string())),
        None => Ok(()),
    }
}
