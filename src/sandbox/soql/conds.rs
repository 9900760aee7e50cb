//! Conditions (WHERE and HAVING) compiled into filters: each operator checked
//! against its field's type, each literal brought once to the form stored
//! values take, so the scan does no parsing per record.

use super::ast::{CmpOp, Cond, Expr, Lit, LitValue, Path};
use super::errors::{self, Pos};
use super::eval::{Field, Filter, Operand, Test, fold, selections, text_cmp};
use super::lexer::StrChar;
use super::like::LikeTok;
use super::{DataSource, SoqlError, semijoin};
use crate::sandbox::schema::{FieldType, ObjectDef};

/// What a condition's left side reads: a field path in WHERE, a group's slot
/// in HAVING.
pub(crate) trait Resolve {
    fn expr(&self, e: &Expr) -> Result<Field, SoqlError>;
}

/// Where a semi-join (`IN (SELECT …)`) may appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SemiJoins {
    /// In a query's WHERE, outside OR and NOT.
    Allowed,
    /// Inside a semi-join's own subquery: Salesforce does not nest them.
    Nested,
    /// In HAVING.
    Refused,
}

/// Compiles the conditions of one query.
pub(crate) struct Conds<'a> {
    pub(crate) src: &'a str,
    pub(crate) obj: &'a ObjectDef,
    pub(crate) data: &'a dyn DataSource,
    pub(crate) resolve: &'a dyn Resolve,
    pub(crate) semi_joins: SemiJoins,
}

