//! A recursive-descent parser for the supported subset of SOQL.
//!
//! Anything it does not recognise (TYPEOF, WITH, FOR, date functions, …)
//! stops at the first token it cannot place, with Salesforce's
//! `unexpected token` error, so no query outside the subset is ever answered.
//! Names are checked later, against the schema (`compile`).

use time::OffsetDateTime;

use super::SoqlError;
use super::ast::{Expr, Name, OrderKey, Path, Query};
use super::errors::{self, Pos};
use super::lexer::{self, Kind, Token};

/// Salesforce's limit on OFFSET.
const MAX_OFFSET: u64 = 2000;

/// Words that end or structure a clause, so they can never be a field name
/// or an alias.
pub(crate) const RESERVED: &[&str] = &[
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
        aggregates: false,
    };
    let q = p.query()?;
    if p.peek().kind != Kind::Eof {
        return Err(p.unexpected());
    }
    Ok(q)
}

pub(crate) struct Parser<'s> {
    pub(crate) src: &'s str,
    toks: Vec<Token>,
    /// Returned by `peek` past the end, so lookahead never indexes out of bounds.
    eof: Token,
    pub(crate) i: usize,
    pub(crate) now: OffsetDateTime,
    /// How deeply conditions and subqueries nest at the current point.
    pub(crate) depth: usize,
    /// Whether a condition may compare aggregate calls (in HAVING).
    pub(crate) aggregates: bool,
}

impl Parser<'_> {
    pub(crate) fn peek_at(&self, ahead: usize) -> &Token {
        self.toks.get(self.i + ahead).unwrap_or(&self.eof)
    }

    pub(crate) fn peek(&self) -> &Token {
        self.peek_at(0)
    }

    pub(crate) fn next(&mut self) -> Token {
        let t = self.peek().clone();
        self.i += 1;
        t
    }

    pub(crate) fn is_word(&self, kw: &str) -> bool {
        let t = self.peek();
        t.kind == Kind::Word && t.text(self.src).eq_ignore_ascii_case(kw)
    }

    pub(crate) fn eat_word(&mut self, kw: &str) -> bool {
        let yes = self.is_word(kw);
        if yes {
            self.i += 1;
        }
        yes
    }

    pub(crate) fn unexpected(&self) -> SoqlError {
        let t = self.peek();
        errors::unexpected(self.src, t.pos, t.text(self.src))
    }

    pub(crate) fn expect_word(&mut self, kw: &str) -> Result<(), SoqlError> {
        if self.eat_word(kw) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    pub(crate) fn expect(&mut self, kind: &Kind) -> Result<Token, SoqlError> {
        if &self.peek().kind == kind {
            Ok(self.next())
        } else {
            Err(self.unexpected())
        }
    }

    /// A query up to its end, or up to the `)` that closes a subquery.
    pub(crate) fn query(&mut self) -> Result<Query, SoqlError> {
        self.enter()?;
        // A subquery inside HAVING has a WHERE of its own.
        let outer_aggregates = std::mem::replace(&mut self.aggregates, false);
        self.expect_word("SELECT")?;
        let select = self.select()?;
        self.expect_word("FROM")?;
        // Standard objects named like keywords (`Order`, `Group`) are valid here.
        let from = self.name(&["SELECT", "FROM", "WHERE", "LIMIT", "OFFSET"])?;
        let filter = if self.eat_word("WHERE") {
            Some(self.cond()?)
        } else {
            None
        };
        let mut group_by = Vec::new();
        if self.eat_word("GROUP") {
            self.expect_word("BY")?;
            group_by.push(self.path()?);
            while self.peek().kind == Kind::Comma {
                self.i += 1;
                group_by.push(self.path()?);
            }
        }
        // HAVING filters groups, so it needs GROUP BY.
        let having = if !group_by.is_empty() && self.eat_word("HAVING") {
            self.aggregates = true;
            let c = self.cond();
            self.aggregates = false;
            Some(c?)
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
        self.depth -= 1;
        self.aggregates = outer_aggregates;
        Ok(Query {
            select,
            from,
            filter,
            group_by,
            having,
            order,
            limit,
            offset,
        })
    }

    /// A name that is none of the `reserved` words.
    fn name(&mut self, reserved: &[&str]) -> Result<Name, SoqlError> {
        let t = self.peek();
        let text = t.text(self.src);
        if t.kind != Kind::Word || reserved.iter().any(|r| r.eq_ignore_ascii_case(text)) {
            return Err(self.unexpected());
        }
        let name = Name {
            text: text.to_owned(),
            pos: t.pos,
        };
        self.i += 1;
        Ok(name)
    }

    pub(crate) fn path(&mut self) -> Result<Path, SoqlError> {
        let mut parts = vec![self.name(RESERVED)?];
        while self.peek().kind == Kind::Dot {
            self.i += 1;
            parts.push(self.name(RESERVED)?);
        }
        Ok(Path { parts })
    }

    fn order_key(&mut self) -> Result<OrderKey, SoqlError> {
        let expr = match self.agg_call()? {
            Some(call) => Expr::Agg(call),
            None => Expr::Field(self.path()?),
        };
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
            expr,
            desc,
            nulls_first,
        })
    }

    /// A non-negative integer (LIMIT, OFFSET, `LAST_N_DAYS:n`).
    pub(crate) fn count(&mut self) -> Result<(u64, Pos), SoqlError> {
        let t = self.peek();
        let text = t.text(self.src);
        // Digits only: `u64::from_str` would also take a leading `+`.
        let n = match t.kind {
            Kind::Num if text.bytes().all(|b| b.is_ascii_digit()) => text.parse::<u64>().ok(),
            _ => None,
        };
        let pos = t.pos;
        let n = n.ok_or_else(|| self.unexpected())?;
        self.i += 1;
        Ok((n, pos))
    }
}
