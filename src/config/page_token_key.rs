//! [`PageTokenKey`]: the secret `page_token`s are signed with (`[server] page_token_key_env`
//! / `page_token_key_file`), or one generated at start.

use std::fmt;

/// The shortest configured key accepted, in bytes.
pub const MIN_PAGE_TOKEN_KEY_BYTES: usize = 32;

/// The key page tokens are authenticated with. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct PageTokenKey {
    bytes: Vec<u8>,
    generated: bool,
}

impl PageTokenKey {
    /// A key from configuration: at least [`MIN_PAGE_TOKEN_KEY_BYTES`] bytes (of any kind, e.g. the
    /// output of `openssl rand -base64 48`); `None` if shorter.
    pub fn new(secret: &[u8]) -> Option<PageTokenKey> {
        (secret.len() >= MIN_PAGE_TOKEN_KEY_BYTES).then(|| PageTokenKey {
            bytes: secret.to_vec(),
            generated: false,
        })
    }

    /// A random 256-bit key, for a gateway configured without one.
    pub fn generate() -> PageTokenKey {
        PageTokenKey {
            bytes: rand::random::<[u8; 32]>().to_vec(),
            generated: true,
        }
    }

    /// Whether the key was generated at start (tokens then do not survive a restart and
    /// are not accepted by other replicas).
    pub fn is_generated(&self) -> bool {
        self.generated
    }

    /// The key's bytes, for signing. Never log them.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl fmt::Debug for PageTokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PageTokenKey")
            .field("bytes", &"***")
            .field("generated", &self.generated)
            .finish()
    }
}
