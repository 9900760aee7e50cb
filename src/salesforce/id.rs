//! [`RecordId`]: a Salesforce record Id, parsed once and always held in its 18-char form.

use std::fmt;
use std::str::FromStr;

/// The alphabet of the 3-char case-encoding suffix: each of its characters says which of 5
/// characters of the 15 are upper case (bit *j* for the *j*-th), as Salesforce's
/// `CASESAFEID()` and its 18-character Ids have it ("ID Field Type",
/// <https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/field_types.htm>).
const SUFFIX_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/// A record Id: 15 case-sensitive base-62 chars, or 18 with a checksum suffix that encodes
/// the case of the first 15. Always stored as 18 chars so two spellings of one record compare
/// equal.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId(String);

/// Why a string is not a record Id. The messages never echo the input, which may come from an
/// untrusted caller; the caller already has it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// Neither 15 nor 18 chars.
    #[error("a record id has 15 or 18 characters, not {len}")]
    Length {
        /// The length that was given, in chars.
        len: usize,
    },
    /// A char outside `[A-Za-z0-9]`.
    #[error("a record id has only ascii letters and digits (bad character at position {position})")]
    Character {
        /// Zero-based position of the first bad char.
        position: usize,
    },
    /// An 18-char Id whose last 3 chars don't match the case of the first 15.
    #[error("the record id checksum (last 3 characters) does not match")]
    Checksum,
}

// === impl RecordId ===

impl RecordId {
    /// Parses a 15- or 18-char Id. An 18-char Id must carry the checksum of its first 15
    /// chars; the suffix itself is compared case-insensitively because it only uses upper-case
    /// letters and digits.
    pub fn parse(s: &str) -> Result<RecordId, IdError> {
        let len = s.chars().count();
        if len != 15 && len != 18 {
            return Err(IdError::Length { len });
        }
        if let Some(position) = s.bytes().position(|b| !b.is_ascii_alphanumeric()) {
            return Err(IdError::Character { position });
        }
        let (id15, given) = s.split_at(15);
        let suffix = checksum(id15);
        if !given.is_empty() && !given.eq_ignore_ascii_case(&suffix) {
            return Err(IdError::Checksum);
        }
        Ok(RecordId(format!("{id15}{suffix}")))
    }

    /// The 18-char form, the one the API returns.
    pub fn as_str18(&self) -> &str {
        &self.0
    }

    /// The case-sensitive 15-char form.
    pub fn as_str15(&self) -> &str {
        &self.0[..15]
    }

    /// The first 3 chars, which name the sObject type (`001` Account, `003` Contact, ...).
    pub fn key_prefix(&self) -> &str {
        &self.0[..3]
    }
}

/// The 3-char suffix for a 15-char Id: one char per 5-char chunk, whose bit `j` says whether
/// char `j` of the chunk is upper case.
///
/// `id15` must be 15 ASCII chars; [`RecordId::parse`] checks that before calling.
fn checksum(id15: &str) -> String {
    id15.as_bytes()
        .chunks(5)
        .map(|chunk| {
            let n = chunk
                .iter()
                .enumerate()
                .filter(|(_, b)| b.is_ascii_uppercase())
                .fold(0usize, |n, (j, _)| n | (1 << j));
            char::from(SUFFIX_ALPHABET[n])
        })
        .collect()
}

impl FromStr for RecordId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<RecordId, IdError> {
        RecordId::parse(s)
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordId({})", self.0)
    }
}

impl TryFrom<&str> for RecordId {
    type Error = IdError;

    fn try_from(s: &str) -> Result<RecordId, IdError> {
        RecordId::parse(s)
    }
}

