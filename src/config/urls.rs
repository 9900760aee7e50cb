//! URL and host rules for connections: `login` / `test` aliases, https only (plain http only on
//! loopback, for a sandbox on this machine), and the `instance_url` allowlist.

use std::net::IpAddr;

use reqwest::Url;

use crate::salesforce::auth::check_instance;

/// What `login` stands for.
pub const LOGIN: &str = "https://login.salesforce.com";
/// What `test` stands for.
pub const TEST: &str = "https://test.salesforce.com";

/// `https://login.salesforce.com` as a [`Url`].
pub(crate) fn production_login() -> Url {
    // A constant that parses: the unit tests below exercise it.
    Url::parse(LOGIN).expect("LOGIN is a valid URL")
}

fn alias(value: &str) -> Option<&'static str> {
    match value {
        "login" => Some(LOGIN),
        "test" => Some(TEST),
        _ => None,
    }
}

/// An absolute http(s) URL without credentials, query or fragment; `http` only on loopback.
fn parse(value: &str) -> Result<Url, String> {
    let url = Url::parse(value).map_err(|e| format!("{value:?} is not a URL: {e}"))?;
    let Some(host) = url.host_str() else {
        return Err(format!("{value:?} has no host"));
    };
    let loopback = host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err(format!("{value:?} must be https (http only on loopback)")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Not echoed: the URL holds credentials.
        return Err("the URL must not hold credentials".to_owned());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{value:?} must have no query or fragment"));
    }
    Ok(url)
}

/// `login`, `test`, or a URL of scheme, host and optional port only.
pub(crate) fn login_url(value: &str) -> Result<Url, String> {
    let url = parse(alias(value).unwrap_or(value))?;
    if url.path() != "/" {
        return Err(format!(
            "{value:?} must be just scheme and host (login, test or e.g. https://acme.my.salesforce.com)"
        ));
    }
    Ok(url)
}

/// Whether `url` is login.salesforce.com or test.salesforce.com rather than a My Domain.
pub(crate) fn is_generic_login(url: &Url) -> bool {
    [LOGIN, TEST]
        .iter()
        .any(|generic| url.host_str() == Url::parse(generic).ok().as_ref().and_then(Url::host_str))
}

/// The JWT audience when none is set: `test` for sandbox login hosts, else `login`.
pub(crate) fn default_audience(login_url: &Url) -> &'static str {
    let host = login_url.host_str().unwrap_or_default();
    if host == "test.salesforce.com" || host.ends_with(".sandbox.my.salesforce.com") {
        TEST
    } else {
        LOGIN
    }
}

/// `login`, `test`, or an https URL (a community's, which may have a path).
pub(crate) fn audience(value: &str) -> Result<String, String> {
    if let Some(url) = alias(value) {
        return Ok(url.to_owned());
    }
    let url = parse(value)?;
    if url.scheme() != "https" {
        return Err(format!("{value:?} must be https"));
    }
    Ok(value.trim_end_matches('/').to_owned())
}

/// A static token's instance: an allowed host (`*.salesforce.com`, `*.force.com` over https,
/// or one of `allowed_hosts`).
pub(crate) fn instance_url(value: &str, allowed_hosts: &[String]) -> Result<Url, String> {
    let url = parse(value)?;
    check_instance(&url, allowed_hosts).map_err(|_| {
        format!(
            "host of {value:?} is not *.salesforce.com or *.force.com over https, \
             nor listed in allowed_hosts"
        )
    })?;
    Ok(url)
}

/// One `allowed_hosts` entry: a bare host name or IP address, lower-cased.
pub(crate) fn host(value: &str) -> Result<String, String> {
    if value.contains('*') {
        return Err(format!(
            "{value:?}: wildcards are not supported (*.salesforce.com and *.force.com are always allowed)"
        ));
    }
    if value.contains('/') || value.contains('@') {
        return Err(format!("{value:?} must be a host name, not a URL"));
    }
    let url = Url::parse(&format!("https://{value}/"))
        .map_err(|e| format!("{value:?} is not a host name: {e}"))?;
    match url.host_str() {
        Some(host) if url.port().is_none() && !value.trim().is_empty() => Ok(host.to_owned()),
        _ => Err(format!("{value:?} must be a host name without a port")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_my_domain() {
        assert_eq!(
            login_url("login").unwrap().as_str(),
            "https://login.salesforce.com/"
        );
        assert_eq!(
            login_url("test").unwrap().as_str(),
            "https://test.salesforce.com/"
        );
        assert!(is_generic_login(&login_url("test").unwrap()));
        assert!(!is_generic_login(
            &login_url("https://acme.my.salesforce.com").unwrap()
        ));
        assert_eq!(production_login(), login_url("login").unwrap());
    }

    #[test]
    fn plain_http_only_on_loopback() {
        assert!(login_url("http://127.0.0.1:8080").is_ok());
        assert!(login_url("http://[::1]:8080").is_ok());
        assert!(login_url("http://acme.my.salesforce.com").is_err());
        assert!(login_url("ftp://acme.my.salesforce.com").is_err());
        assert!(login_url("https://acme.my.salesforce.com/services").is_err());
    }

    #[test]
    fn credentials_in_a_url_are_refused_without_echo() {
        let err = login_url("https://bob:hunter2@acme.my.salesforce.com").unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn audience_defaults_follow_the_login_host() {
        let sandbox = login_url("https://acme--dev.sandbox.my.salesforce.com").unwrap();
        assert_eq!(default_audience(&sandbox), TEST);
        assert_eq!(
            default_audience(&login_url("https://acme.my.salesforce.com").unwrap()),
            LOGIN
        );
        assert_eq!(audience("test").unwrap(), TEST);
        assert_eq!(
            audience("https://acme.force.com/customers/").unwrap(),
            "https://acme.force.com/customers"
        );
        assert!(audience("http://127.0.0.1").is_err());
    }

    #[test]
    fn hosts_are_bare_names() {
        assert_eq!(host("Sandbox.Example.COM").unwrap(), "sandbox.example.com");
        assert_eq!(host("127.0.0.1").unwrap(), "127.0.0.1");
        assert!(host("*.example.com").is_err());
        assert!(host("https://example.com").is_err());
        assert!(host("example.com:8443").is_err());
        assert!(host("").is_err());
    }

    #[test]
    fn instance_urls_must_pass_the_allowlist() {
        assert!(instance_url("https://acme.my.salesforce.com", &[]).is_ok());
        assert!(instance_url("https://evil.example", &[]).is_err());
        assert!(instance_url("https://evil.example", &["evil.example".to_owned()]).is_ok());
    }
}
