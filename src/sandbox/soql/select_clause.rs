//! The select list: fields and parent paths, aggregate calls, aliases,
//! `FIELDS(…)`, child relationship subqueries, or `COUNT()` alone.

use super::SoqlError;
use super::ast::{AggCall, AggFunc, FieldsScope, Item, Name, Select};
use super::lexer::Kind;
use super::parser::{Parser, RESERVED};

impl Parser<'_> {
    pub(crate) fn select(&mut self) -> Result<Select, SoqlError> {
        if self.is_word("COUNT")
            && self.peek_at(1).kind == Kind::LParen
            && self.peek_at(2).kind == Kind::RParen
        {
            let pos = self.next().pos;
            self.i += 2;
            return Ok(Select::Count(pos));
        }
        let mut items = vec![self.item()?];
        while self.peek().kind == Kind::Comma {
            self.i += 1;
            items.push(self.item()?);
        }
        Ok(Select::Items(items))
    }

    /// A field, an aggregate call (each with an optional alias), `FIELDS(…)`
    /// or a child relationship subquery.
    fn item(&mut self) -> Result<Item, SoqlError> {
        if self.peek().kind == Kind::LParen && self.peek_at(1).kind == Kind::Word {
            let pos = self.next().pos;
            if !self.is_word("SELECT") {
                return Err(self.unexpected());
            }
            let q = self.query()?;
            self.expect(&Kind::RParen)?;
            return Ok(Item::Child(Box::new(q), pos));
        }
        if self.is_word("FIELDS") && self.peek_at(1).kind == Kind::LParen {
            let pos = self.next().pos;
            self.i += 1;
            let scope = if self.eat_word("ALL") {
                FieldsScope::All
            } else if self.eat_word("CUSTOM") {
                FieldsScope::Custom
            } else if self.eat_word("STANDARD") {
                FieldsScope::Standard
            } else {
                return Err(self.unexpected());
            };
            self.expect(&Kind::RParen)?;
            return Ok(Item::Fields(scope, pos));
        }
        // `COUNT()` is the whole select list or nothing.
        if self.is_word("COUNT")
            && self.peek_at(1).kind == Kind::LParen
            && self.peek_at(2).kind == Kind::RParen
        {
            self.i += 1;
            return Err(self.unexpected());
        }
        if let Some(call) = self.agg_call()? {
            return Ok(Item::Agg(call, self.alias()));
        }
        let path = self.path()?;
        Ok(Item::Field(path, self.alias()))
    }

    /// An alias after a select item: any word that is not a keyword.
    fn alias(&mut self) -> Option<Name> {
        let t = self.peek();
        let text = t.text(self.src);
        if t.kind != Kind::Word || RESERVED.iter().any(|r| r.eq_ignore_ascii_case(text)) {
            return None;
        }
        let name = Name {
            text: text.to_owned(),
            pos: t.pos,
        };
        self.i += 1;
        Some(name)
    }

    /// `COUNT(f)`, `SUM(f)`, …, if one starts here.
    pub(crate) fn agg_call(&mut self) -> Result<Option<AggCall>, SoqlError> {
        let t = self.peek();
        if t.kind != Kind::Word || self.peek_at(1).kind != Kind::LParen {
            return Ok(None);
        }
        let Some(func) = AggFunc::named(t.text(self.src)) else {
            return Ok(None);
        };
        let pos = t.pos;
        self.i += 2;
        let arg = self.path()?;
        self.expect(&Kind::RParen)?;
        Ok(Some(AggCall { func, arg, pos }))
    }
}
