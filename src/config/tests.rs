//! Config tests. The environment is always a `HashMap`: nothing here mutates the process's.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use crate::caller::Permission;
use crate::salesforce::{AuthFlow, UpstreamLimits};

use super::*;

pub(crate) const EXAMPLE: &str = include_str!("../../sfgate.example.toml");

/// Secret values used below; each test that can leak one asserts it does not.
const SECRETS: [&str; 7] = [
    "cc-secret-1f7a",
    "jwt-pem-7c21",
    "refresh-tok-99b0",
    "legacy-client-secret-3e",
    "legacy-password-5d",
    "legacy-sectoken-8a",
    "static-access-tok-42",
];

/// A fresh RSA private key (PKCS#8 PEM) from the `openssl` command line, made once per run
/// and never committed: the jwt_bearer flow's key must be able to sign at start.
fn rsa_pem() -> &'static str {
    static PEM: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PEM.get_or_init(|| {
        let out = std::process::Command::new("openssl")
            .args([
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
            ])
            .output()
            .expect("the openssl command line makes the test key");
        assert!(out.status.success(), "openssl genpkey failed");
        String::from_utf8(out.stdout).expect("a PEM")
    })
}

pub(crate) fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The example's secrets, its two `_file` secrets redirected to variables through overrides.
pub(crate) fn example_env() -> HashMap<String, String> {
    env(&[
        ("ACME_CLIENT_SECRET", SECRETS[0]),
        ("SFGATE_CONNECTIONS__ACME_JWT__PRIVATE_KEY_ENV", "T_PEM"),
        ("T_PEM", rsa_pem()),
        ("ACME_DEV_REFRESH_TOKEN", SECRETS[2]),
        (
            "SFGATE_CONNECTIONS__LEGACY__CLIENT_SECRET_ENV",
            "T_LEGACY_SECRET",
        ),
        ("T_LEGACY_SECRET", SECRETS[3]),
        ("LEGACY_PASSWORD", SECRETS[4]),
        ("LEGACY_SECURITY_TOKEN", SECRETS[5]),
        ("STAGING_ACCESS_TOKEN", SECRETS[6]),
    ])
}

pub(crate) fn load(text: &str, env: &HashMap<String, String>) -> Result<Config, ConfigError> {
    Config::from_toml(text, "test.toml", Path::new("."), env)
}

/// The problems `text` has; panics if it loads.
pub(crate) fn problems(text: &str, env: &HashMap<String, String>) -> Vec<Problem> {
    match load(text, env) {
        Ok(config) => panic!("expected problems, loaded {config:?}"),
        Err(e) => e.problems().to_vec(),
    }
}

/// The one problem `text` has, asserting its key and that its line is `line`.
pub(crate) fn only_problem(
    text: &str,
    env: &HashMap<String, String>,
    key: &str,
    origin: Origin,
) -> Problem {
    let problems = problems(text, env);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    let problem = problems.into_iter().next().unwrap();
    assert_eq!(problem.key, key, "{problem}");
    assert_eq!(problem.origin, origin, "{problem}");
    problem
}

/// The 1-based line of the first line of `text` containing `needle`.
pub(crate) fn line(text: &str, needle: &str) -> Origin {
    let n = text.lines().position(|l| l.contains(needle));
    Origin::Line(n.unwrap_or_else(|| panic!("{needle:?} not in text")) + 1)
}

pub(crate) const CC: &str = r#"
[connections.acme]
login_url = "https://acme.my.salesforce.com"
api_version = "62.0"
flow = "client_credentials"
client_id = "3MVG9"
client_secret_env = "ACME_SECRET"
"#;

pub(crate) fn cc_env() -> HashMap<String, String> {
    env(&[("ACME_SECRET", SECRETS[0])])
}

#[test]
fn the_example_file_parses_into_every_flow() {
    let config = load(EXAMPLE, &example_env()).unwrap();
    assert_eq!(config.server.listen, DEFAULT_LISTEN);
    assert_eq!(config.server.default_timeout.as_millis(), 10_000);
    assert!(config.sandbox.is_none());
    let names: Vec<&str> = config.connections.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["acme", "acme-dev", "acme-jwt", "legacy", "staging"]);
    let flows: Vec<&AuthFlow> = config.connections.iter().map(|c| &c.auth).collect();
    assert!(
        matches!(flows[0], AuthFlow::ClientCredentials { client_secret, .. } if client_secret.expose() == SECRETS[0])
    );
    assert!(
        matches!(flows[1], AuthFlow::RefreshToken { client_secret: None, refresh_token, .. } if refresh_token.expose() == SECRETS[2])
    );
    assert!(
        matches!(flows[2], AuthFlow::JwtBearer { audience, private_key_pem, .. }
        if audience == LOGIN && private_key_pem.expose() == rsa_pem())
    );
    assert!(
        matches!(flows[3], AuthFlow::Password { client_secret, password, security_token, .. }
        if client_secret.expose() == SECRETS[3] && password.expose() == SECRETS[4] && security_token.expose() == SECRETS[5])
    );
    assert!(
        matches!(flows[4], AuthFlow::AccessToken { instance_url, .. } if instance_url.host_str() == Some("sf-proxy.staging.example"))
    );
    assert_eq!(
        config.connections[1].login_url.as_str(),
        "https://test.salesforce.com/"
    );
    let limits = &config.connections[0].limits;
    assert_eq!(
        (limits.max_concurrent, limits.daily_budget_reserve),
        (10, 5000)
    );
    assert_eq!(limits.max_retries, UpstreamLimits::default().max_retries);
    assert_eq!(limits.default_timeout, config.server.default_timeout);
    assert_eq!(
        config.connections[1].limits.max_concurrent,
        UpstreamLimits::default().max_concurrent
    );
    assert_eq!(
        config.connections[4].allowed_hosts,
        ["sf-proxy.staging.example"]
    );

    let voice = &config.api_keys[1];
    assert_eq!(voice.name, "voice-agent");
    assert_eq!(voice.sha256[..2], [0x9f, 0x86]);
    assert_eq!(voice.default_connection.as_deref(), Some("acme"));
    assert_eq!(
        voice
            .permissions
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>(),
        ["query", "write"]
    );
    assert_eq!(config.api_keys[0].connections, None);
    assert_eq!(config.api_keys[0].permissions.len(), Permission::ALL.len());
}

