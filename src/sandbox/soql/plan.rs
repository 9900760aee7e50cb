//! A checked query, ready to run: what `compile` makes and `run` executes.

use super::ast::AggFunc;
use super::eval::{Field, Filter, Sort};
use crate::sandbox::schema::ObjectDef;

/// A query over one sObject type.
#[derive(Debug)]
pub(crate) struct Plan<'d> {
    pub(crate) obj: &'d ObjectDef,
    pub(crate) shape: Shape<'d>,
    pub(crate) filter: Option<Filter>,
    /// ORDER BY over the records (rows) or over the groups' slots (aggregates).
    pub(crate) order: Vec<Sort>,
    pub(crate) limit: Option<u64>,
    pub(crate) offset: u64,
}

/// What the query returns.
#[derive(Debug)]
pub(crate) enum Shape<'d> {
    /// `COUNT()`: the count only.
    Count,
    /// One row per record.
    Rows(Vec<Column<'d>>),
    /// `AggregateResult` rows: one per group.
    Aggregate(AggPlan),
}

/// One selected column of a row.
#[derive(Debug)]
pub(crate) enum Column<'d> {
    Field(Field),
    Child(ChildPlan<'d>),
}

/// A child relationship subquery: the children of each returned row.
#[derive(Debug)]
pub(crate) struct ChildPlan<'d> {
    /// The relationship name, the key in the parent row (`Contacts`).
    pub(crate) rel: String,
    /// The child type.
    pub(crate) obj: &'d ObjectDef,
    /// The child's lookup holding the parent's Id (`AccountId`).
    pub(crate) ref_field: String,
    pub(crate) columns: Vec<Field>,
    pub(crate) filter: Option<Filter>,
    pub(crate) order: Vec<Sort>,
    pub(crate) limit: Option<u64>,
    pub(crate) offset: u64,
}

/// An aggregate query. Each group becomes a record of slots, `g0`, `g1`, …
/// for the GROUP BY values and `a0`, `a1`, … for the aggregates, so HAVING
/// and ORDER BY run over it as a filter and sort keys over plain fields.
#[derive(Debug)]
pub(crate) struct AggPlan {
    /// The GROUP BY fields; empty means one group of all records.
    pub(crate) groups: Vec<Field>,
    /// Every aggregate the select list, HAVING or ORDER BY uses, once each.
    pub(crate) aggs: Vec<Agg>,
    /// The select list: each column's key in the row and its slot.
    pub(crate) outputs: Vec<(String, String)>,
    /// HAVING, over the slots.
    pub(crate) having: Option<Filter>,
}

/// One aggregate computed per group.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Agg {
    pub(crate) func: AggFunc,
    pub(crate) field: Field,
}
