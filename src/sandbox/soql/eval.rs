//! The compiled pieces a plan is made of, and how they read and test records:
//! fields (through up to five lookups), filters, sort keys.

use std::cmp::Ordering;
use std::collections::HashSet;

use serde_json::Value;

use super::ast::CmpOp;
use super::like::{LikeTok, like};
use super::{DataSource, Record};
use crate::sandbox::schema::FieldType;

/// A field in canonical case, on the record or on a parent.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Field {
    pub(crate) name: String,
    pub(crate) ftype: FieldType,
    /// The lookups from the record to the one holding the field, nearest
    /// first (`Account`, then `Owner` for `Account.Owner.Name`); empty for
    /// the record's own field.
    pub(crate) via: Vec<Via>,
}

/// The lookup a parent field is reached through.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Via {
    /// The relationship name, the key of the nested object (`Account`).
    pub(crate) rel: String,
    /// The reference field holding the parent's Id (`AccountId`).
    pub(crate) ref_field: String,
    /// The parent's type (`Account`).
    pub(crate) target: String,
}

impl Field {
    /// An own field of a record (or a slot of an aggregate query's group).
    pub(crate) fn own(name: impl Into<String>, ftype: FieldType) -> Field {
        Field {
            name: name.into(),
            ftype,
            via: Vec::new(),
        }
    }

    pub(crate) fn same_as(&self, other: &Field) -> bool {
        self.name == other.name
            && self.via.len() == other.via.len()
            && self.via.iter().zip(&other.via).all(|(a, b)| a.rel == b.rel)
    }

    /// The field's value on `rec` (following the lookups for a parent field);
    /// `None` when it is null or absent, or a parent on the way is.
    pub(crate) fn get<'a>(&self, rec: &'a Record, data: &'a dyn DataSource) -> Option<&'a Value> {
        let mut rec = rec;
        for via in &self.via {
            rec = parent(rec, via, data)?;
        }
        let v = rec.get(&self.name).filter(|v| !v.is_null());
        // Salesforce booleans are never null: an unset one reads as false.
        if self.ftype == FieldType::Boolean {
            return v.or(Some(&FALSE));
        }
        v
    }
}

static FALSE: Value = Value::Bool(false);

/// The parent record a lookup points at, if it exists and has the right type.
pub(crate) fn parent<'a>(
    rec: &'a Record,
    via: &Via,
    data: &'a dyn DataSource,
) -> Option<&'a Record> {
    let id = rec.get(&via.ref_field)?.as_str()?;
    let (def, parent) = data.get(id)?;
    (def.name == via.target).then_some(parent)
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Test(Field, Test),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Test {
    /// `= null` (true) or `!= null` (false).
    IsNull(bool),
    Cmp(CmpOp, Operand),
    /// `IN` or (`true`) `NOT IN`.
    In(bool, Vec<Operand>),
    /// `IN`/`NOT IN` over text: case-folded values sorted by `text_cmp`.
    InText {
        negated: bool,
        texts: Vec<String>,
        with_null: bool,
    },
    Like(Vec<LikeTok>),
    /// A semi-join (`IN (SELECT …)`) or (`true`) anti-join: the Ids the
    /// subquery selected.
    InSet(bool, HashSet<String>),
    /// `INCLUDES` or (`true`) `EXCLUDES`: each entry is a set of values that
    /// must all be selected (`'a;b'`), case-folded.
    Includes(bool, Vec<Vec<String>>),
}