#[test]
fn debug_never_shows_a_secret() {
    let config = load(EXAMPLE, &example_env()).unwrap();
    let debug = format!("{config:?} {config:#?}");
    assert!(debug.contains("***"), "secrets should show as ***");
    for secret in SECRETS {
        assert!(!debug.contains(secret), "{secret} in Debug");
    }
}

#[test]
fn every_key_of_the_example_is_documented_in_its_comments() {
    for key in connection::known_keys() {
        let documented = match key.strip_suffix("_file") {
            Some(secret) => EXAMPLE.contains(&format!("{secret}_env | _file")),
            None => EXAMPLE.contains(&format!("{key} ")),
        };
        assert!(documented, "{key} undocumented");
    }
    for var in [
        ENV_LISTEN,
        ENV_DEFAULT_TIMEOUT_MS,
        ENV_SANDBOX_ENABLED,
        ENV_SANDBOX_SEED_FILE,
    ] {
        assert!(EXAMPLE.contains(var), "{var} undocumented");
    }
    for key in caller_limits::CALLER_LIMIT_KEYS {
        assert!(
            EXAMPLE.contains(&format!("\n{key} = ")),
            "{key} not in [limits]"
        );
    }
    let permissions = Permission::ALL.map(Permission::as_str);
    for name in FLOWS.iter().chain(&permissions) {
        assert!(EXAMPLE.contains(name), "{name} undocumented");
    }
}

/// A minimal valid table per flow, with the keys each needs.
fn flow_table(flow: &str) -> (String, Vec<&'static str>) {
    let (extra, required): (&str, &[&str]) = match flow {
        "client_credentials" => (
            "client_id = \"id\"\nclient_secret_env = \"S1\"",
            &["client_id", "client_secret_env"],
        ),
        "password" => (
            "client_id = \"id\"\nclient_secret_env = \"S1\"\nusername = \"u\"\npassword_env = \"S2\"",
            &["client_id", "client_secret_env", "username", "password_env"],
        ),
        "refresh_token" => (
            "client_id = \"id\"\nrefresh_token_env = \"S1\"",
            &["client_id", "refresh_token_env"],
        ),
        "jwt_bearer" => (
            "client_id = \"id\"\nusername = \"u\"\nprivate_key_env = \"S_PEM\"",
            &["client_id", "username", "private_key_env"],
        ),
        "access_token" => (
            "access_token_env = \"S1\"\ninstance_url = \"https://x.my.salesforce.com\"",
            &["access_token_env", "instance_url"],
        ),
        other => panic!("no table for {other}"),
    };
    let text = format!(
        "[connections.c]\nlogin_url = \"https://x.my.salesforce.com\"\napi_version = \"62.0\"\n\
         flow = \"{flow}\"\n{extra}\n"
    );
    (text, required.to_vec())
}

#[test]
fn each_flow_loads_with_its_required_keys_and_names_each_missing_one() {
    let secrets = env(&[("S1", "one"), ("S2", "two"), ("S_PEM", rsa_pem())]);
    for flow in FLOWS {
        let (text, required) = flow_table(flow);
        load(&text, &secrets).unwrap_or_else(|e| panic!("{flow}: {e}"));
        for key in required {
            let without: String = text
                .lines()
                .filter(|l| !l.starts_with(&format!("{key} =")))
                .map(|l| format!("{l}\n"))
                .collect();
            let problem = only_problem(
                &without,
                &secrets,
                &format!("connections.c.{key}"),
                Origin::Line(1),
            );
            assert!(
                problem.message.contains("missing"),
                "{flow}/{key}: {problem}"
            );
        }
    }
}

