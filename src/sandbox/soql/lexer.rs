//! Splits SOQL text into tokens, each with its position for caret errors.

use super::SoqlError;
use super::errors::{self, Pos};

/// What a token is. Words (keywords, names, `true`, `TODAY`) are all `Word`:
/// SOQL keywords are not reserved by case, so the parser decides.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Word,
    /// A quoted string, decoded. `\%` and `\_` stay marked so LIKE can tell
    /// them from wildcards.
    Str(Vec<StrChar>),
    /// An unsigned or signed decimal number, kept as text.
    Num,
    /// `YYYY-MM-DD`, unquoted.
    Date,
    /// `YYYY-MM-DDThh:mm:ss[.f…](Z|±hh:mm|±hhmm)`, unquoted.
    DateTime,
    Comma,
    LParen,
    RParen,
    Dot,
    Colon,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Eof,
}

/// One decoded character of a string literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StrChar {
    Plain(char),
    /// `\%` or `\_`: a literal `%`/`_` even inside a LIKE pattern.
    Escaped(char),
}

/// A token and where it is: `start..end` are byte offsets into the query.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) kind: Kind,
    pub(crate) pos: Pos,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl Token {
    /// The token's text as written (`<EOF>` at the end), for "unexpected token".
    pub(crate) fn text<'s>(&self, src: &'s str) -> &'s str {
        match self.kind {
            Kind::Eof => "<EOF>",
            _ => src.get(self.start..self.end).unwrap_or(""),
        }
    }
}

/// Tokenizes the whole query; the last token is always `Eof`.
pub(crate) fn lex(src: &str) -> Result<Vec<Token>, SoqlError> {
    let mut lx = Lexer {
        src,
        chars: src.char_indices().collect(),
        i: 0,
        row: 1,
        col: 1,
    };
    let mut out = Vec::new();
    loop {
        lx.skip_space();
        let pos = Pos {
            row: lx.row,
            col: lx.col,
        };
        let start = lx.offset();
        let Some(c) = lx.peek(0) else {
            out.push(Token {
                kind: Kind::Eof,
                pos,
                start,
                end: start,
            });
            return Ok(out);
        };
        let kind = match c {
            '\'' => Kind::Str(lx.string(pos)?),
            c if c.is_ascii_alphabetic() || c == '_' => {
                lx.bump_while(|c| c.is_ascii_alphanumeric() || c == '_');
                Kind::Word
            }
            c if c.is_ascii_digit() => lx.number_or_date()?,
            '-' | '+' if lx.peek(1).is_some_and(|d| d.is_ascii_digit()) => {
                lx.bump();
                lx.bump_while(|c| c.is_ascii_digit());
                lx.fraction();
                Kind::Num
            }
            _ => lx.punct(pos)?,
        };
        out.push(Token {
            kind,
            pos,
            start,
            end: lx.offset(),
        });
    }
}

