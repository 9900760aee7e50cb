//! Aggregate queries: `COUNT(f)`, `COUNT_DISTINCT(f)`, `SUM`, `AVG`, `MIN`,
//! `MAX`, with `GROUP BY`, `HAVING` and aliases, checked into an [`AggPlan`]
//! (`groups` runs it). `COUNT()` alone is not one of these: it answers with
//! `totalSize` only.
//!
//! Sources (SOQL and SOSL Reference): "Aggregate Functions" and "Support for
//! Field Types in Aggregate Functions"
//! (<https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_agg_functions.htm>),
//! "Using Aliases with GROUP BY" (an unaliased aggregate is `expr0`,
//! `expr1`, … counting only the unaliased ones), "Considerations for GROUP BY"
//! (no LIMIT on an aggregate without GROUP BY; no more than 2,000 rows, no
//! query locator). Errors are the texts real orgs answer: `Field must be
//! grouped or aggregated: X`, `Ordered field must be grouped or aggregated:
//! X` (checked first), `field X does not support aggregate operator SUM`,
//! `field 'X' can not be grouped in a query call`, `only aggregate
//! expressions use field aliasing`, `only root queries support aggregate
//! expressions`.

use super::ast::{AggCall, Cond, Expr, Item, Path, Query, Select};
use super::conds::{Conds, Resolve, SemiJoins};
use super::errors::{self, Pos};
use super::eval::{Field, Sort};
use super::paths::{self, OnObject};
use super::plan::{Agg, AggPlan, Plan, Shape};
use super::{DataSource, SoqlError};
use crate::sandbox::schema::{FieldType, ObjectDef};

use super::ast::AggFunc;

/// Where the query's first aggregate call or GROUP BY is, if it has one.
pub(crate) fn first_aggregate(q: &Query) -> Option<Pos> {
    if let Select::Items(items) = &q.select {
        for item in items {
            if let Item::Agg(a, _) = item {
                return Some(a.pos);
            }
        }
    }
    q.group_by.first().map(Path::pos)
}

/// Compiles an aggregate query over `obj`.
pub(crate) fn compile<'d>(
    src: &str,
    q: &Query,
    obj: &'d ObjectDef,
    data: &'d dyn DataSource,
) -> Result<Plan<'d>, SoqlError> {
    let Select::Items(items) = &q.select else {
        // COUNT() answers with a count only; it does not group.
        let p = q.group_by.first().map_or(q.from.pos, Path::pos);
        return Err(errors::unexpected(src, p, "GROUP BY"));
    };
    let mut b = Slots {
        src,
        obj,
        data,
        groups: Vec::new(),
        aggs: Vec::new(),
    };
    for p in &q.group_by {
        let f = paths::resolve(src, obj, p, data)?;
        if !groupable(f.ftype) {
            let text = format!("field '{}' can not be grouped in a query call", f.name);
            return Err(errors::at(errors::MALFORMED, src, p.pos(), &text));
        }
        b.groups.push(f);
    }
    let mut order = Vec::with_capacity(q.order.len());
    for key in &q.order {
        let field = match &key.expr {
            Expr::Field(p) => b.group(p, "Ordered field must be grouped or aggregated")?,
            Expr::Agg(a) => b.add_agg(a)?,
        };
        order.push(Sort {
            field,
            desc: key.desc,
            nulls_first: key.nulls_first,
        });
    }
    let outputs = b.outputs(items)?;
    let having = match &q.having {
        Some(c) => {
            let mut calls = Vec::new();
            agg_calls(c, &mut calls);
            for a in calls {
                b.add_agg(a)?;
            }
            let conds = Conds {
                src,
                obj,
                data,
                resolve: &b,
                semi_joins: SemiJoins::Refused,
            };
            Some(conds.cond(c)?)
        }
        None => None,
    };
    if q.group_by.is_empty()
        && let Some((n, pos)) = q.limit
    {
        return Err(errors::unexpected(src, pos, &n.to_string()));
    }
    let resolve = OnObject { src, obj, data };
    let conds = Conds {
        src,
        obj,
        data,
        resolve: &resolve,
        semi_joins: SemiJoins::Allowed,
    };
    let filter = q.filter.as_ref().map(|c| conds.cond(c)).transpose()?;
    Ok(Plan {
        obj,
        shape: Shape::Aggregate(AggPlan {
            groups: b.groups,
            aggs: b.aggs,
            outputs,
            having,
        }),
        filter,
        order,
        limit: q.limit.map(|(n, _)| n),
        offset: q.offset.map_or(0, |(n, _)| n),
    })
}

/// The GROUP BY fields and aggregates of a query, each a slot of the group
/// record: `g0`, `g1`, … and `a0`, `a1`, …
struct Slots<'a> {
    src: &'a str,
    obj: &'a ObjectDef,
    data: &'a dyn DataSource,
    groups: Vec<Field>,
    aggs: Vec<Agg>,
}

