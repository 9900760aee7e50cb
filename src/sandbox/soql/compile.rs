//! Checks a parsed query against the schema and turns it into a plan: field
//! names in canonical case, literals in the form stored values take, so the
//! scan does no name lookups, parsing or allocation per record.

use super::SoqlError;
use super::ast::{CmpOp, Cond, Lit, LitValue, Path, Query, Select};
use super::errors::{self, Pos};
use super::eval::{Field, Filter, Operand, Plan, Sort, Test, fold, text_cmp};
use super::lexer::StrChar;
use super::like::LikeTok;
use crate::sandbox::schema::{FieldType, ObjectDef};

use super::DataSource;

/// Resolves every name in `q` against the schema of its FROM object.
pub(crate) fn compile<'d>(
    src: &str,
    q: &Query,
    data: &'d dyn DataSource,
) -> Result<Plan<'d>, SoqlError> {
    let obj = data
        .object(&q.from.text)
        .ok_or_else(|| errors::unknown_type(src, q.from.pos, &q.from.text))?;
    let c = Compiler { src, obj, data };
    let select = match &q.select {
        Select::Count => None,
        Select::Fields(paths) => {
            let mut fields: Vec<Field> = Vec::with_capacity(paths.len());
            for p in paths {
                let f = c.field(p)?;
                if fields.iter().any(|g| g.same_as(&f)) {
                    let text = format!("duplicate field selected: {}", p.dotted());
                    return Err(errors::at(errors::MALFORMED, src, p.pos(), &text));
                }
                fields.push(f);
            }
            Some(fields)
        }
    };
    if select.is_none() {
        // COUNT() takes LIMIT but not ORDER BY or OFFSET in this subset.
        if let Some(key) = q.order.first() {
            return Err(errors::unexpected(src, key.path.pos(), &key.path.dotted()));
        }
        if let Some((n, pos)) = q.offset {
            return Err(errors::unexpected(src, pos, &n.to_string()));
        }
    }
    let filter = q.filter.as_ref().map(|f| c.cond(f)).transpose()?;
    let mut order = Vec::with_capacity(q.order.len());
    for key in &q.order {
        order.push(Sort {
            field: c.field(&key.path)?,
            desc: key.desc,
            nulls_first: key.nulls_first,
        });
    }
    Ok(Plan {
        obj,
        select,
        filter,
        order,
        limit: q.limit.map(|(n, _)| n),
        offset: q.offset.map_or(0, |(n, _)| n),
    })
}

struct Compiler<'a, 'd> {
    src: &'a str,
    obj: &'d ObjectDef,
    data: &'d dyn DataSource,
}

impl<'d> Compiler<'_, 'd> {
    /// `Name`, `Account.Name`, or `Contact.Name` on Contact (the object's own
    /// name as a prefix). Deeper paths are outside the subset.
    fn field(&self, p: &Path) -> Result<Field, SoqlError> {
        match p.parts.as_slice() {
            [name] => self.own_field(self.obj, name.text.as_str(), name.pos),
            [rel, name] => {
                let Some(link) = self.obj.relationship(&rel.text) else {
                    if rel.text.eq_ignore_ascii_case(&self.obj.name) {
                        return self.own_field(self.obj, &name.text, name.pos);
                    }
                    return Err(errors::bad_relationship(self.src, rel.pos, &rel.text));
                };
                // A polymorphic lookup needs TYPEOF, which is outside the subset.
                let [target] = link.reference_to.as_slice() else {
                    return Err(errors::unexpected(self.src, rel.pos, &p.dotted()));
                };
                let parent = self
                    .data
                    .object(target)
                    .ok_or_else(|| errors::bad_relationship(self.src, rel.pos, &rel.text))?;
                let mut f = self.own_field(parent, &name.text, name.pos)?;
                f.via = Some(super::eval::Via {
                    rel: link.relationship_name.clone().unwrap_or_default(),
                    ref_field: link.name.clone(),
                    target: parent.name.clone(),
                });
                Ok(f)
            }
            _ => Err(errors::unexpected(self.src, p.pos(), &p.dotted())),
        }
    }

    fn own_field(&self, obj: &ObjectDef, name: &str, pos: Pos) -> Result<Field, SoqlError> {
        let def = obj
            .field(name)
            .ok_or_else(|| errors::no_such_column(self.src, pos, name, &obj.name))?;
        Ok(Field {
            name: def.name.clone(),
            ftype: def.ftype,
            via: None,
        })
    }

    fn cond(&self, c: &Cond) -> Result<Filter, SoqlError> {
        Ok(match c {
            Cond::And(items) => Filter::And(self.conds(items)?),
            Cond::Or(items) => Filter::Or(self.conds(items)?),
            Cond::Not(inner) => Filter::Not(Box::new(self.cond(inner)?)),
            Cond::Cmp(path, op, lit) => {
                let field = self.field(path)?;
                if matches!(lit.value, LitValue::Null) {
                    // On a boolean `= null` means false and `!= null` true.
                    if field.ftype == FieldType::Boolean && matches!(op, CmpOp::Eq | CmpOp::Ne) {
                        let test = Test::Cmp(CmpOp::Eq, Operand::Bool(*op == CmpOp::Ne));
                        return Ok(Filter::Test(field, test));
                    }
                    return match op {
                        CmpOp::Eq => Ok(Filter::Test(field, Test::IsNull(true))),
                        CmpOp::Ne => Ok(Filter::Test(field, Test::IsNull(false))),
                        _ => Err(errors::unexpected(self.src, lit.pos, "null")),
                    };
                }
                if *op != CmpOp::Eq && *op != CmpOp::Ne && field.ftype == FieldType::Boolean {
                    return Err(self.bad_operator(path, &field));
                }
                let operand = self.operand(&field, lit)?;
                Filter::Test(field, Test::Cmp(*op, operand))
            }
            Cond::In(path, negated, lits) => {
                let field = self.field(path)?;
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
            Cond::Like(path, lit) => {
                let field = self.field(path)?;
                if !is_text(field.ftype) {
                    return Err(self.bad_operator(path, &field));
                }
                let LitValue::Str(chars) = &lit.value else {
                    return Err(self.wrong_type(lit.pos, &field));
                };
                Filter::Test(field, Test::Like(like_pattern(chars)))
            }
        })
    }

    fn conds(&self, items: &[Cond]) -> Result<Vec<Filter>, SoqlError> {
        items.iter().map(|c| self.cond(c)).collect()
    }

    fn bad_operator(&self, path: &Path, field: &Field) -> SoqlError {
        let text = format!(
            "invalid operator on {} field: {}",
            field.ftype.describe_name(),
            path.dotted()
        );
        errors::at(errors::MALFORMED, self.src, path.pos(), &text)
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
