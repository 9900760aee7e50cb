//! A recursive-descent parser for the supported subset of SOQL.
//!
//! Anything it does not recognise (subqueries, GROUP BY, aggregates, WITH, …)
//! stops at the first token it cannot place, with Salesforce's
//! `unexpected token` error, so no query outside the subset is ever answered.

use time::OffsetDateTime;

use super::SoqlError;
use super::ast::{CmpOp, Cond, Lit, LitValue, Name, OrderKey, Path, Query, Select};
use super::dates;
use super::errors::{self, Pos};
use super::lexer::{self, Kind, Token};

/// How deeply parentheses and NOTs may nest; deeper is Salesforce's
/// `QUERY_TOO_COMPLICATED`, and it keeps recursion bounded on hostile input.
const MAX_DEPTH: usize = 64;

/// Salesforce's limit on OFFSET.
const MAX_OFFSET: u64 = 2000;

/// Words that end or structure a clause, so they can never be a field name.
const RESERVED: &[&str] = &[
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "LIMIT", "OFFSET",
    "NULL", "TRUE", "FALSE", "GROUP", "HAVING", "WITH", "USING", "FOR", "TYPEOF", "INCLUDES",
    "EXCLUDES",
];

/// Parses `src`; `now` fixes the days of date literals such as `TODAY`.
pub fn parse(src: &str, now: OffsetDateTime) -> Result<Query, SoqlError> {
    let toks = lexer::lex(src)?;
    let eof = toks.last().cloned().unwrap_or(Token {
        kind: Kind::Eof,
        pos: Pos { row: 1, col: 1 },
        start: src.len(),
        end: src.len(),
    });
    let mut p = Parser {
        src,
        toks,
        eof,
        i: 0,
        now,
        depth: 0,
    };
    p.query()
}

struct Parser<'s> {
    src: &'s str,
    toks: Vec<Token>,
    /// Returned by `peek` past the end, so lookahead never indexes out of bounds.
    eof: Token,
    i: usize,
    now: OffsetDateTime,
    depth: usize,
}

