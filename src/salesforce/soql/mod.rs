//! SOQL, owned here: as text (literals, placeholders, the select lists and windows of a
//! feed of new records) and as calls (`query`, `queryAll` and their pages). Nothing else in
//! the crate quotes a value, renders a literal or follows a `nextRecordsUrl`.
//!
//! - `literal`: strings quoted with Salesforce's escapes, numbers by the decimal rules
//!   ([`crate::salesforce::decimal`]), dates and datetimes ([`crate::salesforce::datetime`]);
//! - `placeholders`: where a query's `:name` placeholders are;
//! - `select`: select lists and `CreatedDate` windows;
//! - `query`: the calls, [`Pages`] and [`Client::for_each_record`](crate::salesforce::Client::for_each_record),
//!   [`BatchSize`] and [`PageStart`] (where a page comes from, kept by a caller to come back).

mod literal;
mod placeholders;
mod query;
mod select;

pub use literal::{LiteralError, date, datetime, escape_string, number, quote, string};
pub use placeholders::{Piece, pieces};
pub use query::{BatchSize, PageStart, Pages, QueryPage};
pub use select::{created_at, created_between, select_list};
