//! The SOQL engine: parses a query and evaluates it over the org's records.
//!
//! It never answers a query it does not fully understand: anything outside the
//! supported subset is refused with Salesforce's error code and message shape.
//!
//! The subset: `SELECT` a field list (own fields, parent paths through up to
//! five lookups such as `Account.Owner.Name`, `FIELDS(STANDARD)`, and
//! `FIELDS(ALL)`/`FIELDS(CUSTOM)` with a LIMIT of at most 200), child
//! relationship subqueries (`(SELECT LastName FROM Contacts WHERE … ORDER BY …
//! LIMIT n)`), `COUNT()`, or aggregates (`COUNT(f)`, `COUNT_DISTINCT`, `SUM`,
//! `AVG`, `MIN`, `MAX`, with aliases, `GROUP BY` and `HAVING`); `FROM` one
//! object; `WHERE` with `= != <> < <= > >= LIKE IN NOT IN`, `INCLUDES` and
//! `EXCLUDES` on multi-select picklists, semi-joins and anti-joins (`Id IN
//! (SELECT AccountId FROM Contact …)`), `AND`/`OR`/`NOT` and parentheses;
//! literals (`null`, booleans, numbers, quoted strings with Salesforce's
//! escapes, dates, datetimes in every form Salesforce accepts, and the date
//! literals in `dates`); `ORDER BY` with several keys, `ASC`/`DESC` and `NULLS
//! FIRST`/`LAST`; `LIMIT` and `OFFSET`.
//!
//! The pipeline: `lexer` → `parser` (with `select_clause` and
//! `where_clause`) builds an `ast`;
//! `compile` checks it against the schema and resolves names (`paths`) and
//! literals (`conds`) once into a `plan`, with `aggregate`, `children` and
//! `semijoin` for those parts; `run` scans (or, for `Id = …`, looks up, see
//! `ids`) and filters with `eval`, sorts only the matches and shapes only the
//! rows returned (`shape`), or folds them into groups (`groups`).

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::relationships::ChildRelationship;
use super::schema::ObjectDef;

mod aggregate;
mod ast;
mod children;
mod compile;
mod conds;
mod dates;
mod errors;
mod eval;
mod groups;
mod ids;
mod lexer;
mod like;
mod parser;
mod paths;
mod plan;
mod run;
mod select_clause;
mod semijoin;
mod shape;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_aggregates;
#[cfg(test)]
mod tests_filters;
#[cfg(test)]
mod tests_relationships;
mod where_clause;

pub use ast::Query;
pub use parser::parse;

/// A stored record: field API names (canonical case) to JSON values. Ids are
/// 18-character strings, datetimes `YYYY-MM-DDThh:mm:ss.000+0000` strings (UTC,
/// so they sort as text), dates `YYYY-MM-DD` strings, numbers JSON numbers.
/// Every record has `Id`, `IsDeleted`, `CreatedDate`, `LastModifiedDate`,
/// `SystemModstamp` and `CreatedById`.
pub type Record = Map<String, Value>;

/// What the engine reads: the org's metadata and records.
pub trait DataSource {
    /// The sObject type with this API name, compared without regard to case.
    fn object(&self, name: &str) -> Option<&ObjectDef>;

    /// Calls `visit` for every record of the type `sobject` (canonical name),
    /// including deleted ones (`IsDeleted` true); the engine filters them.
    fn scan(&self, sobject: &str, visit: &mut dyn FnMut(&Record));

    /// The record with this 18-character Id, of any type, with its type.
    fn get(&self, id18: &str) -> Option<(&ObjectDef, &Record)>;

    /// The child relationships of the type `parent` (canonical name).
    fn child_relationships(&self, parent: &str) -> Vec<ChildRelationship>;
}

/// A SOQL error, as Salesforce reports it in `[{"message","errorCode"}]` (no `fields`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoqlError {
    /// `MALFORMED_QUERY`, `INVALID_FIELD` or `INVALID_TYPE`; also
    /// `NUMBER_OUTSIDE_VALID_RANGE` (OFFSET over 2000) and `QUERY_TOO_COMPLICATED`
    /// (conditions nested too deeply). Since Summer '24 Salesforce reports bad
    /// filter operators as `MALFORMED_QUERY`, not `INVALID_QUERY_FILTER_OPERATOR`.
    pub error_code: &'static str,
    /// Salesforce's message, with the caret block where Salesforce gives one.
    pub message: String,
}

/// The answer to a query, before paging.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryOutput {
    /// The sObject type queried (canonical name).
    pub sobject: String,
    /// How many rows match (for `COUNT()` the count; rows is then empty).
    pub total_size: u64,
    /// The rows in order, after `OFFSET` and `LIMIT`, each shaped as Salesforce
    /// returns it: `attributes` (`type` and `url`; `api_version` goes in the
    /// `url`), then the selected fields, parent fields as nested objects (or
    /// null), child subqueries as `{totalSize, done, records}` (or null). An
    /// aggregate query's rows are `AggregateResult`s: `attributes` with a
    /// `type` only, then each column under its alias or `expr0`, `expr1`, ….
    pub rows: Vec<Value>,
    /// Whether the rows go out in one response whatever the batch size: an
    /// aggregate query has no query locator (at most 2,000 rows).
    pub single_batch: bool,
}

/// Whether `record`, of type `sobject`, satisfies the `WHERE` condition
/// `condition` (validation rules use it). The condition is checked against the
/// schema as a query's would be.
pub fn condition_holds(
    sobject: &str,
    condition: &str,
    record: &Record,
    data: &dyn DataSource,
    now: OffsetDateTime,
) -> Result<bool, SoqlError> {
    let soql = format!("SELECT Id FROM {sobject} WHERE {condition}");
    let query = parse(&soql, now)?;
    let plan = compile::compile(&soql, &query, data)?;
    Ok(plan.filter.as_ref().is_none_or(|f| f.matches(record, data)))
}

/// Parses and runs `soql` over `data`. `all_rows` is `queryAll` (deleted records
/// included); `now` anchors date literals such as `TODAY`.
pub fn execute(
    soql: &str,
    data: &dyn DataSource,
    all_rows: bool,
    now: OffsetDateTime,
    api_version: &str,
) -> Result<QueryOutput, SoqlError> {
    if soql.trim().is_empty() {
        return Err(errors::plain(
            errors::MALFORMED,
            "SOQL statements cannot be empty or null",
        ));
    }
    let query = parse(soql, now)?;
    let plan = compile::compile(soql, &query, data)?;
    run::run(&plan, data, all_rows, api_version)
}
