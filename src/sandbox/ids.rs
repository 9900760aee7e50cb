//! Record Ids: 15-character case-sensitive base-62 plus Salesforce's 3-character
//! case-encoding suffix ("ID Field Type",
//! <https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/field_types.htm>;
//! each suffix character says which of 5 characters are upper case).
//!
//! Ids are minted from one counter per sandbox so that sorting Ids as text
//! follows creation order, which the polling trigger's `(CreatedDate, Id)`
//! cursor relies on.

/// The alphabet of the checksum suffix.
pub(crate) const SUFFIX_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/// Base-62 digits in ASCII order, so a zero-padded counter sorts as text.
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The pod and reserved characters between the key prefix and the counter.
const POD: &str = "Gb0";

/// Counter digits: 9 base-62 digits, far more than a sandbox will ever mint.
const COUNTER_DIGITS: usize = 9;

/// The 3-character suffix that makes a 15-character Id case-insensitive.
/// `id15` must be 15 ASCII characters.
pub fn checksum(id15: &[u8]) -> [u8; 3] {
    let mut out = [0u8; 3];
    for (chunk, slot) in out.iter_mut().enumerate() {
        let mut n = 0usize;
        for j in 0..5 {
            if id15.get(chunk * 5 + j).is_some_and(u8::is_ascii_uppercase) {
                n |= 1 << j;
            }
        }
        *slot = SUFFIX_ALPHABET[n];
    }
    out
}

/// Adds the checksum suffix to a 15-character Id.
pub fn to18(id15: &str) -> String {
    let mut s = String::with_capacity(18);
    s.push_str(id15);
    for b in checksum(id15.as_bytes()) {
        s.push(char::from(b));
    }
    s
}

/// Builds the 18-character Id for `prefix` and a counter value.
pub fn mint(prefix: &str, counter: u64) -> String {
    let mut digits = [b'0'; COUNTER_DIGITS];
    let mut n = counter;
    for d in digits.iter_mut().rev() {
        *d = BASE62[(n % 62) as usize];
        n /= 62;
    }
    let mut id15 = String::with_capacity(15);
    id15.push_str(prefix);
    id15.push_str(POD);
    id15.extend(digits.iter().map(|&b| char::from(b)));
    to18(&id15)
}

/// Why a string is not a record Id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdError {
    /// Not 15 or 18 alphanumeric characters.
    Shape,
    /// 18 characters whose suffix does not match the first 15.
    Checksum,
}

/// Parses a 15- or 18-character Id into its canonical 18-character form.
///
/// An 18-character Id exists to survive case-insensitive handling, so one
/// whose first 15 letters are all one case is re-cased from its suffix. One in
/// mixed case must carry the suffix of exactly those characters: anything else
/// is a corrupted Id (a gateway bug worth seeing), not a different record.
pub fn parse(s: &str) -> Result<String, IdError> {
    let b = s.as_bytes();
    if !(b.len() == 15 || b.len() == 18) || !b.iter().all(u8::is_ascii_alphanumeric) {
        return Err(IdError::Shape);
    }
    let (id15, suffix) = s.split_at(15);
    if suffix.is_empty() {
        return Ok(to18(s));
    }
    if checksum(id15.as_bytes()).eq_ignore_ascii_case(suffix.as_bytes()) {
        return Ok(to18(id15));
    }
    let letters = id15.bytes().filter(u8::is_ascii_alphabetic);
    let one_case = letters.clone().all(|c| c.is_ascii_lowercase())
        || letters.clone().all(|c| c.is_ascii_uppercase());
    if !one_case {
        return Err(IdError::Checksum);
    }
    let mut recased: Vec<u8> = id15.to_ascii_lowercase().into_bytes();
    for (chunk, c) in suffix.bytes().enumerate() {
        let upper = c.to_ascii_uppercase();
        let n = SUFFIX_ALPHABET
            .iter()
            .position(|&a| a == upper)
            .ok_or(IdError::Checksum)?;
        for j in 0..5 {
            if n & (1 << j) != 0 {
                recased[chunk * 5 + j].make_ascii_uppercase();
            }
        }
    }
    let recased = String::from_utf8(recased).map_err(|_| IdError::Shape)?;
    // Digits can't be upper case: a suffix claiming so doesn't reproduce itself.
    if checksum(recased.as_bytes()).eq_ignore_ascii_case(suffix.as_bytes()) {
        Ok(to18(&recased))
    } else {
        Err(IdError::Checksum)
    }
}

/// The first 15 characters of an 18-character Id (Salesforce quotes these in
/// `DUPLICATE_VALUE` messages).
pub fn short(id18: &str) -> &str {
    id18.get(..15).unwrap_or(id18)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_pairs_from_the_docs() {
        for (a, b) in [
            ("001D000000IqhSL", "001D000000IqhSLIAZ"),
            ("003RO0000035WQg", "003RO0000035WQgYAM"),
            ("a00D0000008pQSN", "a00D0000008pQSNIA2"),
            ("005D0000001QX8W", "005D0000001QX8WIAW"),
            ("a0RE000000IJmcN", "a0RE000000IJmcNMAT"),
            ("AbCdEfGhIjKlMnO", "AbCdEfGhIjKlMnOVKV"),
            ("aBcDEfgHIJKLMNO", "aBcDEfgHIJKLMNO025"),
            ("aaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaAAA"),
        ] {
            assert_eq!(to18(a), b);
            assert_eq!(parse(a).as_deref(), Ok(b));
            assert_eq!(parse(b).as_deref(), Ok(b));
            assert_eq!(parse(&b.to_ascii_lowercase()).as_deref(), Ok(b));
        }
    }

    #[test]
    fn minted_ids_sort_in_creation_order_and_parse() {
        let ids: Vec<String> = (0..200u64).map(|n| mint("003", n * 7919)).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        for id in &ids {
            assert_eq!(id.len(), 18);
            assert_eq!(parse(id).as_deref(), Ok(id.as_str()));
        }
    }

    #[test]
    fn bad_ids_are_refused() {
        assert_eq!(parse("001"), Err(IdError::Shape));
        assert_eq!(parse("001D000000IqhSL-AZ"), Err(IdError::Shape));
        assert_eq!(parse("001D000000IqhSLIAA"), Err(IdError::Checksum));
        assert_eq!(parse("001D000000IqhSL999"), Err(IdError::Checksum));
        assert_eq!(parse("0010000000000005AA"), Err(IdError::Checksum));
    }
}
