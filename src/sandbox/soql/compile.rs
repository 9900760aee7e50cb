//! Checks a parsed query against the schema and turns it into a plan: field
//! names in canonical case, literals in the form stored values take, so the
//! scan does no name lookups, parsing or allocation per record.
//!
//! Aggregate queries are compiled by `aggregate`, child subqueries by
//! `children`, semi-joins by `semijoin`; this module does the rest and picks.

use super::aggregate;
use super::ast::{Expr, FieldsScope, Item, Query, Select};
use super::children;
use super::conds::{Conds, SemiJoins};
use super::errors::{self, Pos};
use super::eval::{Field, Sort};
use super::paths::{self, OnObject};
use super::plan::{Column, Plan, Shape};
use super::{DataSource, SoqlError};
use crate::sandbox::schema::ObjectDef;

/// The most rows a query with `FIELDS(ALL)` or `FIELDS(CUSTOM)` may ask for.
const FIELDS_LIMIT: u64 = 200;

/// Whether a query is the root or a child relationship subquery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    Root,
    Child,
}

/// Resolves every name in `q` against the schema of its FROM object.
pub(crate) fn compile<'d>(
    src: &str,
    q: &Query,
    data: &'d dyn DataSource,
) -> Result<Plan<'d>, SoqlError> {
    let obj = data
        .object(&q.from.text)
        .ok_or_else(|| errors::unknown_type(src, q.from.pos, &q.from.text))?;
    compile_on(src, q, obj, data, Level::Root)
}

/// Compiles `q` over `obj` (for a subquery, the relationship's child type).
pub(crate) fn compile_on<'d>(
    src: &str,
    q: &Query,
    obj: &'d ObjectDef,
    data: &'d dyn DataSource,
    level: Level,
) -> Result<Plan<'d>, SoqlError> {
    if let Some(pos) = aggregate::first_aggregate(q) {
        if level == Level::Child {
            return Err(only_root(src, pos));
        }
        return aggregate::compile(src, q, obj, data);
    }
    let resolve = OnObject { src, obj, data };
    let conds = Conds {
        src,
        obj,
        data,
        resolve: &resolve,
        semi_joins: SemiJoins::Allowed,
    };
    let shape = match &q.select {
        Select::Count(pos) => {
            if level == Level::Child {
                return Err(only_root(src, *pos));
            }
            // COUNT() takes LIMIT but not ORDER BY or OFFSET in this subset.
            if let Some(key) = q.order.first() {
                return Err(errors::unexpected(src, key.expr.pos(), &shown(&key.expr)));
            }
            if let Some((n, pos)) = q.offset {
                return Err(errors::unexpected(src, pos, &n.to_string()));
            }
            Shape::Count
        }
        Select::Items(items) => Shape::Rows(columns(src, q, items, obj, data, level)?),
    };
    let filter = q.filter.as_ref().map(|f| conds.cond(f)).transpose()?;
    let mut order = Vec::with_capacity(q.order.len());
    for key in &q.order {
        let Expr::Field(path) = &key.expr else {
            return Err(errors::unexpected(src, key.expr.pos(), &shown(&key.expr)));
        };
        order.push(Sort {
            field: paths::resolve(src, obj, path, data)?,
            desc: key.desc,
            nulls_first: key.nulls_first,
        });
    }
    Ok(Plan {
        obj,
        shape,
        filter,
        order,
        limit: q.limit.map(|(n, _)| n),
        offset: q.offset.map_or(0, |(n, _)| n),
    })
}

/// The columns of a row query: fields, `FIELDS(…)` expanded, child subqueries.
fn columns<'d>(
    src: &str,
    q: &Query,
    items: &[Item],
    obj: &'d ObjectDef,
    data: &'d dyn DataSource,
    level: Level,
) -> Result<Vec<Column<'d>>, SoqlError> {
    let mut out: Vec<Column<'d>> = Vec::with_capacity(items.len());
    let add = |out: &mut Vec<Column<'d>>, f: Field, shown: &str, pos: Pos| {
        let dup = out
            .iter()
            .any(|c| matches!(c, Column::Field(g) if g.same_as(&f)));
        if dup {
            let text = format!("duplicate field selected: {shown}");
            return Err(errors::at(errors::MALFORMED, src, pos, &text));
        }
        out.push(Column::Field(f));
        Ok(())
    };
    for item in items {
        match item {
            Item::Field(path, alias) => {
                if let Some(alias) = alias {
                    let text = "only aggregate expressions use field aliasing";
                    return Err(errors::at(errors::MALFORMED, src, alias.pos, text));
                }
                let f = paths::resolve(src, obj, path, data)?;
                add(&mut out, f, &path.dotted(), path.pos())?;
            }
            Item::Fields(scope, pos) => {
                if *scope != FieldsScope::Standard && q.limit.is_none_or(|(n, _)| n > FIELDS_LIMIT)
                {
                    return Err(errors::plain(
                        errors::MALFORMED,
                        format!(
                            "The SOQL FIELDS function must have a LIMIT of at most {FIELDS_LIMIT}"
                        ),
                    ));
                }
                for def in &obj.fields {
                    let custom = def.name.ends_with("__c");
                    let wanted = match scope {
                        FieldsScope::All => true,
                        FieldsScope::Custom => custom,
                        FieldsScope::Standard => !custom,
                    };
                    if wanted {
                        add(&mut out, Field::own(&def.name, def.ftype), &def.name, *pos)?;
                    }
                }
            }
            Item::Child(sub, pos) => {
                if level == Level::Child {
                    let text = "SOQL statements cannot query aggregate relationships more than \
                                1 level away from the root entity object.";
                    return Err(errors::at(errors::MALFORMED, src, *pos, text));
                }
                let child = children::compile(src, obj, sub, data)?;
                let dup = out
                    .iter()
                    .any(|c| matches!(c, Column::Child(d) if d.rel == child.rel));
                if dup {
                    let text = format!("duplicate field selected: {}", child.rel);
                    return Err(errors::at(errors::MALFORMED, src, *pos, &text));
                }
                out.push(Column::Child(child));
            }
            Item::Agg(call, _) => {
                // `first_aggregate` sends every query with one to `aggregate`.
                return Err(errors::unexpected(src, call.pos, call.func.name()));
            }
        }
    }
    Ok(out)
}

/// An aggregate, GROUP BY or COUNT() in a child subquery.
fn only_root(src: &str, pos: Pos) -> SoqlError {
    let text = "only root queries support aggregate expressions";
    errors::at(errors::MALFORMED, src, pos, text)
}

/// An expression as written, for "unexpected token".
pub(crate) fn shown(e: &Expr) -> String {
    match e {
        Expr::Field(p) => p.dotted(),
        Expr::Agg(a) => a.func.name().to_owned(),
    }
}