impl Conds<'_> {
    pub(crate) fn cond(&self, c: &Cond) -> Result<Filter, SoqlError> {
        self.cond_under(c, None)
    }

    /// `under` is the operator (`OR`, `NOT`) the condition sits in, if any.
    fn cond_under(&self, c: &Cond, under: Option<&'static str>) -> Result<Filter, SoqlError> {
        let all = |items: &[Cond], under| -> Result<Vec<Filter>, SoqlError> {
            items.iter().map(|c| self.cond_under(c, under)).collect()
        };
        Ok(match c {
            Cond::And(items) => Filter::And(all(items, under)?),
            Cond::Or(items) => Filter::Or(all(items, Some("OR"))?),
            Cond::Not(inner) => Filter::Not(Box::new(self.cond_under(inner, Some("NOT"))?)),
            Cond::Cmp(expr, op, lit) => self.cmp(expr, *op, lit)?,
            Cond::In(expr, negated, lits) => {
                let field = self.resolve.expr(expr)?;
                if field.ftype == FieldType::MultiPicklist {
                    return Err(self.bad_operator(expr, &field));
                }
                let mut ops = Vec::with_capacity(lits.len());
                for lit in lits {
                    ops.push(match lit.value {
                        LitValue::Null if field.ftype == FieldType::Boolean => Operand::Bool(false),
                        LitValue::Null => Operand::Null,
                        _ => self.operand(&field, lit)?,
                    });
                }
                Filter::Test(field, in_test(*negated, ops))
            }
            Cond::Like(expr, lit) => {
                let field = self.resolve.expr(expr)?;
                if !is_text(field.ftype) {
                    return Err(self.bad_operator(expr, &field));
                }
                let LitValue::Str(chars) = &lit.value else {
                    return Err(self.wrong_type(lit.pos, &field));
                };
                Filter::Test(field, Test::Like(like_pattern(chars)))
            }
            Cond::Includes(path, excludes, lits) => self.includes(path, *excludes, lits)?,
            Cond::SemiJoin(path, negated, q, pos) => {
                match (self.semi_joins, under) {
                    (SemiJoins::Refused, _) => return Err(errors::unexpected(self.src, *pos, "(")),
                    (SemiJoins::Nested, _) => {
                        let text = "Nesting of semi join sub-selects is not supported";
                        return Err(errors::at(errors::MALFORMED, self.src, *pos, text));
                    }
                    (SemiJoins::Allowed, Some(op)) => {
                        let text = format!(
                            "Semi join sub-selects are not allowed with the '{op}' operator"
                        );
                        return Err(errors::at(errors::MALFORMED, self.src, *pos, &text));
                    }
                    (SemiJoins::Allowed, None) => {}
                }
                let field = self.resolve.expr(&Expr::Field(path.clone()))?;
                let test =
                    semijoin::compile(self.src, self.obj, path, &field, *negated, q, self.data)?;
                Filter::Test(field, test)
            }
        })
    }

    fn cmp(&self, expr: &Expr, op: CmpOp, lit: &Lit) -> Result<Filter, SoqlError> {
        let field = self.resolve.expr(expr)?;
        if matches!(lit.value, LitValue::Null) {
            // On a boolean `= null` means false and `!= null` true.
            if field.ftype == FieldType::Boolean && matches!(op, CmpOp::Eq | CmpOp::Ne) {
                let test = Test::Cmp(CmpOp::Eq, Operand::Bool(op == CmpOp::Ne));
                return Ok(Filter::Test(field, test));
            }
            return match op {
                CmpOp::Eq => Ok(Filter::Test(field, Test::IsNull(true))),
                CmpOp::Ne => Ok(Filter::Test(field, Test::IsNull(false))),
                _ => Err(errors::unexpected(self.src, lit.pos, "null")),
            };
        }
        let ordered = !matches!(op, CmpOp::Eq | CmpOp::Ne);
        if ordered && matches!(field.ftype, FieldType::Boolean | FieldType::MultiPicklist) {
            return Err(self.bad_operator(expr, &field));
        }
        let operand = self.operand(&field, lit)?;
        Ok(Filter::Test(field, Test::Cmp(op, operand)))
    }

    /// `INCLUDES`/`EXCLUDES`: only on a multi-select picklist, with quoted
    /// values; `'a;b'` means both `a` and `b`, a comma either.
    fn includes(&self, path: &Path, excludes: bool, lits: &[Lit]) -> Result<Filter, SoqlError> {
        let expr = Expr::Field(path.clone());
        let field = self.resolve.expr(&expr)?;
        if field.ftype != FieldType::MultiPicklist {
            return Err(self.bad_operator(&expr, &field));
        }
        let mut sets = Vec::with_capacity(lits.len());
        for lit in lits {
            let LitValue::Str(chars) = &lit.value else {
                return Err(self.wrong_type(lit.pos, &field));
            };
            let set = selections(&chars.iter().map(plain_char).collect::<String>());
            // `''` selects nothing, so it includes nothing.
            if !set.is_empty() {
                sets.push(set);
            }
        }
        Ok(Filter::Test(field, Test::Includes(excludes, sets)))
    }

    fn bad_operator(&self, expr: &Expr, field: &Field) -> SoqlError {
        let shown = match expr {
            Expr::Field(p) => p.dotted(),
            Expr::Agg(a) => a.arg.dotted(),
        };
        let text = format!(
            "invalid operator on {} field: {shown}",
            field.ftype.describe_name()
        );
        errors::at(errors::MALFORMED, self.src, expr.pos(), &text)
    }

    fn wrong_type(&self, pos: Pos, field: &Field) -> SoqlError {
        let (soap, quoted) = soap_type(field.ftype);
        errors::wrong_value_type(self.src, pos, &field.name, soap, quoted)
    }

    /// A literal in the form the field's stored values take.
    fn operand(&self, field: &Field, lit: &Lit) -> Result<Operand, SoqlError> {
        let ft = field.ftype;
        let bad = || self.wrong_type(lit.pos, field);
        Ok(match (&lit.value, ft) {
            (LitValue::Str(chars), FieldType::Id | FieldType::Reference) => {
                let id: String = chars.iter().map(plain_char).collect();
                let valid = (id.len() == 15 || id.len() == 18)
                    && id.bytes().all(|b| b.is_ascii_alphanumeric());
                if !valid {
                    let text = format!("invalid ID field: {id}");
                    return Err(errors::at(errors::MALFORMED, self.src, lit.pos, &text));
                }
                Operand::Id(id)
            }
            (LitValue::Str(chars), FieldType::MultiPicklist) => Operand::Set(selections(
                &chars.iter().map(plain_char).collect::<String>(),
            )),
            (LitValue::Str(chars), t) if is_text(t) => {
                Operand::Text(chars.iter().map(|c| fold(plain_char(c))).collect())
            }
            (
                LitValue::Num(n),
                FieldType::Int | FieldType::Double | FieldType::Currency | FieldType::Percent,
            ) => Operand::Num(*n),
            (LitValue::Bool(b), FieldType::Boolean) => Operand::Bool(*b),
            (LitValue::Date(d), FieldType::Date) => Operand::Stamp(d.clone()),
            (LitValue::DateTime(d), FieldType::DateTime) => Operand::Stamp(d.clone()),
            (LitValue::Days(first, last), FieldType::Date | FieldType::DateTime) => {
                let (lo, hi) = super::dates::bounds(*first, *last, ft == FieldType::DateTime)
                    .ok_or_else(bad)?;
                Operand::Range(lo, hi)
            }
            _ => return Err(bad()),
        })
    }
}