struct Lexer<'s> {
    src: &'s str,
    chars: Vec<(usize, char)>,
    i: usize,
    row: usize,
    col: usize,
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.i + ahead).map(|&(_, c)| c)
    }

    fn offset(&self) -> usize {
        self.chars.get(self.i).map_or(self.src.len(), |&(o, _)| o)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek(0)?;
        self.i += 1;
        if c == '\n' {
            self.row += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn bump_while(&mut self, f: impl Fn(char) -> bool) -> usize {
        let mut n = 0;
        while self.peek(0).is_some_and(&f) {
            self.bump();
            n += 1;
        }
        n
    }

    fn skip_space(&mut self) {
        self.bump_while(char::is_whitespace);
    }

    fn here(&self) -> Pos {
        Pos {
            row: self.row,
            col: self.col,
        }
    }

    /// `.digits` after a number, if present.
    fn fraction(&mut self) {
        if self.peek(0) == Some('.') && self.peek(1).is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
            self.bump_while(|c| c.is_ascii_digit());
        }
    }

    /// Whether the next characters are exactly `n` digits.
    fn digits_at(&self, from: usize, n: usize) -> bool {
        (from..from + n).all(|k| self.peek(k).is_some_and(|c| c.is_ascii_digit()))
    }

    /// A number, a date `YYYY-MM-DD`, or a datetime: the date, `T`, `hh:mm:ss`,
    /// an optional fraction of any length, and a zone `Z`, `±hh:mm` or `±hhmm`
    /// (the forms Salesforce's SOQL accepts, including the
    /// `2020-03-17T21:04:32.000+0000` it writes itself). Once a date is followed
    /// by `T` the rest must fit, or the lexer stops at the first character that
    /// does not, as Salesforce's does: `no viable alternative at character`.
    /// Values out of range (hour 25, `-25:00`) are lexed and refused later as
    /// `Invalid datetime`.
    fn number_or_date(&mut self) -> Result<Kind, SoqlError> {
        let date = self.digits_at(0, 4)
            && self.peek(4) == Some('-')
            && self.digits_at(5, 2)
            && self.peek(7) == Some('-')
            && self.digits_at(8, 2);
        if !date {
            self.bump_while(|c| c.is_ascii_digit());
            self.fraction();
            return Ok(Kind::Num);
        }
        for _ in 0..10 {
            self.bump();
        }
        if !matches!(self.peek(0), Some('T' | 't')) {
            return Ok(Kind::Date);
        }
        self.bump();
        self.digits(2)?;
        self.char(':')?;
        self.digits(2)?;
        self.char(':')?;
        self.digits(2)?;
        if self.peek(0) == Some('.') {
            self.bump();
            self.digits(1)?;
            self.bump_while(|c| c.is_ascii_digit());
        }
        match self.peek(0) {
            Some('Z' | 'z') => {
                self.bump();
            }
            Some('+' | '-') => {
                self.bump();
                self.digits(2)?;
                if self.peek(0) == Some(':') {
                    self.bump();
                }
                self.digits(2)?;
            }
            _ => return Err(self.no_viable()),
        }
        Ok(Kind::DateTime)
    }

    /// Exactly `n` digits, or the lexer's error at the first character that is not one.
    fn digits(&mut self, n: usize) -> Result<(), SoqlError> {
        for _ in 0..n {
            if !self.peek(0).is_some_and(|c| c.is_ascii_digit()) {
                return Err(self.no_viable());
            }
            self.bump();
        }
        Ok(())
    }

    fn char(&mut self, want: char) -> Result<(), SoqlError> {
        if self.peek(0) != Some(want) {
            return Err(self.no_viable());
        }
        self.bump();
        Ok(())
    }

    /// Salesforce's lexer error at the current character (`<EOF>` at the end).
    fn no_viable(&self) -> SoqlError {
        let shown = self
            .peek(0)
            .map_or_else(|| "<EOF>".to_owned(), |c| c.to_string());
        errors::no_viable(self.src, self.here(), &shown)
    }

    fn punct(&mut self, pos: Pos) -> Result<Kind, SoqlError> {
        let two = (self.peek(0), self.peek(1));
        let (kind, len) = match two {
            (Some('!'), Some('=')) | (Some('<'), Some('>')) => (Kind::Ne, 2),
            (Some('<'), Some('=')) => (Kind::Le, 2),
            (Some('>'), Some('=')) => (Kind::Ge, 2),
            (Some('='), _) => (Kind::Eq, 1),
            (Some('<'), _) => (Kind::Lt, 1),
            (Some('>'), _) => (Kind::Gt, 1),
            (Some(','), _) => (Kind::Comma, 1),
            (Some('('), _) => (Kind::LParen, 1),
            (Some(')'), _) => (Kind::RParen, 1),
            (Some('.'), _) => (Kind::Dot, 1),
            (Some(':'), _) => (Kind::Colon, 1),
            (Some(c), _) => return Err(errors::bad_character(pos, c)),
            (None, _) => return Err(errors::unexpected(self.src, pos, "<EOF>")),
        };
        for _ in 0..len {
            self.bump();
        }
        Ok(kind)
    }

    /// A quoted string with Salesforce's backslash escapes; any other use of a
    /// backslash is an error, as in Salesforce.
    fn string(&mut self, pos: Pos) -> Result<Vec<StrChar>, SoqlError> {
        let start = self.offset();
        self.bump();
        let mut out = Vec::new();
        loop {
            let Some(c) = self.bump() else {
                // Salesforce's lexer reports this with a 0-based column and no caret.
                let Pos { row, col } = self.here();
                let col0 = col.saturating_sub(1);
                return Err(errors::plain(
                    errors::MALFORMED,
                    format!("line {row}:{col0} mismatched character '<EOF>' expecting '''"),
                ));
            };
            match c {
                '\'' => return Ok(out),
                '\\' => {
                    let esc_start = self.i.saturating_sub(1);
                    let decoded = match self.bump() {
                        Some('n' | 'N') => StrChar::Plain('\n'),
                        Some('r' | 'R') => StrChar::Plain('\r'),
                        Some('t' | 'T') => StrChar::Plain('\t'),
                        Some('b' | 'B') => StrChar::Plain('\u{8}'),
                        Some('f' | 'F') => StrChar::Plain('\u{c}'),
                        Some(q @ ('"' | '\'' | '\\')) => StrChar::Plain(q),
                        Some(w @ ('%' | '_')) => StrChar::Escaped(w),
                        Some('u') => match self.unicode_escape() {
                            Some(ch) => StrChar::Plain(ch),
                            None => return Err(self.illegal_escape(pos, start, esc_start)),
                        },
                        _ => return Err(self.illegal_escape(pos, start, esc_start)),
                    };
                    out.push(decoded);
                }
                c => out.push(StrChar::Plain(c)),
            }
        }
    }

    /// The four hex digits of `\uXXXX` (the `\u` already consumed).
    fn unicode_escape(&mut self) -> Option<char> {
        let mut code = 0u32;
        for _ in 0..4 {
            let d = self.peek(0)?.to_digit(16)?;
            self.bump();
            code = code * 16 + d;
        }
        char::from_u32(code)
    }

    fn illegal_escape(&mut self, pos: Pos, start: usize, esc_start: usize) -> SoqlError {
        let esc_from = self
            .chars
            .get(esc_start)
            .map_or(self.src.len(), |&(o, _)| o);
        let seq = self.src.get(esc_from..self.offset()).unwrap_or("\\");
        // Salesforce quotes the whole literal: up to its closing quote if any.
        let rest = self.src.get(self.offset()..).unwrap_or("");
        let lit_end = rest
            .find('\'')
            .map_or(self.src.len(), |k| self.offset() + k + 1);
        let literal = self.src.get(start..lit_end).unwrap_or("");
        let literal = literal.strip_prefix('\'').unwrap_or(literal);
        let literal = literal.strip_suffix('\'').unwrap_or(literal);
        let text = format!(
            "Invalid string literal '{literal}'. Illegal character sequence '{seq}' in string literal."
        );
        errors::at(errors::MALFORMED, self.src, pos, &text)
    }
}
