//! [`ApiKey`]: a configured API key, held as its SHA-256 hash so the configuration never
//! holds a usable key.

use sha2::{Digest, Sha256};

use super::Caller;

/// A configured API key: its SHA-256 hash and what it grants.
#[derive(Debug, Clone)]
pub struct ApiKey {
    /// SHA-256 of the key, as 32 bytes.
    pub hash: [u8; 32],
    /// The identity and grants attached to requests made with the key.
    pub caller: Caller,
}

impl ApiKey {
    /// The entry for a plain-text key (hashed here; the key itself is not kept).
    pub fn from_plain(key: &str, caller: Caller) -> Self {
        ApiKey {
            hash: Sha256::digest(key.as_bytes()).into(),
            caller,
        }
    }

    /// The SHA-256 hash of a key, as configuration holds it (lowercase hex).
    pub fn hash_hex(key: &str) -> String {
        Sha256::digest(key.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The caller of the key `presented` among `keys`, if it is one of them. The presented
    /// key is hashed and compared with every configured hash whatever matches, without early
    /// exit, so the time taken says nothing about how close a guess was.
    pub(crate) fn find<'a>(keys: &'a [ApiKey], presented: &str) -> Option<&'a Caller> {
        let hash: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found = None;
        for key in keys {
            let diff = key
                .hash
                .iter()
                .zip(hash.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if diff == 0 {
                found = Some(&key.caller);
            }
        }
        found
    }
}