/// `IN`/`NOT IN`; a list of text values is sorted once so each record costs
/// a binary search, not a pass over the list.
fn in_test(negated: bool, ops: Vec<Operand>) -> Test {
    let all_text = ops
        .iter()
        .all(|o| matches!(o, Operand::Text(_) | Operand::Null));
    if !all_text {
        return Test::In(negated, ops);
    }
    let with_null = ops.contains(&Operand::Null);
    let mut texts: Vec<String> = ops
        .into_iter()
        .filter_map(|o| match o {
            Operand::Text(t) => Some(t),
            _ => None,
        })
        .collect();
    texts.sort_by(|a, b| text_cmp(a, b));
    Test::InText {
        negated,
        texts,
        with_null,
    }
}

/// Text-like types: compared without regard to case, usable with LIKE.
pub(crate) fn is_text(t: FieldType) -> bool {
    matches!(
        t,
        FieldType::String
            | FieldType::TextArea
            | FieldType::Email
            | FieldType::Phone
            | FieldType::Url
            | FieldType::Picklist
    )
}

/// The SOAP type Salesforce names in "must be of type …", and whether its
/// values are quoted.
fn soap_type(t: FieldType) -> (&'static str, bool) {
    match t {
        FieldType::Id | FieldType::Reference => ("id", true),
        FieldType::Boolean => ("boolean", false),
        FieldType::Int => ("int", false),
        FieldType::Double | FieldType::Currency | FieldType::Percent => ("double", false),
        FieldType::Date => ("date", false),
        FieldType::DateTime => ("dateTime", false),
        _ => ("string", true),
    }
}

/// Outside LIKE, `\%` and `\_` simply mean `%` and `_`.
fn plain_char(c: &StrChar) -> char {
    match *c {
        StrChar::Plain(c) | StrChar::Escaped(c) => c,
    }
}

fn like_pattern(chars: &[StrChar]) -> Vec<LikeTok> {
    let mut out: Vec<LikeTok> = Vec::with_capacity(chars.len());
    for c in chars {
        let tok = match *c {
            StrChar::Plain('%') => LikeTok::Many,
            StrChar::Plain('_') => LikeTok::One,
            StrChar::Plain(c) | StrChar::Escaped(c) => LikeTok::Char(fold(c)),
        };
        // Runs of `%` match the same as one, and one keeps matching linear.
        if !(tok == LikeTok::Many && out.last() == Some(&LikeTok::Many)) {
            out.push(tok);
        }
    }
    out
}