#[test]
fn optional_secrets_default_and_jwt_audience_follows_the_login_host() {
    let secrets = env(&[("S1", "one"), ("S2", "two"), ("S_PEM", rsa_pem())]);
    let (text, _) = flow_table("password");
    let config = load(&text, &secrets).unwrap();
    assert!(
        matches!(&config.connections[0].auth, AuthFlow::Password { security_token, .. } if security_token.is_empty())
    );

    let (text, _) = flow_table("jwt_bearer");
    let text = text.replace(
        "https://x.my.salesforce.com",
        "https://x--dev.sandbox.my.salesforce.com",
    );
    let config = load(&text, &secrets).unwrap();
    assert!(
        matches!(&config.connections[0].auth, AuthFlow::JwtBearer { audience, .. } if audience == TEST)
    );
}

#[test]
fn keys_of_another_flow_and_typos_are_errors_with_their_line() {
    let text = format!("{CC}username = \"bob\"\n");
    let problem = only_problem(
        &text,
        &cc_env(),
        "connections.acme.username",
        line(&text, "username"),
    );
    assert!(
        problem
            .message
            .contains("not used by flow client_credentials"),
        "{problem}"
    );

    let text = format!("{CC}client_secrt_env = \"X\"\n");
    let problem = only_problem(
        &text,
        &cc_env(),
        "connections.acme.client_secrt_env",
        line(&text, "client_secrt"),
    );
    assert!(problem.message.contains("unknown key"), "{problem}");

    let text = format!("[server]\nlisten = \"127.0.0.1:1\"\ntimeout = 5\n{CC}");
    let problem = only_problem(&text, &cc_env(), "server.timeout", Origin::Line(3));
    assert!(problem.message.contains("unknown field"), "{problem}");
}

#[test]
fn validation_errors_name_the_key_and_the_line() {
    let cases: [(&str, &str, &str, &str, &str); 9] = [
        (
            "flow = \"client_credentials\"",
            "flow = \"oauth\"",
            "connections.acme.flow",
            "flow =",
            "unknown flow",
        ),
        (
            "api_version = \"62.0\"",
            "api_version = \"62\"",
            "connections.acme.api_version",
            "api_version",
            "like \"62.0\"",
        ),
        (
            "api_version = \"62.0\"",
            "api_version = 62.0",
            "connections.acme.api_version",
            "api_version",
            "expected a string",
        ),
        (
            "login_url = \"https://acme.my.salesforce.com\"",
            "login_url = \"acme.my.salesforce.com\"",
            "connections.acme.login_url",
            "login_url",
            "not a URL",
        ),
        (
            "login_url = \"https://acme.my.salesforce.com\"",
            "login_url = \"http://acme.my.salesforce.com\"",
            "connections.acme.login_url",
            "login_url",
            "https",
        ),
        (
            "login_url = \"https://acme.my.salesforce.com\"",
            "login_url = \"login\"",
            "connections.acme.login_url",
            "login_url",
            "My Domain",
        ),
        (
            "client_secret_env = \"ACME_SECRET\"",
            "client_secret_env = \"NOPE\"",
            "connections.acme.client_secret_env",
            "client_secret_env",
            "NOPE is not set",
        ),
        (
            "[connections.acme]",
            "[server]\nlisten = \"localhost\"\n[connections.acme]",
            "server.listen",
            "listen",
            "not an address",
        ),
        (
            "[connections.acme]",
            "[server]\ndefault_timeout_ms = 0\n[connections.acme]",
            "server.default_timeout_ms",
            "default_timeout_ms",
            "milliseconds",
        ),
    ];
    for (from, to, key, on, says) in cases {
        let text = CC.replace(from, to);
        assert_ne!(text, CC, "{from} not in CC");
        let problem = only_problem(&text, &cc_env(), key, line(&text, on));
        assert!(
            problem.message.contains(says),
            "{problem} should say {says}"
        );
        let report = load(&text, &cc_env()).unwrap_err().to_string();
        assert!(report.contains(&format!("{key} (line ")), "{report}");
    }
}

pub(crate) const KEY: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

pub(crate) fn with_key(body: &str) -> String {
    format!("{CC}\n[api_keys.voice]\n{body}\n")
}

#[test]
fn api_key_errors_name_the_key_and_the_line() {
    let perms = "permissions = [\"query\"]";
    let cases = [
        (
            format!(
                "sha256 = \"{KEY}\"\nconnections = [\"acme\"]\ndefault_connection = \"other\"\n{perms}"
            ),
            "api_keys.voice.default_connection",
            "default_connection",
            "not one of",
        ),
        (
            format!("sha256 = \"{KEY}\"\ndefault_connection = \"other\"\n{perms}"),
            "api_keys.voice.default_connection",
            "default_connection",
            "unknown connection",
        ),
        (
            format!("sha256 = \"{KEY}\"\nconnections = [\"acme\", \"nope\"]\n{perms}"),
            "api_keys.voice.connections",
            "connections =",
            "unknown connection \"nope\"",
        ),
        (
            format!("sha256 = \"{KEY}\"\npermissions = [\"query\", \"admin\"]"),
            "api_keys.voice.permissions",
            "permissions",
            "unknown permission \"admin\"",
        ),
        (
            format!("sha256 = \"{KEY}\""),
            "api_keys.voice.permissions",
            "[api_keys.voice]",
            "missing",
        ),
        (
            format!("sha256 = \"{}\"\n{perms}", &KEY[1..]),
            "api_keys.voice.sha256",
            "sha256",
            "63 characters",
        ),
        (
            format!("sha256 = \"{}z\"\n{perms}", &KEY[1..]),
            "api_keys.voice.sha256",
            "sha256",
            "64 hex",
        ),
        (
            format!("key = \"sk-live-123\"\nsha256 = \"{KEY}\"\n{perms}"),
            "api_keys.voice.key",
            "key =",
            "raw keys are refused",
        ),
    ];
    for (body, key, on, says) in cases {
        let text = with_key(&body);
        let problem = only_problem(&text, &cc_env(), key, line(&text, on));
        assert!(
            problem.message.contains(says),
            "{problem} should say {says}"
        );
        assert!(!problem.to_string().contains("sk-live-123"), "{problem}");
    }
    let text = with_key(&format!("sha256 = \"{}\"\n{perms}", KEY.to_uppercase()));
    assert_eq!(load(&text, &cc_env()).unwrap().api_keys[0].sha256[0], 0x9f);
}

