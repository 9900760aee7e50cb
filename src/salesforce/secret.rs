//! [`Secret`]: a string that never shows itself in `Debug`, `Display` or logs.

use std::fmt;

/// A credential (client secret, password, security token, private key, access or refresh
/// token). `Debug` and `Display` print `***`; the value is only reachable through
/// [`Secret::expose`], so every place that uses it is greppable.
///
/// There is deliberately no `PartialEq`: comparing secrets is not something the client needs,
/// and a derived comparison would not be constant-time.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The credential itself, for building a request. Never log the result.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the credential is empty (e.g. a security token an org does not require).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some(***)");
        assert_eq!(s.expose(), "hunter2");
    }
}