/// A literal in the form stored values take.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    Null,
    /// Case-folded text.
    Text(String),
    /// A 15- or 18-character Id.
    Id(String),
    Num(f64),
    Bool(bool),
    /// A date or datetime in stored form; compares as text.
    Stamp(String),
    /// Whole days: `start` inclusive, `end` exclusive, in stored form.
    Range(String, String),
    /// A multi-select picklist's selections: case-folded, sorted, distinct.
    Set(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sort {
    pub(crate) field: Field,
    pub(crate) desc: bool,
    pub(crate) nulls_first: bool,
}

/// Simple case folding, one character to one, so comparisons need no buffer.
pub(crate) fn fold(c: char) -> char {
    if c.is_ascii() {
        c.to_ascii_lowercase()
    } else {
        c.to_lowercase().next().unwrap_or(c)
    }
}

/// Text order without regard to case.
pub(crate) fn text_cmp(a: &str, b: &str) -> Ordering {
    a.chars().map(fold).cmp(b.chars().map(fold))
}

impl Filter {
    pub(crate) fn matches(&self, rec: &Record, data: &dyn DataSource) -> bool {
        match self {
            Filter::And(items) => items.iter().all(|f| f.matches(rec, data)),
            Filter::Or(items) => items.iter().any(|f| f.matches(rec, data)),
            Filter::Not(inner) => !inner.matches(rec, data),
            Filter::Test(field, test) => test.matches(field.get(rec, data)),
        }
    }
}

impl Test {
    fn matches(&self, v: Option<&Value>) -> bool {
        match self {
            Test::IsNull(want) => v.is_none() == *want,
            Test::Cmp(op, operand) => compare(*op, v, operand),
            Test::In(negated, ops) => {
                let hit = ops.iter().any(|o| compare(CmpOp::Eq, v, o));
                hit != *negated
            }
            Test::InText {
                negated,
                texts,
                with_null,
            } => {
                let hit = match v {
                    None => *with_null,
                    Some(Value::String(s)) => texts.binary_search_by(|t| text_cmp(t, s)).is_ok(),
                    Some(_) => false,
                };
                hit != *negated
            }
            Test::Like(pat) => v.and_then(Value::as_str).is_some_and(|s| like(pat, s)),
            Test::InSet(negated, ids) => {
                let hit = v.and_then(Value::as_str).is_some_and(|s| ids.contains(s));
                hit != *negated
            }
            Test::Includes(excludes, sets) => {
                let chosen = selections(v.and_then(Value::as_str).unwrap_or(""));
                let hit = sets
                    .iter()
                    .any(|set| set.iter().all(|want| chosen.binary_search(want).is_ok()));
                hit != *excludes
            }
        }
    }
}

/// The values of a multi-select picklist (`a;b`): trimmed, case-folded,
/// sorted and distinct, so sets compare as sets.
pub(crate) fn selections(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().map(fold).collect())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// `value op operand`. A null value only satisfies `!=` (SOQL's `!=` and
/// `NOT IN` include nulls); a stored value of the wrong JSON type (which the
/// store never writes) is treated like null.
fn compare(op: CmpOp, v: Option<&Value>, operand: &Operand) -> bool {
    let Some(v) = v else {
        return match operand {
            Operand::Null => op == CmpOp::Eq,
            _ => op == CmpOp::Ne,
        };
    };
    if let Operand::Range(lo, hi) = operand {
        let Some(s) = v.as_str() else {
            return op == CmpOp::Ne;
        };
        let (lo, hi) = (lo.as_str(), hi.as_str());
        return match op {
            CmpOp::Eq => lo <= s && s < hi,
            CmpOp::Ne => !(lo <= s && s < hi),
            CmpOp::Lt => s < lo,
            CmpOp::Le => s < hi,
            CmpOp::Gt => s >= hi,
            CmpOp::Ge => s >= lo,
        };
    }
    let ord = match (operand, v) {
        (Operand::Null, _) => None,
        (Operand::Text(t), Value::String(s)) => Some(text_cmp(s, t)),
        (Operand::Id(id), Value::String(s)) => Some(id_cmp(s, id)),
        (Operand::Num(n), Value::Number(x)) => x.as_f64().and_then(|x| x.partial_cmp(n)),
        (Operand::Bool(b), Value::Bool(x)) => Some(x.cmp(b)),
        (Operand::Stamp(t), Value::String(s)) => Some(s.as_str().cmp(t.as_str())),
        // Only `=` and `!=` take a set; "not equal" needs no order.
        (Operand::Set(want), Value::String(s)) => Some(if selections(s) == *want {
            Ordering::Equal
        } else {
            Ordering::Less
        }),
        _ => None,
    };
    let Some(ord) = ord else {
        return op == CmpOp::Ne;
    };
    match op {
        CmpOp::Eq => ord.is_eq(),
        CmpOp::Ne => ord.is_ne(),
        CmpOp::Lt => ord.is_lt(),
        CmpOp::Le => ord.is_le(),
        CmpOp::Gt => ord.is_gt(),
        CmpOp::Ge => ord.is_ge(),
    }
}

/// A stored 18-character Id against a literal. A 15-character literal is the
/// case-sensitive form, compared with the first 15 characters; an 18-character
/// one is case-safe and matches without regard to case. Order is plain text
/// order, the same as ORDER BY Id, so `Id > :last` cursors stay consistent.
fn id_cmp(stored: &str, lit: &str) -> Ordering {
    if lit.len() == 15 {
        let head = stored.get(..15).unwrap_or(stored);
        return head.cmp(lit);
    }
    if stored.eq_ignore_ascii_case(lit) {
        Ordering::Equal
    } else {
        stored.cmp(lit)
    }
}

/// How two non-null values of one field order (ascending).
pub(crate) fn value_cmp(ftype: FieldType, a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::String(x), Value::String(y)) if super::conds::is_text(ftype) => text_cmp(x, y),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            x.total_cmp(&y)
        }
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

/// Compares two records' keys (one `Option<&Value>` per ORDER BY key).
pub(crate) fn keys_cmp(order: &[Sort], a: &[Option<&Value>], b: &[Option<&Value>]) -> Ordering {
    for (k, (x, y)) in order.iter().zip(a.iter().zip(b.iter())) {
        let ord = match (x, y) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) if k.nulls_first => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) if k.nulls_first => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => {
                let o = value_cmp(k.field.ftype, x, y);
                if k.desc { o.reverse() } else { o }
            }
        };
        if ord.is_ne() {
            return ord;
        }
    }
    Ordering::Equal
}