#[test]
fn no_connections_and_no_sandbox_is_an_error() {
    let problem = only_problem("[server]\n", &env(&[]), "connections", Origin::File);
    assert!(problem.message.contains("no connections"), "{problem}");
    let config = load("[sandbox]\nenabled = true\n", &env(&[])).unwrap();
    assert_eq!(config.sandbox, Some(SandboxConfig { seed_file: None }));
    assert!(config.connection_names().contains(SANDBOX_CONNECTION));
}

#[test]
fn a_public_sandbox_needs_api_keys() {
    let text = "[server]\nlisten = \"0.0.0.0:50051\"\n[sandbox]\nenabled = true\n";
    let problem = only_problem(text, &env(&[]), "sandbox.enabled", line(text, "enabled"));
    assert!(problem.message.contains("0.0.0.0:50051"), "{problem}");

    let keyed = format!("{text}[api_keys.k]\nsha256 = \"{KEY}\"\npermissions = [\"query\"]\n");
    assert!(load(&keyed, &env(&[])).is_ok());
    let by_env = env(&[(ENV_SANDBOX_ENABLED, "true")]);
    let from_env = Origin::Env(ENV_SANDBOX_ENABLED.to_owned());
    let public = "[server]\nlisten = \"0.0.0.0:50051\"\n";
    only_problem(public, &by_env, "sandbox.enabled", from_env);
    let loopback = text.replace("0.0.0.0", "127.0.0.1");
    assert!(load(&loopback, &env(&[])).is_ok());

    let taken = format!("[sandbox]\nenabled = true\n{CC}")
        .replace("connections.acme", "connections.sandbox");
    only_problem(
        &taken,
        &cc_env(),
        "connections.sandbox",
        line(&taken, "[connections.sandbox]"),
    );
}

#[test]
fn env_overrides_win_over_the_file() {
    let text = format!("[server]\nlisten = \"127.0.0.1:1\"\ndefault_timeout_ms = 5\n{CC}");
    let mut vars = cc_env();
    vars.extend(env(&[
        (ENV_LISTEN, "0.0.0.0:7000"),
        (ENV_DEFAULT_TIMEOUT_MS, "2500"),
        ("SFGATE_CONNECTIONS__ACME__API_VERSION", "63.0"),
        (
            "SFGATE_CONNECTIONS__ACME__ALLOWED_HOSTS",
            "a.example, b.example",
        ),
        (
            "SFGATE_CONNECTIONS__ACME__CLIENT_SECRET_ENV",
            "OTHER_SECRET",
        ),
        ("OTHER_SECRET", "from-override"),
    ]));
    let config = load(&text, &vars).unwrap();
    assert_eq!(config.server.listen, "0.0.0.0:7000".parse().unwrap());
    assert_eq!(config.server.default_timeout.as_millis(), 2500);
    let acme = &config.connections[0];
    assert_eq!(acme.api_version, "63.0");
    assert_eq!(acme.allowed_hosts, ["a.example", "b.example"]);
    assert!(
        matches!(&acme.auth, AuthFlow::ClientCredentials { client_secret, .. } if client_secret.expose() == "from-override")
    );

    // A bad override is reported against its variable, not the file's line.
    vars.insert("SFGATE_CONNECTIONS__ACME__API_VERSION".into(), "v63".into());
    let var = Origin::Env("SFGATE_CONNECTIONS__ACME__API_VERSION".into());
    only_problem(&text, &vars, "connections.acme.api_version", var);
}

#[test]
fn dashed_connection_names_map_to_underscores_and_must_not_collide() {
    let text = CC.replace("connections.acme", "connections.voice-eu");
    let mut vars = cc_env();
    vars.insert(
        "SFGATE_CONNECTIONS__VOICE_EU__API_VERSION".into(),
        "61.0".into(),
    );
    assert_eq!(
        load(&text, &vars).unwrap().connections[0].api_version,
        "61.0"
    );

    let both = format!(
        "{text}{}",
        CC.replace("connections.acme", "connections.voice_eu")
    );
    let problem = only_problem(
        &both,
        &cc_env(),
        "connections.voice_eu",
        line(&both, "[connections.voice_eu]"),
    );
    assert!(
        problem.message.contains("SFGATE_CONNECTIONS__VOICE_EU__"),
        "{problem}"
    );
}

