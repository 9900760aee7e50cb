//! SOQL's LIKE: `%` matches any run of characters, `_` exactly one, without
//! regard to case; `\%` and `\_` in the pattern are literal.

use super::eval::fold;

/// One element of a compiled LIKE pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LikeTok {
    Char(char),
    /// `_`
    One,
    /// `%`
    Many,
}

/// LIKE with `%` and `_`, without regard to case: the classic greedy matcher
/// that backtracks only to the last `%`, so it is linear-ish and never recurses.
pub(crate) fn like(pat: &[LikeTok], s: &str) -> bool {
    let (mut p, mut i) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        let Some(c) = s.get(i..).and_then(|r| r.chars().next()) else {
            return false;
        };
        match pat.get(p) {
            Some(LikeTok::Char(x)) if *x == fold(c) => {
                p += 1;
                i += c.len_utf8();
            }
            Some(LikeTok::One) => {
                p += 1;
                i += c.len_utf8();
            }
            Some(LikeTok::Many) => {
                star = Some((p, i));
                p += 1;
            }
            _ => {
                let Some((sp, si)) = star else { return false };
                let skipped = s
                    .get(si..)
                    .and_then(|r| r.chars().next())
                    .map_or(1, char::len_utf8);
                star = Some((sp, si + skipped));
                p = sp + 1;
                i = si + skipped;
            }
        }
    }
    pat.get(p..)
        .is_some_and(|rest| rest.iter().all(|t| *t == LikeTok::Many))
}
