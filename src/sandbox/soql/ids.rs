//! Record Ids: the 15→18 checksum, and finding the records a filter pins by Id
//! so that `WHERE Id = '…'` is a lookup, not a scan of every record.

use super::ast::CmpOp;
use super::eval::{Filter, Operand, Test};
use crate::sandbox::schema::FieldType;

use crate::sandbox::ids::{SUFFIX_ALPHABET, to18};

/// The stored (checksummed) 18-character forms a literal can match. A
/// 15-character Id has exactly one; an 18-character one written in another
/// case is re-cased from its suffix. The literal itself is always tried too,
/// so a stored Id is found even if its suffix is not a true checksum.
fn stored_forms(lit: &str) -> Vec<String> {
    let mut out = vec![lit.to_owned()];
    if lit.len() == 15 {
        out.push(to18(lit));
    } else if let Some(recased) = recase(lit) {
        out.push(recased);
    }
    out
}

/// The canonical form of an 18-character Id given in any case.
fn recase(lit: &str) -> Option<String> {
    let bytes = lit.as_bytes();
    let mut head = String::with_capacity(18);
    for c in 0..3 {
        let s = bytes.get(15 + c)?.to_ascii_uppercase();
        let bits = SUFFIX_ALPHABET.iter().position(|&a| a == s)?;
        for j in 0..5 {
            let b = *bytes.get(5 * c + j)?;
            head.push(char::from(if bits >> j & 1 == 1 {
                b.to_ascii_uppercase()
            } else {
                b.to_ascii_lowercase()
            }));
        }
    }
    Some(to18(&head))
}

/// The Ids to look up instead of scanning, when the filter requires the
/// record's own Id to be one of a few values (`Id = x`, `Id IN (…)`, or
/// either as one term of a top-level AND). The caller still applies the whole
/// filter to what it finds, so this only has to include every candidate.
pub(crate) fn pinned(filter: &Filter) -> Option<Vec<String>> {
    let mut ids = match filter {
        Filter::And(items) => return items.iter().find_map(pinned),
        Filter::Test(f, test) if f.via.is_empty() && f.ftype == FieldType::Id => match test {
            Test::Cmp(CmpOp::Eq, Operand::Id(id)) => stored_forms(id),
            Test::In(false, ops) => {
                let mut ids = Vec::new();
                for op in ops {
                    match op {
                        Operand::Id(id) => ids.extend(stored_forms(id)),
                        Operand::Null => {}
                        _ => return None,
                    }
                }
                ids
            }
            Test::InSet(false, set) => set.iter().cloned().collect(),
            _ => return None,
        },
        _ => return None,
    };
    // One visit per record even if the literal is repeated or already canonical.
    ids.sort_unstable();
    ids.dedup();
    Some(ids)
}