#[test]
fn secrets_come_from_files_trimmed_and_relative_to_the_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret"), format!("  {}\n", SECRETS[0])).unwrap();
    let text = CC.replace(
        "client_secret_env = \"ACME_SECRET\"",
        "client_secret_file = \"secret\"",
    );
    let config = Config::from_toml(&text, "t.toml", dir.path(), &env(&[])).unwrap();
    assert!(
        matches!(&config.connections[0].auth, AuthFlow::ClientCredentials { client_secret, .. } if client_secret.expose() == SECRETS[0])
    );

    let path = dir.path().join("sfgate.toml");
    std::fs::write(&path, &text).unwrap();
    assert!(Config::load(&path, &env(&[])).is_ok());

    let missing = text.replace("\"secret\"", "\"absent\"");
    let err = Config::from_toml(&missing, "t.toml", dir.path(), &env(&[])).unwrap_err();
    let [problem] = err.problems() else {
        panic!("{err}")
    };
    assert_eq!(problem.key, "connections.acme.client_secret_file");
    assert_eq!(problem.origin, line(&missing, "client_secret_file"));
    assert!(problem.message.contains("absent"), "{problem}");

    std::fs::write(dir.path().join("blank"), "\n \n").unwrap();
    let blank = text.replace("\"secret\"", "\"blank\"");
    let err = Config::from_toml(&blank, "t.toml", dir.path(), &env(&[])).unwrap_err();
    assert!(err.to_string().contains("is empty"), "{err}");
}

#[test]
fn env_secrets_must_be_set_and_non_empty_and_both_sources_conflict() {
    let problem = only_problem(
        CC,
        &env(&[("ACME_SECRET", "")]),
        "connections.acme.client_secret_env",
        line(CC, "client_secret_env"),
    );
    assert!(
        problem.message.contains("ACME_SECRET is empty"),
        "{problem}"
    );

    let text = format!("{CC}client_secret_file = \"/x\"\n");
    let problem = only_problem(
        &text,
        &cc_env(),
        "connections.acme.client_secret_file",
        line(&text, "client_secret_file"),
    );
    assert!(problem.message.contains("keep one"), "{problem}");
}

#[test]
fn inline_secrets_are_refused_without_echoing_them() {
    for name in [
        "client_secret",
        "password",
        "security_token",
        "refresh_token",
        "private_key",
        "access_token",
    ] {
        let text = format!("{CC}{name} = \"{}\"\n", SECRETS[6]);
        let err = load(&text, &cc_env()).unwrap_err();
        let report = format!("{err} {err:?}");
        assert!(!report.contains(SECRETS[6]), "{report}");
        let problem = err
            .problems()
            .iter()
            .find(|p| p.key == format!("connections.acme.{name}"));
        let problem = problem.unwrap_or_else(|| panic!("{report}"));
        assert_eq!(problem.origin, line(&text, &format!("{name} =")));
        assert!(
            problem.message.contains(&format!("{name}_env")),
            "{problem}"
        );
        assert!(
            problem.message.contains(&format!("{name}_file")),
            "{problem}"
        );
    }
}

#[test]
fn syntax_errors_give_a_line_without_quoting_the_source() {
    let text = format!("{CC}client_secret = \"{}\n", SECRETS[6]);
    let err = load(&text, &cc_env()).unwrap_err();
    let [problem] = err.problems() else {
        panic!("{err}")
    };
    assert_eq!(problem.origin, line(&text, "client_secret ="));
    assert_eq!(problem.key, "connections.acme.client_secret");
    assert!(!format!("{err} {err:?}").contains(SECRETS[6]), "{err}");
}

#[test]
fn all_problems_are_reported_at_once() {
    let text = CC
        .replace("62.0", "x")
        .replace("client_credentials", "nope")
        + "\n[server]\nlisten = \"?\"\n";
    let keys: Vec<String> = problems(&text, &cc_env())
        .into_iter()
        .map(|p| p.key)
        .collect();
    assert_eq!(
        keys,
        [
            "server.listen",
            "connections.acme.flow",
            "connections.acme.api_version"
        ]
    );
}

#[test]
fn shape_errors_name_the_dotted_key() {
    let text = format!("{CC}\n[api_keys.k]\nsha256 = 5\n");
    let problem = only_problem(&text, &cc_env(), "api_keys.k.sha256", line(&text, "sha256"));
    assert!(problem.message.contains("expected a string"), "{problem}");
}

#[test]
fn an_override_holding_a_secret_is_refused_without_echoing_it() {
    let mut vars = cc_env();
    vars.insert(
        "SFGATE_CONNECTIONS__ACME__PASSWORD".into(),
        SECRETS[4].into(),
    );
    let var = Origin::Env("SFGATE_CONNECTIONS__ACME__PASSWORD".into());
    let problem = only_problem(CC, &vars, "connections.acme.password", var);
    assert!(
        problem
            .message
            .contains("SFGATE_CONNECTIONS__ACME__PASSWORD_ENV"),
        "{problem}"
    );
    assert!(!problem.to_string().contains(SECRETS[4]), "{problem}");
}

