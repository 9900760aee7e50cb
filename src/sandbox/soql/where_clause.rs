//! The WHERE clause: conditions, operators and literals.

use super::SoqlError;
use super::ast::{CmpOp, Cond, Expr, Lit, LitValue};
use super::dates;
use super::errors;
use super::lexer::{Kind, Token};
use super::parser::Parser;

/// How deeply parentheses and NOTs may nest; deeper is Salesforce's
/// `QUERY_TOO_COMPLICATED`, and it keeps recursion bounded on hostile input.
const MAX_DEPTH: usize = 64;

impl Parser<'_> {
    pub(crate) fn enter(&mut self) -> Result<(), SoqlError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(errors::plain(
                errors::TOO_COMPLICATED,
                "Query is either selecting too many fields or the filter conditions are too \
                 complicated.",
            ));
        }
        Ok(())
    }

    /// `term (AND term)*` or `term (OR term)*`: mixing the two without
    /// parentheses is an error in SOQL, not a precedence question.
    pub(crate) fn cond(&mut self) -> Result<Cond, SoqlError> {
        self.enter()?;
        let first = self.term()?;
        let (joiner, other) = if self.is_word("AND") {
            ("AND", "OR")
        } else if self.is_word("OR") {
            ("OR", "AND")
        } else {
            self.depth -= 1;
            return Ok(first);
        };
        let mut items = vec![first];
        while self.eat_word(joiner) {
            items.push(self.term()?);
        }
        if self.is_word(other) {
            return Err(self.unexpected());
        }
        self.depth -= 1;
        Ok(if joiner == "AND" {
            Cond::And(items)
        } else {
            Cond::Or(items)
        })
    }

    fn term(&mut self) -> Result<Cond, SoqlError> {
        if self.eat_word("NOT") {
            self.enter()?;
            let inner = self.term()?;
            self.depth -= 1;
            return Ok(Cond::Not(Box::new(inner)));
        }
        if self.peek().kind == Kind::LParen {
            self.i += 1;
            let inner = self.cond()?;
            self.expect(&Kind::RParen)?;
            return Ok(inner);
        }
        let expr = if self.aggregates {
            self.agg_call()?.map(Expr::Agg)
        } else {
            None
        };
        let expr = match expr {
            Some(e) => e,
            None => Expr::Field(self.path()?),
        };
        let kind = self.peek().kind.clone();
        let op = match kind {
            Kind::Eq => CmpOp::Eq,
            Kind::Ne => CmpOp::Ne,
            Kind::Lt => CmpOp::Lt,
            Kind::Le => CmpOp::Le,
            Kind::Gt => CmpOp::Gt,
            Kind::Ge => CmpOp::Ge,
            _ if self.eat_word("LIKE") => return Ok(Cond::Like(expr, self.literal()?)),
            _ if self.eat_word("IN") => return self.in_list(expr, false),
            _ if self.is_word("NOT")
                && self.peek_at(1).text(self.src).eq_ignore_ascii_case("IN") =>
            {
                self.i += 2;
                return self.in_list(expr, true);
            }
            _ if self.is_word("INCLUDES") || self.is_word("EXCLUDES") => {
                let Expr::Field(path) = expr else {
                    return Err(self.unexpected());
                };
                let excludes = self.is_word("EXCLUDES");
                self.i += 1;
                return Ok(Cond::Includes(path, excludes, self.list()?));
            }
            _ => return Err(self.unexpected()),
        };
        self.i += 1;
        Ok(Cond::Cmp(expr, op, self.literal()?))
    }

    /// The rest of `IN`/`NOT IN`: a list of literals, or a semi-join's
    /// `(SELECT …)` when the left side is a field.
    fn in_list(&mut self, expr: Expr, negated: bool) -> Result<Cond, SoqlError> {
        let sub = self.peek().kind == Kind::LParen
            && self
                .peek_at(1)
                .text(self.src)
                .eq_ignore_ascii_case("SELECT");
        match expr {
            Expr::Field(path) if sub => {
                let pos = self.next().pos;
                let q = self.query()?;
                self.expect(&Kind::RParen)?;
                Ok(Cond::SemiJoin(path, negated, Box::new(q), pos))
            }
            _ => Ok(Cond::In(expr, negated, self.list()?)),
        }
    }

    fn list(&mut self) -> Result<Vec<Lit>, SoqlError> {
        self.expect(&Kind::LParen)?;
        let mut items = vec![self.literal()?];
        while self.peek().kind == Kind::Comma {
            self.i += 1;
            items.push(self.literal()?);
        }
        self.expect(&Kind::RParen)?;
        Ok(items)
    }

    /// A date or datetime that is not a real one: `Invalid datetime: …`, as
    /// Salesforce has said since Summer '24.
    fn invalid(&self, what: &str, t: &Token) -> SoqlError {
        let text = format!("Invalid {what}: {}", t.text(self.src));
        errors::at(errors::MALFORMED, self.src, t.pos, &text)
    }

    fn literal(&mut self) -> Result<Lit, SoqlError> {
        let t = self.peek().clone();
        let text = t.text(self.src);
        let value = match &t.kind {
            Kind::Str(chars) => Some(LitValue::Str(chars.clone())),
            Kind::Num => text.parse::<f64>().ok().map(LitValue::Num),
            Kind::Date => match dates::parse_date(text) {
                Some(d) => Some(LitValue::Date(dates::day(d))),
                None => return Err(self.invalid("date", &t)),
            },
            Kind::DateTime => match dates::parse_datetime(text) {
                Some(d) => Some(LitValue::DateTime(d)),
                None => return Err(self.invalid("datetime", &t)),
            },
            Kind::Word => self.word_literal(&t)?,
            _ => None,
        };
        let value = value.ok_or_else(|| self.unexpected())?;
        // A date literal with `:n` has advanced past its number already.
        if !matches!(value, LitValue::Days(..)) {
            self.i += 1;
        }
        Ok(Lit { value, pos: t.pos })
    }

    /// `null`, `true`, `false` or a date literal; `None` for any other word.
    fn word_literal(&mut self, t: &Token) -> Result<Option<LitValue>, SoqlError> {
        let text = t.text(self.src);
        let is = |w: &str| text.eq_ignore_ascii_case(w);
        if is("NULL") {
            return Ok(Some(LitValue::Null));
        }
        if is("TRUE") || is("FALSE") {
            return Ok(Some(LitValue::Bool(is("TRUE"))));
        }
        let mut n = 0;
        self.i += 1;
        if dates::takes_n(text) {
            // `LAST_N_DAYS:7` is one token in Salesforce: no spaces around the colon.
            let colon = self.peek().clone();
            if colon.kind != Kind::Colon || colon.start != t.end {
                return Err(self.unexpected());
            }
            self.i += 1;
            let num = self.peek().clone();
            if num.start != colon.end {
                return Err(self.unexpected());
            }
            let (count, _) = self.count()?;
            n = u32::try_from(count)
                .map_err(|_| errors::unexpected(self.src, num.pos, num.text(self.src)))?;
        }
        match dates::literal_days(text, n, self.now) {
            Some((first, last)) => Ok(Some(LitValue::Days(first, last))),
            None => {
                self.i = self.i.saturating_sub(1);
                if dates::takes_n(text) {
                    return Err(errors::unexpected(self.src, t.pos, text));
                }
                Ok(None)
            }
        }
    }
}
