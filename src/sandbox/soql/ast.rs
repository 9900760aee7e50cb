//! The parsed query, before names are checked against the schema.

use super::errors::Pos;
use super::lexer::StrChar;

/// `SELECT … FROM … [WHERE …] [ORDER BY …] [LIMIT n] [OFFSET n]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub(crate) select: Select,
    pub(crate) from: Name,
    pub(crate) filter: Option<Cond>,
    pub(crate) order: Vec<OrderKey>,
    pub(crate) limit: Option<(u64, Pos)>,
    pub(crate) offset: Option<(u64, Pos)>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Select {
    /// `COUNT()`.
    Count,
    Fields(Vec<Path>),
}

/// A name as written, with where it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Name {
    pub(crate) text: String,
    pub(crate) pos: Pos,
}

/// A field reference: `Name`, or `Account.Name` through a relationship.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Path {
    pub(crate) parts: Vec<Name>,
}

impl Path {
    /// The path as written, dotted.
    pub(crate) fn dotted(&self) -> String {
        let parts: Vec<&str> = self.parts.iter().map(|p| p.text.as_str()).collect();
        parts.join(".")
    }

    pub(crate) fn pos(&self) -> Pos {
        self.parts.first().map_or(Pos { row: 1, col: 1 }, |p| p.pos)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A WHERE condition. SOQL forbids mixing AND and OR without parentheses,
/// so each node is a homogeneous list.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    Cmp(Path, CmpOp, Lit),
    In(Path, bool, Vec<Lit>),
    Like(Path, Lit),
}

/// A literal value with its position (for type errors).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Lit {
    pub(crate) value: LitValue,
    pub(crate) pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LitValue {
    Null,
    Bool(bool),
    Num(f64),
    Str(Vec<StrChar>),
    /// `YYYY-MM-DD`, validated.
    Date(String),
    /// Normalised to `YYYY-MM-DDThh:mm:ss.fff+0000` (UTC).
    DateTime(String),
    /// A date literal such as `TODAY`: whole days `first..=last` (UTC).
    Days(time::Date, time::Date),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OrderKey {
    pub(crate) path: Path,
    pub(crate) desc: bool,
    pub(crate) nulls_first: bool,
}