#[test]
fn a_static_token_instance_must_be_allowed() {
    let (text, _) = flow_table("access_token");
    let text = text.replace(
        "instance_url = \"https://x.my.salesforce.com\"",
        "instance_url = \"https://proxy.example\"",
    );
    let secrets = env(&[("S1", "one")]);
    let on = line(&text, "instance_url");
    let problem = only_problem(&text, &secrets, "connections.c.instance_url", on);
    assert!(problem.message.contains("allowed_hosts"), "{problem}");
    let allowed = format!("{text}allowed_hosts = [\"proxy.example\"]\n");
    assert!(load(&allowed, &secrets).is_ok());
}

#[test]
fn limits_are_checked_and_overridable() {
    let text = format!("{CC}max_retries = 1\nretry_budget_percent = 0.5\nretry_base_ms = 20\n");
    let mut vars = cc_env();
    vars.insert(
        "SFGATE_CONNECTIONS__ACME__MAX_CONCURRENT".into(),
        "4".into(),
    );
    let config = load(&text, &vars).unwrap();
    let limits = &config.connections[0].limits;
    assert_eq!(limits.max_concurrent, 4);
    assert_eq!(limits.max_retries, 1);
    assert_eq!(limits.retry_base.as_millis(), 20);
    assert!((limits.retry_budget_percent - 0.5).abs() < f32::EPSILON);

    let cases = [
        ("max_concurrent = 0", "max_concurrent", "from 1 to 10000"),
        ("max_retries = \"3\"", "max_retries", "from 0 to 10"),
        (
            "daily_budget_reserve = -1",
            "daily_budget_reserve",
            "integer",
        ),
        (
            "retry_budget_percent = 2",
            "retry_budget_percent",
            "from 0 to 1",
        ),
    ];
    for (line_text, key, says) in cases {
        let text = format!("{CC}{line_text}\n");
        let on = line(&text, line_text);
        let problem = only_problem(&text, &cc_env(), &format!("connections.acme.{key}"), on);
        assert!(problem.message.contains(says), "{problem}");
    }
    vars.insert(
        "SFGATE_CONNECTIONS__ACME__MAX_CONCURRENT".into(),
        "many".into(),
    );
    let var = Origin::Env("SFGATE_CONNECTIONS__ACME__MAX_CONCURRENT".into());
    only_problem(CC, &vars, "connections.acme.max_concurrent", var);
}

#[test]
fn the_example_states_the_defaults_the_code_uses() {
    let d = UpstreamLimits::default();
    let defaults = [
        ("max_concurrent", d.max_concurrent.to_string()),
        ("daily_budget_reserve", d.daily_budget_reserve.to_string()),
        ("max_retries", d.max_retries.to_string()),
        ("retry_base_ms", d.retry_base.as_millis().to_string()),
        ("retry_budget_percent", d.retry_budget_percent.to_string()),
        (
            "retry_budget_min_per_sec",
            d.retry_budget_min_per_sec.to_string(),
        ),
    ];
    let l = Limits::default();
    let crate::limits::RateLimit::PerSecond { per_second, burst } = l.default_rate_limit else {
        panic!("the default is a rate limit")
    };
    let defaults = defaults.into_iter().chain([
        (RATE_PER_SECOND, per_second.to_string()),
        (BURST, burst.to_string()),
        (MAX_CONCURRENT_CALLS, l.max_concurrent_calls.to_string()),
        (MAX_REQUEST_BYTES, l.max_request_bytes.to_string()),
        (MAX_RECORDS, l.max_records.to_string()),
        (MAX_STREAMS_PER_CALLER, l.max_streams_per_caller.to_string()),
        (MAX_STREAMS, l.max_streams.to_string()),
    ]);
    for (key, value) in defaults {
        let documented = EXAMPLE.lines().any(|l| {
            let words: Vec<&str> = l.trim_start_matches('#').split_whitespace().collect();
            words.len() > 2 && words[0] == key && words[1] == value
        });
        assert!(documented, "{key}: default {value} not in the example");
    }
    let t = crate::limits::Transport::default();
    let ms = |d: std::time::Duration| d.as_millis().to_string();
    for (key, value) in [
        (server::MAX_CONNECTIONS, t.max_connections.to_string()),
        (
            server::MAX_CONCURRENT_STREAMS,
            t.max_concurrent_streams.to_string(),
        ),
        (
            server::FIRST_REQUEST_TIMEOUT_MS,
            ms(t.first_request_timeout),
        ),
        (server::IDLE_TIMEOUT_MS, ms(t.idle_timeout)),
        (server::KEEPALIVE_INTERVAL_MS, ms(t.keepalive_interval)),
        (server::KEEPALIVE_TIMEOUT_MS, ms(t.keepalive_timeout)),
        (server::REQUEST_BODY_TIMEOUT_MS, ms(t.request_body_timeout)),
        (server::SHUTDOWN_GRACE_MS, ms(t.shutdown_grace)),
    ] {
        let documented = EXAMPLE.lines().any(|l| {
            let words: Vec<&str> = l.trim_start_matches('#').split_whitespace().collect();
            words.len() > 2 && words[0] == key && words[1] == value
        });
        assert!(documented, "{key}: default {value} not in the example");
        assert!(
            EXAMPLE.contains(&format!("\n{key} = {value}\n")),
            "{key} not set in [server]"
        );
    }
    assert!(EXAMPLE.contains(&format!("Default {DEFAULT_TIMEOUT_MS}.")));
    assert!(EXAMPLE.contains(&format!("Default {DEFAULT_MAX_TIMEOUT_MS},")));
    assert!(EXAMPLE.contains(&format!("\nmax_timeout_ms = {DEFAULT_MAX_TIMEOUT_MS}\n")));
    assert!(EXAMPLE.contains(&format!("Default \"{DEFAULT_LISTEN}\".")));
    let bare = load("[sandbox]\nenabled = true\n", &env(&[])).unwrap();
    assert_eq!(bare.server.listen, DEFAULT_LISTEN);
    assert_eq!(
        bare.server.default_timeout.as_millis(),
        u128::from(DEFAULT_TIMEOUT_MS)
    );
    assert_eq!(bare.limits, Limits::default());
}

