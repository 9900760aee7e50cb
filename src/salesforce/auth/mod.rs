//! OAuth: the grant types, the token they yield, the per-connection token cache, and the
//! instance-host allowlist a token must pass before it is used.

mod cache;
mod grant;
mod jwt;

pub use jwt::check_private_key;

pub(crate) use cache::{Fetched, TokenCache};
pub(crate) use grant::request_token;

use reqwest::Url;
use time::OffsetDateTime;

use super::{Error, Secret};

/// How a connection gets its access token.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AuthFlow {
    /// `client_credentials`: the connected app's "Run As" user. Needs a My Domain `login_url`.
    ClientCredentials {
        /// The connected app's consumer key.
        client_id: String,
        /// The connected app's consumer secret.
        client_secret: Secret,
    },
    /// `password` (being phased out by Salesforce). The security token is appended to the
    /// password, as the grant requires; leave it empty when the org trusts our IP.
    Password {
        /// The connected app's consumer key.
        client_id: String,
        /// The connected app's consumer secret.
        client_secret: Secret,
        /// The Salesforce username.
        username: String,
        /// The user's password.
        password: Secret,
        /// The user's security token (may be empty).
        security_token: Secret,
    },
    /// `refresh_token`, from an earlier authorization-code flow. If the app rotates refresh
    /// tokens, the newest one is kept in memory for the next refresh.
    RefreshToken {
        /// The connected app's consumer key.
        client_id: String,
        /// Needed only when the app has "Require Secret for Refresh Token Flow".
        client_secret: Option<Secret>,
        /// The refresh token.
        refresh_token: Secret,
    },
    /// `urn:ietf:params:oauth:grant-type:jwt-bearer`: an RS256 assertion signed with the key
    /// whose certificate is uploaded to the connected app.
    JwtBearer {
        /// The connected app's consumer key (`iss`).
        client_id: String,
        /// The Salesforce username to act as (`sub`).
        username: String,
        /// The PKCS#1 or PKCS#8 RSA private key, PEM.
        private_key_pem: Secret,
        /// `https://login.salesforce.com`, `https://test.salesforce.com` or a community URL
        /// (`aud`); not the My Domain URL.
        audience: String,
    },
    /// A fixed access token: nothing to refresh, a 401 reaches the caller.
    AccessToken {
        /// The session id.
        access_token: Secret,
        /// The org's instance URL; it must pass the same allowlist as a token response's.
        instance_url: Url,
    },
}

impl AuthFlow {
    /// Whether a rejected token can be replaced by asking the token endpoint again.
    pub(crate) fn can_refresh(&self) -> bool {
        !matches!(self, AuthFlow::AccessToken { .. })
    }
}

/// An access token and the instance it is valid for. `Debug` shows `***` for the token.
#[derive(Debug, Clone)]
pub struct Token {
    /// The session id, sent as `Authorization: Bearer`.
    pub access_token: Secret,
    /// Where the REST API lives for this org; already checked against the allowlist.
    pub instance_url: Url,
    /// `Bearer`.
    pub token_type: String,
    /// When Salesforce issued it (Salesforce sends no expiry: tokens live until idle).
    pub issued_at: OffsetDateTime,
}

/// Refuses an instance URL that is not `https` on `*.salesforce.com` / `*.force.com`, nor on
/// one of `allowed_hosts` (any http(s) scheme there, so the sandbox can run on loopback http).
///
/// This is what stops a compromised or misconfigured token endpoint from sending our bearer
/// token to a host of its choosing.
pub(crate) fn check_instance(url: &Url, allowed_hosts: &[String]) -> Result<(), Error> {
    let refused = || Error::InstanceNotAllowed {
        host: url.host_str().unwrap_or(url.as_str()).to_owned(),
    };
    let Some(host) = url.host_str() else {
        return Err(refused());
    };
    // Credentials in the URL would be sent along with our token; Salesforce never does this.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refused());
    }
    let host = host.to_ascii_lowercase();
    let salesforce = [".salesforce.com", ".force.com"]
        .iter()
        .any(|suffix| host.ends_with(suffix) && host.len() > suffix.len());
    if salesforce && url.scheme() == "https" {
        return Ok(());
    }
    let listed = allowed_hosts.iter().any(|h| h.eq_ignore_ascii_case(&host));
    if listed && matches!(url.scheme(), "https" | "http") {
        return Ok(());
    }
    Err(refused())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, allowed: &[&str]) -> bool {
        let allowed: Vec<String> = allowed.iter().map(|s| s.to_string()).collect();
        check_instance(&Url::parse(url).unwrap(), &allowed).is_ok()
    }

    #[test]
    fn salesforce_hosts_need_https() {
        assert!(check("https://acme.my.salesforce.com", &[]));
        assert!(check("https://na1.salesforce.com/", &[]));
        assert!(check("https://acme--dev.sandbox.my.salesforce.com", &[]));
        assert!(check("https://acme.lightning.force.com", &[]));
        assert!(!check("http://acme.my.salesforce.com", &[]));
    }

    #[test]
    fn look_alike_hosts_are_refused() {
        assert!(!check("https://salesforce.com.evil.example", &[]));
        assert!(!check("https://evilsalesforce.com", &[]));
        assert!(!check("https://salesforce.com", &[]));
        assert!(!check("https://user:pw@acme.my.salesforce.com", &[]));
        assert!(!check("https://127.0.0.1:8443", &[]));
    }

    #[test]
    fn allowed_hosts_may_use_plain_http() {
        assert!(check("http://127.0.0.1:8080", &["127.0.0.1"]));
        assert!(check(
            "https://sf.internal.example",
            &["SF.internal.example"]
        ));
        assert!(!check("http://127.0.0.2:8080", &["127.0.0.1"]));
        assert!(!check("ftp://127.0.0.1", &["127.0.0.1"]));
    }

    #[test]
    fn refusal_names_the_host() {
        let err = check_instance(&Url::parse("https://evil.example/x").unwrap(), &[]).unwrap_err();
        assert!(matches!(err, Error::InstanceNotAllowed { ref host } if host == "evil.example"));
    }
}