/// Serialized as the 18-char string.
impl serde::Serialize for RecordId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Deserialized through [`RecordId::parse`], so a bad Id fails at the edge.
impl<'de> serde::Deserialize<'de> for RecordId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<RecordId, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        RecordId::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl AsRef<str> for RecordId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known pairs: the first four are Ids of Salesforce's own documentation examples, the
    /// rest the published test vectors of the algorithm (codegolf.stackexchange.com 69127).
    const VECTORS: &[(&str, &str)] = &[
        ("001D000000IqhSL", "001D000000IqhSLIAZ"),
        ("003RO0000035WQg", "003RO0000035WQgYAM"),
        ("a00D0000008pQSN", "a00D0000008pQSNIA2"),
        ("005D0000001QX8W", "005D0000001QX8WIAW"),
        ("a0RE000000IJmcN", "a0RE000000IJmcNMAT"),
        ("AbCdEfGhIjKlMnO", "AbCdEfGhIjKlMnOVKV"),
        ("aBcDEfgHIJKLMNO", "aBcDEfgHIJKLMNO025"),
        ("aaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaAAA"),
    ];

    #[test]
    fn fifteen_char_ids_get_the_documented_suffix() {
        for (id15, id18) in VECTORS {
            let id = RecordId::parse(id15).unwrap();
            assert_eq!(id.as_str18(), *id18, "{id15}");
            assert_eq!(id.as_str15(), *id15);
        }
    }

    #[test]
    fn eighteen_char_ids_with_a_valid_checksum_parse_to_themselves() {
        for (id15, id18) in VECTORS {
            let id = RecordId::parse(id18).unwrap();
            assert_eq!(id.as_str18(), *id18);
            assert_eq!(id, RecordId::parse(id15).unwrap());
        }
    }

    #[test]
    fn the_suffix_is_case_insensitive_but_the_body_is_not() {
        let id = RecordId::parse("001D000000IqhSLiaz").unwrap();
        assert_eq!(id.as_str18(), "001D000000IqhSLIAZ");
        // Changing the case of a body char changes the checksum it needs.
        assert_eq!(
            RecordId::parse("001d000000IqhSLIAZ"),
            Err(IdError::Checksum)
        );
    }

    #[test]
    fn bad_checksums_are_rejected() {
        for bad in [
            "001D000000IqhSLIAA",
            "003RO0000035WQgYAN",
            "aaaaaaaaaaaaaaaAA9",
        ] {
            assert_eq!(RecordId::parse(bad), Err(IdError::Checksum), "{bad}");
        }
    }

    #[test]
    fn wrong_lengths_are_rejected() {
        for (bad, len) in [
            ("", 0),
            ("001D000000IqhS", 14),
            ("001D000000IqhSLI", 16),
            ("001D000000IqhSLIAZX", 19),
        ] {
            assert_eq!(
                RecordId::parse(bad),
                Err(IdError::Length { len }),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn non_alphanumerics_are_rejected() {
        assert_eq!(
            RecordId::parse("001D000000Iqh-L"),
            Err(IdError::Character { position: 13 })
        );
        assert_eq!(
            RecordId::parse("001D000000Iqh L"),
            Err(IdError::Character { position: 13 })
        );
        // 15 chars but 16 bytes: counted as chars, rejected as a bad char, not sliced mid-char.
        assert_eq!(
            RecordId::parse("001D000000Iqhé1"),
            Err(IdError::Character { position: 13 })
        );
        assert!(RecordId::parse("001D000000IqhSL/./").is_err());
    }

    #[test]
    fn serde_round_trips_through_the_18_char_form() {
        let id: RecordId = serde_json::from_str(r#""001D000000IqhSL""#).unwrap();
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            r#""001D000000IqhSLIAZ""#
        );
        assert!(serde_json::from_str::<RecordId>(r#""001D000000IqhSLAAA""#).is_err());
    }

    #[test]
    fn key_prefix_is_the_first_three_chars() {
        assert_eq!(
            RecordId::parse("003RO0000035WQg").unwrap().key_prefix(),
            "003"
        );
        assert_eq!(
            RecordId::parse("a0RE000000IJmcNMAT").unwrap().key_prefix(),
            "a0R"
        );
    }
}