impl Slots<'_> {
    /// The slot of the grouped field `p`, or `what: p` if it is not grouped.
    fn group(&self, p: &Path, what: &str) -> Result<Field, SoqlError> {
        let f = paths::resolve(self.src, self.obj, p, self.data)?;
        match self.groups.iter().position(|g| g.same_as(&f)) {
            Some(i) => Ok(Field::own(format!("g{i}"), f.ftype)),
            None => {
                let text = format!("{what}: {}", p.dotted());
                Err(errors::at(errors::MALFORMED, self.src, p.pos(), &text))
            }
        }
    }

    /// The slot of the aggregate `a`, added if new.
    fn add_agg(&mut self, a: &AggCall) -> Result<Field, SoqlError> {
        let agg = self.resolve_agg(a)?;
        let j = match self.aggs.iter().position(|x| same_agg(x, &agg)) {
            Some(j) => j,
            None => {
                self.aggs.push(agg.clone());
                self.aggs.len() - 1
            }
        };
        Ok(Field::own(format!("a{j}"), result_type(&agg)))
    }

    fn resolve_agg(&self, a: &AggCall) -> Result<Agg, SoqlError> {
        let field = paths::resolve(self.src, self.obj, &a.arg, self.data)?;
        if !supports(a.func, field.ftype) {
            let text = format!(
                "field {} does not support aggregate operator {}",
                field.name,
                a.func.name()
            );
            return Err(errors::at(errors::MALFORMED, self.src, a.pos, &text));
        }
        Ok(Agg {
            func: a.func,
            field,
        })
    }

    /// Each select item's key in the row and its slot.
    fn outputs(&mut self, items: &[Item]) -> Result<Vec<(String, String)>, SoqlError> {
        let mut out: Vec<(String, String)> = Vec::with_capacity(items.len());
        let mut unnamed = 0;
        for item in items {
            let (key, slot, pos) = match item {
                Item::Field(p, alias) => {
                    let slot = self.group(p, "Field must be grouped or aggregated")?;
                    let f = paths::resolve(self.src, self.obj, p, self.data)?;
                    let key = alias.as_ref().map_or(f.name, |a| a.text.clone());
                    (key, slot, p.pos())
                }
                Item::Agg(a, alias) => {
                    let slot = self.add_agg(a)?;
                    let key = match alias {
                        Some(alias) => alias.text.clone(),
                        None => {
                            unnamed += 1;
                            format!("expr{}", unnamed - 1)
                        }
                    };
                    (key, slot, a.pos)
                }
                Item::Fields(_, pos) => return Err(errors::unexpected(self.src, *pos, "FIELDS")),
                Item::Child(_, pos) => return Err(errors::unexpected(self.src, *pos, "(")),
            };
            if out.iter().any(|(k, _)| k.eq_ignore_ascii_case(&key)) {
                let text = format!("duplicate alias: {key}");
                return Err(errors::at(errors::MALFORMED, self.src, pos, &text));
            }
            out.push((key, slot.name));
        }
        Ok(out)
    }
}

/// In HAVING: grouped fields and (already added) aggregates read their slots.
impl Resolve for Slots<'_> {
    fn expr(&self, e: &Expr) -> Result<Field, SoqlError> {
        match e {
            Expr::Field(p) => self.group(p, "Field must be grouped or aggregated"),
            Expr::Agg(a) => {
                let agg = self.resolve_agg(a)?;
                let j = self.aggs.iter().position(|x| same_agg(x, &agg));
                let j = j.ok_or_else(|| errors::unexpected(self.src, a.pos, a.func.name()))?;
                Ok(Field::own(format!("a{j}"), result_type(&agg)))
            }
        }
    }
}

fn same_agg(a: &Agg, b: &Agg) -> bool {
    a.func == b.func && a.field.same_as(&b.field)
}

/// The aggregate calls in a HAVING condition.
fn agg_calls<'q>(c: &'q Cond, out: &mut Vec<&'q AggCall>) {
    match c {
        Cond::And(items) | Cond::Or(items) => items.iter().for_each(|c| agg_calls(c, out)),
        Cond::Not(inner) => agg_calls(inner, out),
        Cond::Cmp(Expr::Agg(a), ..) | Cond::In(Expr::Agg(a), ..) | Cond::Like(Expr::Agg(a), _) => {
            out.push(a);
        }
        _ => {}
    }
}

/// The type of an aggregate's value, which HAVING literals must fit.
fn result_type(a: &Agg) -> FieldType {
    match a.func {
        AggFunc::Count | AggFunc::CountDistinct => FieldType::Int,
        AggFunc::Avg => FieldType::Double,
        AggFunc::Sum | AggFunc::Min | AggFunc::Max => a.field.ftype,
    }
}

/// Which functions a field type supports ("Support for Field Types in
/// Aggregate Functions"): none on checkboxes, long text and multi-select
/// picklists; SUM and AVG on numbers only.
fn supports(func: AggFunc, t: FieldType) -> bool {
    match t {
        FieldType::Boolean | FieldType::TextArea | FieldType::MultiPicklist => false,
        FieldType::Int | FieldType::Double | FieldType::Currency | FieldType::Percent => true,
        _ => !matches!(func, AggFunc::Sum | AggFunc::Avg),
    }
}

/// Whether GROUP BY takes a field of this type (describe's `groupable`):
/// not doubles, currency, percent, datetimes, long text or multi-select picklists.
/// (A real org's short `textarea` fields are groupable; the sandbox does not
/// tell short from long.)
fn groupable(t: FieldType) -> bool {
    !matches!(
        t,
        FieldType::Double
            | FieldType::Currency
            | FieldType::Percent
            | FieldType::DateTime
            | FieldType::TextArea
            | FieldType::MultiPicklist
    )
}
