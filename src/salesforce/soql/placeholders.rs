//! `:name` placeholders in SOQL text: where they are, outside string literals, so a caller's
//! values can be bound to them as literals.

/// A piece of SOQL text: as written, or a `:name` placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Text to keep as it is (string literals included, whatever they hold).
    Text(&'a str),
    /// A placeholder's name, without its colon.
    Placeholder(&'a str),
}

/// `soql` cut at its placeholders: a `:` followed by a letter or `_` outside a string literal
/// starts one, and letters, digits and `_` continue it. A `:` followed by anything else
/// (`LAST_N_DAYS:3`) is text. Inside a string literal a backslash escapes the next character,
/// so `'\''` does not end it.
pub fn pieces(soql: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut text_start = 0;
    let mut chars = soql.char_indices().peekable();
    let mut in_string = false;
    while let Some((i, c)) = chars.next() {
        if in_string {
            match c {
                // An escape: the next character is part of the literal whatever it is.
                '\\' => {
                    chars.next();
                }
                '\'' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '\'' => in_string = true,
            ':' if chars
                .peek()
                .is_some_and(|(_, n)| n.is_ascii_alphabetic() || *n == '_') =>
            {
                let start = i + 1;
                let mut end = start;
                while let Some((j, n)) = chars.peek().copied() {
                    if !(n.is_ascii_alphanumeric() || n == '_') {
                        break;
                    }
                    end = j + n.len_utf8();
                    chars.next();
                }
                if text_start < i {
                    pieces.push(Piece::Text(&soql[text_start..i]));
                }
                pieces.push(Piece::Placeholder(&soql[start..end]));
                text_start = end;
            }
            _ => {}
        }
    }
    if text_start < soql.len() {
        pieces.push(Piece::Text(&soql[text_start..]));
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found_outside_string_literals_only() {
        assert_eq!(
            pieces(r"WHERE Name = ':x \' :y' AND CreatedDate = LAST_N_DAYS:3 AND A = :x_1"),
            [
                Piece::Text(r"WHERE Name = ':x \' :y' AND CreatedDate = LAST_N_DAYS:3 AND A = "),
                Piece::Placeholder("x_1"),
            ]
        );
        assert_eq!(
            pieces(":a,:b"),
            [
                Piece::Placeholder("a"),
                Piece::Text(","),
                Piece::Placeholder("b")
            ]
        );
        assert_eq!(pieces(""), []);
        // A backslash at the very end of an unterminated literal is text.
        assert_eq!(pieces(r"'\"), [Piece::Text(r"'\")]);
    }
}