#[test]
fn the_example_states_the_trigger_defaults_the_code_uses() {
    let d = crate::triggers::TriggerConfig::default();
    let ms = |t: Duration| t.as_millis().to_string();
    let defaults = [
        (POLL_INTERVAL_MS, ms(d.poll_interval)),
        (MIN_INTERVAL_MS, ms(d.min_interval)),
        (MAX_INTERVAL_MS, ms(d.max_interval)),
        (OVERLAP_MS, ms(d.overlap)),
        (HEARTBEAT_MS, ms(d.heartbeat)),
        (BUFFER, d.buffer.to_string()),
        (API_SHARE, d.api_share.to_string()),
        (POLL_TIMEOUT_MS, ms(d.poll_timeout)),
    ];
    for (key, value) in defaults {
        let documented = EXAMPLE.lines().any(|l| {
            let words: Vec<&str> = l.trim_start_matches('#').split_whitespace().collect();
            words.len() > 2 && words[0] == key && words[1] == value
        });
        assert!(documented, "{key}: default {value} not in the example");
        let set = format!("{key} = {value}\n");
        assert!(EXAMPLE.contains(&set), "{key}: example sets another value");
    }
    // The example sets the defaults, so it loads to exactly them; no table means them too.
    assert_eq!(load(EXAMPLE, &example_env()).unwrap().triggers, d);
    let bare = load("[sandbox]\nenabled = true\n", &env(&[])).unwrap();
    assert_eq!(bare.triggers, d);
}

#[test]
fn trigger_settings_load_and_bad_ones_name_the_key_and_line() {
    let text = "[sandbox]\nenabled = true\n[triggers]\npoll_interval_ms = 500\nmin_interval_ms = 100\n\
                max_interval_ms = 900\noverlap_ms = 0\nbuffer = 7\napi_share = 1\n";
    let t = load(text, &env(&[])).unwrap().triggers;
    assert_eq!(t.poll_interval, Duration::from_millis(500));
    assert_eq!(t.min_interval, Duration::from_millis(100));
    assert_eq!(t.max_interval, Duration::from_millis(900));
    assert_eq!(t.overlap, Duration::ZERO);
    assert_eq!((t.buffer, t.api_share), (7, 1.0));

    let base = "[sandbox]\nenabled = true\n[triggers]\n";
    for (line_text, key, says) in [
        (
            "poll_interval_ms = 0",
            "triggers.poll_interval_ms",
            "from 1",
        ),
        ("overlap_ms = -1", "triggers.overlap_ms", "from 0"),
        (
            "heartbeat_ms = 86400001",
            "triggers.heartbeat_ms",
            "to 86400000",
        ),
        ("buffer = 0", "triggers.buffer", "from 1"),
        ("api_share = 0", "triggers.api_share", "above 0"),
        ("api_share = \"half\"", "triggers.api_share", "above 0"),
    ] {
        let text = format!("{base}{line_text}\n");
        let problem = only_problem(&text, &env(&[]), key, line(&text, line_text));
        assert!(problem.message.contains(says), "{problem}");
    }
    let unordered = format!("{base}min_interval_ms = 20000\n");
    only_problem(&unordered, &env(&[]), "triggers", Origin::File);
    let typo = format!("{base}poll_intervall_ms = 5\n");
    let problems = problems(&typo, &env(&[]));
    assert!(problems[0].key.starts_with("triggers"), "{problems:?}");
}