impl Parser<'_> {
    fn peek_at(&self, ahead: usize) -> &Token {
        self.toks.get(self.i + ahead).unwrap_or(&self.eof)
    }

    fn peek(&self) -> &Token {
        self.peek_at(0)
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        self.i += 1;
        t
    }

    fn is_word(&self, kw: &str) -> bool {
        let t = self.peek();
        t.kind == Kind::Word && t.text(self.src).eq_ignore_ascii_case(kw)
    }

    fn eat_word(&mut self, kw: &str) -> bool {
        let yes = self.is_word(kw);
        if yes {
            self.i += 1;
        }
        yes
    }

    fn unexpected(&self) -> SoqlError {
        let t = self.peek();
        errors::unexpected(self.src, t.pos, t.text(self.src))
    }

    fn expect_word(&mut self, kw: &str) -> Result<(), SoqlError> {
        if self.eat_word(kw) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn expect(&mut self, kind: &Kind) -> Result<Token, SoqlError> {
        if &self.peek().kind == kind {
            Ok(self.next())
        } else {
            Err(self.unexpected())
        }
    }

    fn query(&mut self) -> Result<Query, SoqlError> {
        self.expect_word("SELECT")?;
        let select = self.select()?;
        self.expect_word("FROM")?;
        let from = self.name()?;
        let filter = if self.eat_word("WHERE") {
            Some(self.cond()?)
        } else {
            None
        };
        let mut order = Vec::new();
        if self.eat_word("ORDER") {
            self.expect_word("BY")?;
            order.push(self.order_key()?);
            while self.peek().kind == Kind::Comma {
                self.i += 1;
                order.push(self.order_key()?);
            }
        }
        let limit = if self.eat_word("LIMIT") {
            Some(self.count()?)
        } else {
            None
        };
        let offset = if self.eat_word("OFFSET") {
            let (n, pos) = self.count()?;
            if n > MAX_OFFSET {
                let text = format!("Maximum SOQL offset allowed is {MAX_OFFSET}");
                return Err(errors::at(errors::OUT_OF_RANGE, self.src, pos, &text));
            }
            Some((n, pos))
        } else {
            None
        };
        if self.peek().kind != Kind::Eof {
            return Err(self.unexpected());
        }
        Ok(Query {
            select,
            from,
            filter,
            order,
            limit,
            offset,
        })
    }

    fn select(&mut self) -> Result<Select, SoqlError> {
        if self.is_word("COUNT") && self.peek_at(1).kind == Kind::LParen {
            self.i += 2;
            self.expect(&Kind::RParen)?;
            return Ok(Select::Count);
        }
        let mut fields = vec![self.path()?];
        while self.peek().kind == Kind::Comma {
            self.i += 1;
            fields.push(self.path()?);
        }
        Ok(Select::Fields(fields))
    }

    /// A name that is not a reserved word.
    fn name(&mut self) -> Result<Name, SoqlError> {
        let t = self.peek();
        let text = t.text(self.src);
        if t.kind != Kind::Word || RESERVED.iter().any(|r| r.eq_ignore_ascii_case(text)) {
            return Err(self.unexpected());
        }
        let name = Name {
            text: text.to_owned(),
            pos: t.pos,
        };
        self.i += 1;
        Ok(name)
    }

    fn path(&mut self) -> Result<Path, SoqlError> {
        let mut parts = vec![self.name()?];
        while self.peek().kind == Kind::Dot {
            self.i += 1;
            parts.push(self.name()?);
        }
        Ok(Path { parts })
    }

    fn order_key(&mut self) -> Result<OrderKey, SoqlError> {
        let path = self.path()?;
        let desc = if self.eat_word("DESC") {
            true
        } else {
            self.eat_word("ASC");
            false
        };
        // ASC puts nulls first and DESC puts them last unless told otherwise.
        let nulls_first = if self.eat_word("NULLS") {
            if self.eat_word("FIRST") {
                true
            } else {
                self.expect_word("LAST")?;
                false
            }
        } else {
            !desc
        };
        Ok(OrderKey {
            path,
            desc,
            nulls_first,
        })
    }

    /// A non-negative integer (LIMIT, OFFSET, `LAST_N_DAYS:n`).
    fn count(&mut self) -> Result<(u64, Pos), SoqlError> {
        let t = self.peek();
        let n = match t.kind {
            Kind::Num => t.text(self.src).parse::<u64>().ok(),
            _ => None,
        };
        let pos = t.pos;
        let n = n.ok_or_else(|| self.unexpected())?;
        self.i += 1;
        Ok((n, pos))
    }

    fn enter(&mut self) -> Result<(), SoqlError> {
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
    fn cond(&mut self) -> Result<Cond, SoqlError> {
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
        let path = self.path()?;
        let kind = self.peek().kind.clone();
        let op = match kind {
            Kind::Eq => CmpOp::Eq,
            Kind::Ne => CmpOp::Ne,
            Kind::Lt => CmpOp::Lt,
            Kind::Le => CmpOp::Le,
            Kind::Gt => CmpOp::Gt,
            Kind::Ge => CmpOp::Ge,
            _ if self.eat_word("LIKE") => return Ok(Cond::Like(path, self.literal()?)),
            _ if self.eat_word("IN") => return Ok(Cond::In(path, false, self.list()?)),
            _ if self.is_word("NOT")
                && self.peek_at(1).text(self.src).eq_ignore_ascii_case("IN") =>
            {
                self.i += 2;
                return Ok(Cond::In(path, true, self.list()?));
            }
            _ => return Err(self.unexpected()),
        };
        self.i += 1;
        Ok(Cond::Cmp(path, op, self.literal()?))
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

    fn literal(&mut self) -> Result<Lit, SoqlError> {
        let t = self.peek().clone();
        let text = t.text(self.src);
        let value = match &t.kind {
            Kind::Str(chars) => Some(LitValue::Str(chars.clone())),
            Kind::Num => text.parse::<f64>().ok().map(LitValue::Num),
            Kind::Date => dates::parse_date(text).map(|d| LitValue::Date(dates::day(d))),
            Kind::DateTime => dates::parse_datetime(text).map(LitValue::DateTime),
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
