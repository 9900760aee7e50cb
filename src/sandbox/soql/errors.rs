//! Salesforce's error texts, and the caret block that points into the query.

use super::SoqlError;

/// Where a token starts: 1-based row and column (in characters), as Salesforce
/// reports them in `ERROR at Row:R:Column:C`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    pub(crate) row: usize,
    pub(crate) col: usize,
}

pub(crate) const MALFORMED: &str = "MALFORMED_QUERY";
pub(crate) const INVALID_FIELD: &str = "INVALID_FIELD";
pub(crate) const INVALID_TYPE: &str = "INVALID_TYPE";
pub(crate) const OUT_OF_RANGE: &str = "NUMBER_OUTSIDE_VALID_RANGE";
pub(crate) const TOO_COMPLICATED: &str = "QUERY_TOO_COMPLICATED";

/// An error without a caret block.
pub(crate) fn plain(error_code: &'static str, message: impl Into<String>) -> SoqlError {
    SoqlError {
        error_code,
        message: message.into(),
    }
}

/// An error with Salesforce's caret block: the query line, a caret under the
/// offending token, its position, then the text.
pub(crate) fn at(error_code: &'static str, src: &str, pos: Pos, text: &str) -> SoqlError {
    let line = src.lines().nth(pos.row.saturating_sub(1)).unwrap_or("");
    let pad = " ".repeat(pos.col.saturating_sub(1));
    let (row, col) = (pos.row, pos.col);
    SoqlError {
        error_code,
        message: format!("\n{line}\n{pad}^\nERROR at Row:{row}:Column:{col}\n{text}"),
    }
}

/// `MALFORMED_QUERY` "unexpected token: 'X'", Salesforce's answer to anything
/// the grammar does not expect (including everything outside the supported
/// subset). Since Summer '24 the token is quoted.
pub(crate) fn unexpected(src: &str, pos: Pos, token: &str) -> SoqlError {
    at(MALFORMED, src, pos, &format!("unexpected token: '{token}'"))
}

/// A character no token can start with. Salesforce reports it from its lexer:
/// no caret block, and a 0-based column (`line 1:15 unexpected token: '$'`).
pub(crate) fn bad_character(pos: Pos, c: char) -> SoqlError {
    let (row, col0) = (pos.row, pos.col.saturating_sub(1));
    plain(
        MALFORMED,
        format!("line {row}:{col0} unexpected token: '{c}'"),
    )
}

/// A character the lexer cannot continue a token with, inside a datetime
/// literal. Real captures (`…T04:17:54` with no zone, `…32.000 0000` where a
/// URL turned `+` into a space) give a caret block whose column is the
/// 0-based position of that character, then
/// `line R:C no viable alternative at character 'X'` with the same numbers.
pub(crate) fn no_viable(src: &str, here: Pos, shown: &str) -> SoqlError {
    let (row, col0) = (here.row, here.col.saturating_sub(1));
    let text = format!("line {row}:{col0} no viable alternative at character '{shown}'");
    at(MALFORMED, src, Pos { row, col: col0 }, &text)
}

pub(crate) fn no_such_column(src: &str, pos: Pos, field: &str, entity: &str) -> SoqlError {
    let text = format!(
        "No such column '{field}' on entity '{entity}'. If you are attempting to use a custom \
         field, be sure to append the '__c' after the custom field name. Please reference your \
         WSDL or the describe call for the appropriate names."
    );
    at(INVALID_FIELD, src, pos, &text)
}

pub(crate) fn bad_relationship(src: &str, pos: Pos, rel: &str) -> SoqlError {
    let text = format!(
        "Didn't understand relationship '{rel}' in field path. If you are attempting to use a \
         custom relationship, be sure to append the '__r' after the custom relationship name. \
         Please reference your WSDL or the describe call for the appropriate names."
    );
    at(INVALID_FIELD, src, pos, &text)
}

/// A child relationship subquery whose FROM names no child relationship.
pub(crate) fn bad_child_relationship(src: &str, pos: Pos, rel: &str) -> SoqlError {
    let text = format!(
        "Didn't understand relationship '{rel}' in FROM part of query call. If you are \
         attempting to use a custom relationship, be sure to append the '__r' after the custom \
         relationship name. Please reference your WSDL or the describe call for the appropriate \
         names."
    );
    at(INVALID_TYPE, src, pos, &text)
}

pub(crate) fn unknown_type(src: &str, pos: Pos, name: &str) -> SoqlError {
    let text = format!(
        "sObject type '{name}' is not supported. If you are attempting to use a custom object, \
         be sure to append the '__c' after the entity name. Please reference your WSDL or the \
         describe call for the appropriate names."
    );
    at(INVALID_TYPE, src, pos, &text)
}

/// A literal of the wrong type for its field; `quoted` says whether the field
/// wants a quoted value (text and Id fields) or an unquoted one.
pub(crate) fn wrong_value_type(
    src: &str,
    pos: Pos,
    field: &str,
    soap_type: &str,
    quoted: bool,
) -> SoqlError {
    let should = if quoted { "should" } else { "should not" };
    let text = format!(
        "value of filter criterion for field '{field}' must be of type {soap_type} and {should} \
         be enclosed in quotes"
    );
    at(INVALID_FIELD, src, pos, &text)
}
