//! The parsed query, before names are checked against the schema.

use super::errors::Pos;
use super::lexer::StrChar;

/// `SELECT … FROM … [WHERE …] [GROUP BY … [HAVING …]] [ORDER BY …] [LIMIT n]
/// [OFFSET n]`; also a child relationship subquery (whose `from` is the
/// relationship name) or a semi-join's subquery.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub(crate) select: Select,
    pub(crate) from: Name,
    pub(crate) filter: Option<Cond>,
    pub(crate) group_by: Vec<Path>,
    pub(crate) having: Option<Cond>,
    pub(crate) order: Vec<OrderKey>,
    pub(crate) limit: Option<(u64, Pos)>,
    pub(crate) offset: Option<(u64, Pos)>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Select {
    /// `COUNT()`, at this position.
    Count(Pos),
    Items(Vec<Item>),
}

/// One entry of the select list.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    /// A field or parent path, with its alias if any.
    Field(Path, Option<Name>),
    /// An aggregate function call, with its alias if any.
    Agg(AggCall, Option<Name>),
    /// `FIELDS(ALL|CUSTOM|STANDARD)`, at this position.
    Fields(FieldsScope, Pos),
    /// `(SELECT … FROM Relationship …)`, at the `(`.
    Child(Box<Query>, Pos),
}

/// The argument of `FIELDS()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldsScope {
    All,
    Custom,
    Standard,
}

/// `COUNT(f)`, `COUNT_DISTINCT(f)`, `SUM(f)`, `AVG(f)`, `MIN(f)` or `MAX(f)`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AggCall {
    pub(crate) func: AggFunc,
    pub(crate) arg: Path,
    /// Where the function name is.
    pub(crate) pos: Pos,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AggFunc {
    Count,
    CountDistinct,
    Sum,
    Avg,
    Min,
    Max,
}

impl AggFunc {
    /// The function named `word` (any case), if it is an aggregate function.
    pub(crate) fn named(word: &str) -> Option<AggFunc> {
        let all = [
            AggFunc::Count,
            AggFunc::CountDistinct,
            AggFunc::Sum,
            AggFunc::Avg,
            AggFunc::Min,
            AggFunc::Max,
        ];
        all.into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(word))
    }

    /// Its name as Salesforce writes it in errors.
    pub(crate) fn name(self) -> &'static str {
        match self {
            AggFunc::Count => "COUNT",
            AggFunc::CountDistinct => "COUNT_DISTINCT",
            AggFunc::Sum => "SUM",
            AggFunc::Avg => "AVG",
            AggFunc::Min => "MIN",
            AggFunc::Max => "MAX",
        }
    }
}

/// The left side of a condition or an ORDER BY key: a field, or (in HAVING
/// and in the ORDER BY of an aggregate query) an aggregate call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Field(Path),
    Agg(AggCall),
}

impl Expr {
    pub(crate) fn pos(&self) -> Pos {
        match self {
            Expr::Field(p) => p.pos(),
            Expr::Agg(a) => a.pos,
        }
    }
}

/// A name as written, with where it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Name {
    pub(crate) text: String,
    pub(crate) pos: Pos,
}

/// A field reference: `Name`, or `Account.Owner.Name` through relationships.
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

/// A WHERE or HAVING condition. SOQL forbids mixing AND and OR without
/// parentheses, so each node is a homogeneous list.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    Cmp(Expr, CmpOp, Lit),
    In(Expr, bool, Vec<Lit>),
    Like(Expr, Lit),
    /// `INCLUDES (…)` or (`true`) `EXCLUDES (…)` on a multi-select picklist.
    Includes(Path, bool, Vec<Lit>),
    /// `IN (SELECT …)` or (`true`) `NOT IN (SELECT …)`: a semi-join or
    /// anti-join, with where its `(` is.
    SemiJoin(Path, bool, Box<Query>, Pos),
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
    pub(crate) expr: Expr,
    pub(crate) desc: bool,
    pub(crate) nulls_first: bool,
}