#[test]
fn an_unusable_jwt_private_key_refuses_to_start_naming_the_connection_and_key() {
    let (text, _) = flow_table("jwt_bearer");
    for bad in [
        "not a key at all",
        "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n-----END RSA PRIVATE KEY-----\n",
        // A public key where the private one belongs.
        "-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAK3o\n-----END PUBLIC KEY-----\n",
    ] {
        let secrets = env(&[("S_PEM", bad)]);
        let problem = only_problem(
            &text,
            &secrets,
            "connections.c.private_key_env",
            line(&text, "private_key_env"),
        );
        assert!(
            problem.message.contains("not a usable RSA private key"),
            "{problem}"
        );
        assert!(!problem.message.contains("c2VjcmV0"), "{problem}");
    }
    // From a file too: the problem names the _file key.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("key.pem"), "garbage").unwrap();
    let text = text.replace(
        "private_key_env = \"S_PEM\"",
        "private_key_file = \"key.pem\"",
    );
    let err = Config::from_toml(&text, "test.toml", dir.path(), &env(&[])).unwrap_err();
    assert_eq!(err.problems()[0].key, "connections.c.private_key_file");
}

#[test]
fn unknown_sfgate_variables_are_errors_like_unknown_keys() {
    let mut vars = cc_env();
    vars.extend(env(&[
        ("SFGATE_CONNECTIONS__ACME__CLIENT_SECRET_FLIE", "/run/x"),
        ("SFGATE_CONNECTIONS__ACME__API_VERSON", "63.0"),
        ("SFGATE_CONNECTIONS__NOPE__API_VERSION", "63.0"),
        ("SFGATE_LISTN", "127.0.0.1:1"),
        ("SFGATE_CONNECTIONS__ACME", "x"),
    ]));
    let problems = problems(CC, &vars);
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 5, "{shown:#?}");
    let find = |key: &str| {
        problems
            .iter()
            .find(|p| p.key == key)
            .unwrap_or_else(|| panic!("{key}: {shown:#?}"))
    };
    let typo = find("connections.acme.client_secret_flie");
    assert_eq!(
        typo.origin,
        Origin::Env("SFGATE_CONNECTIONS__ACME__CLIENT_SECRET_FLIE".into())
    );
    assert!(
        typo.message
            .contains("did you mean SFGATE_CONNECTIONS__ACME__CLIENT_SECRET_FILE"),
        "{typo}"
    );
    assert!(
        find("connections.acme.api_verson")
            .message
            .contains("SFGATE_CONNECTIONS__ACME__API_VERSION"),
    );
    let nope = find("connections.nope");
    assert!(nope.message.contains("names no connection"), "{nope}");
    assert!(nope.message.contains("acme"), "{nope}");
    assert!(
        find("SFGATE_LISTN")
            .message
            .contains("did you mean SFGATE_LISTEN"),
    );
    find("SFGATE_CONNECTIONS__ACME");

    // Known ones pass: the documented variables, the overrides, and a variable the file
    // names as a secret's source, even when it starts with SFGATE_.
    let text = CC.replace("ACME_SECRET", "SFGATE_MY_SECRET");
    let ok = env(&[
        ("SFGATE_MY_SECRET", "s"),
        ("SFGATE_LOG", "debug"),
        ("SFGATE_CONFIG", "/etc/sfgate.toml"),
        ("SFGATE_CONNECTIONS__ACME__API_VERSION", "63.0"),
        ("SFGATE_CONNECTIONS__ACME__MAX_CONCURRENT", "5"),
    ]);
    load(&text, &ok).unwrap();
}

#[test]
fn without_a_file_only_variables_that_need_none_are_accepted() {
    check_env_without_file(&env(&[
        ("SFGATE_LISTEN", "127.0.0.1:1"),
        ("SFGATE_LOG", "info"),
    ]))
    .unwrap();
    let err = check_env_without_file(&env(&[
        ("SFGATE_DEFAULT_TIMEOUT_MS", "5000"),
        ("SFGATE_CONNECTIONS__ACME__API_VERSION", "63.0"),
        ("SFGATE_LISTN", "x"),
    ]))
    .unwrap_err();
    let keys: Vec<&str> = err.problems().iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "SFGATE_CONNECTIONS__ACME__API_VERSION",
            "SFGATE_DEFAULT_TIMEOUT_MS",
            "SFGATE_LISTN"
        ]
    );
    assert!(err.to_string().contains("none is given"), "{err}");
}

#[test]
fn the_listen_flag_is_checked_like_the_file() {
    let text = "[sandbox]\nenabled = true\n";
    let flags = Flags {
        listen: Some("0.0.0.0:50051".parse().unwrap()),
    };
    let err = Config::from_toml_with_flags(text, "t.toml", Path::new("."), &env(&[]), &flags)
        .unwrap_err();
    assert_eq!(err.problems()[0].key, "sandbox.enabled");
    assert!(err.to_string().contains("from --listen"), "{err}");
    // The flag wins over the environment and the file.
    let flags = Flags {
        listen: Some("127.0.0.1:7001".parse().unwrap()),
    };
    let config = Config::from_toml_with_flags(
        "[server]\nlisten = \"127.0.0.1:7000\"\n[sandbox]\nenabled = true\n",
        "t.toml",
        Path::new("."),
        &env(&[(ENV_LISTEN, "127.0.0.1:7002")]),
        &flags,
    )
    .unwrap();
    assert_eq!(config.server.listen, "127.0.0.1:7001".parse().unwrap());
}
