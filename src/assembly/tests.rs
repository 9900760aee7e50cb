//! The wiring of a configuration into a gateway, from the configuration files and variables
//! the operator writes (the helpers are the configuration tests').

use std::path::Path;

use crate::caller::Permission;
use crate::config::tests::{
    CC, EXAMPLE, KEY, cc_env, env, example_env, line, load, only_problem, with_key,
};
use crate::config::{Config, ENV_SANDBOX_ENABLED, Origin};
use crate::server::Gateway;

/// The wiring as methods of [`Config`], as the tests read before it left the configuration.
trait Wired {
    fn auth_keys(&self) -> Vec<crate::caller::ApiKey>;
    fn startup_warnings(&self) -> Vec<String>;
    fn sandbox_config(&self) -> Option<crate::sandbox::SandboxConfig>;
    fn gateway(&self, http: &reqwest::Client) -> Gateway;
}

impl Wired for Config {
    fn auth_keys(&self) -> Vec<crate::caller::ApiKey> {
        super::auth_keys(self)
    }
    fn startup_warnings(&self) -> Vec<String> {
        super::startup_warnings(self)
    }
    fn sandbox_config(&self) -> Option<crate::sandbox::SandboxConfig> {
        super::sandbox_config(self)
    }
    fn gateway(&self, http: &reqwest::Client) -> Gateway {
        super::gateway(self, http)
    }
}

#[test]
fn keys_become_auth_entries_with_the_hash_sfgate_hash_key_prints() {
    let config = load(EXAMPLE, &example_env()).unwrap();
    let keys = config.auth_keys();
    let voice = keys
        .iter()
        .find(|k| k.caller.key_name == "voice-agent")
        .unwrap();
    // The example's voice-agent hash is that of the key "test".
    let hex: String = voice.hash.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, crate::caller::ApiKey::hash_hex("test"));
    assert_eq!(voice.caller.default_connection, "acme");
    assert!(voice.caller.permissions.contains(&Permission::Write));
    assert!(!voice.caller.permissions.contains(&Permission::Delete));

    let single = with_key(&format!(
        "sha256 = \"{KEY}\"\nconnections = [\"acme\"]\npermissions = [\"query\"]"
    ));
    let keys = load(&single, &cc_env()).unwrap().auth_keys();
    assert_eq!(keys[0].caller.default_connection, "acme");
    // No list, but the gateway has one connection: that one.
    let all = with_key(&format!("sha256 = \"{KEY}\"\npermissions = [\"query\"]"));
    let keys = load(&all, &cc_env()).unwrap().auth_keys();
    assert_eq!(keys[0].caller.default_connection, "acme");
    // Several: none, so requests must name one.
    let example = load(EXAMPLE, &example_env()).unwrap().auth_keys();
    let ops = example.iter().find(|k| k.caller.key_name == "ops").unwrap();
    assert_eq!(ops.caller.default_connection, "");

    let gateway = load(EXAMPLE, &example_env())
        .unwrap()
        .gateway(&reqwest::Client::new());
    assert_eq!(gateway.connections.len(), 5);
    assert_eq!(gateway.api_keys.len(), 2);
}

#[test]
fn the_sandbox_config_carries_the_seed_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("seed.json"), "{}").unwrap();
    let text = "[sandbox]\nenabled = true\nseed_file = \"seed.json\"\n";
    let config = Config::from_toml(text, "t.toml", dir.path(), &env(&[])).unwrap();
    let sandbox = config.sandbox_config().unwrap();
    assert_eq!(sandbox.seed_path, Some(dir.path().join("seed.json")));

    let err = Config::from_toml(text, "t.toml", Path::new("/nonexistent"), &env(&[])).unwrap_err();
    let [problem] = err.problems() else {
        panic!("{err}")
    };
    assert_eq!(
        (problem.key.as_str(), &problem.origin),
        ("sandbox.seed_file", &Origin::Line(3))
    );

    let off = env(&[(ENV_SANDBOX_ENABLED, "false")]);
    let err = Config::from_toml(text, "t.toml", dir.path(), &off).unwrap_err();
    assert_eq!(err.problems()[0].key, "connections");
}

#[test]
fn caller_limits_are_read_checked_and_reach_the_gateway() {
    use crate::limits::RateLimit;

    let config = load(EXAMPLE, &example_env()).unwrap();
    assert_eq!(
        config.limits.rate_limit("voice-agent"),
        RateLimit::per_second(20, 40).unwrap()
    );
    assert_eq!(config.limits.rate_limit("ops"), RateLimit::default());

    let text = format!(
        "{CC}\n[limits]\nrate_per_second = 5\nmax_records = 10\nmax_concurrent_calls = 3\n\
         [api_keys.voice]\nsha256 = \"{KEY}\"\npermissions = [\"query\"]\nburst = 7\n"
    );
    let config = load(&text, &cc_env()).unwrap();
    let gateway = config.gateway(&reqwest::Client::new());
    assert_eq!(gateway.limits.max_records, 10);
    assert_eq!(gateway.limits.max_concurrent_calls, 3);
    assert_eq!(
        gateway.limits.default_rate_limit,
        RateLimit::per_second(5, 200).unwrap()
    );
    // A key's own burst, with the [limits] rate.
    assert_eq!(
        gateway.limits.rate_limit("voice"),
        RateLimit::per_second(5, 7).unwrap()
    );

    for (table, line_text, key) in [
        ("[limits]", "max_records = 0", "limits.max_records"),
        ("[limits]", "rate_per_second = -1", "limits.rate_per_second"),
        (
            "[limits]",
            "max_request_bytes = 10",
            "limits.max_request_bytes",
        ),
        (
            "[api_keys.voice]\nsha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"\npermissions = [\"query\"]",
            "burst = 0",
            "api_keys.voice.burst",
        ),
    ] {
        let text = format!("{CC}\n{table}\n{line_text}\n");
        let problem = only_problem(&text, &cc_env(), key, line(&text, line_text));
        assert!(
            problem.message.contains("expected an integer from"),
            "{problem}"
        );
    }
    let text = format!("{CC}\n[limits]\nmax_calls = 3\n");
    let problem = only_problem(
        &text,
        &cc_env(),
        "limits.max_calls",
        line(&text, "max_calls"),
    );
    assert!(problem.message.contains("max_calls"), "{problem}");
}

#[test]
fn server_connection_settings_are_read_checked_and_reach_the_gateway() {
    let text = format!(
        "[server]\nmax_connections = 50\nmax_concurrent_streams = 7\nfirst_request_timeout_ms = 1500\n\
         idle_timeout_ms = 60000\nkeepalive_interval_ms = 30000\nkeepalive_timeout_ms = 5000\n\
         request_body_timeout_ms = 2000\nshutdown_grace_ms = 0\n{CC}"
    );
    let gateway = load(&text, &cc_env())
        .unwrap()
        .gateway(&reqwest::Client::new());
    let ms = std::time::Duration::from_millis;
    assert_eq!(
        gateway.transport,
        crate::limits::Transport {
            max_connections: 50,
            max_concurrent_streams: 7,
            first_request_timeout: ms(1500),
            idle_timeout: ms(60_000),
            keepalive_interval: ms(30_000),
            keepalive_timeout: ms(5000),
            request_body_timeout: ms(2000),
            shutdown_grace: ms(0),
        }
    );
    for line_text in [
        "max_connections = 0",
        "max_concurrent_streams = 100000",
        "first_request_timeout_ms = 5",
        "idle_timeout_ms = -1",
        "keepalive_interval_ms = 999",
        "keepalive_timeout_ms = 0",
        "request_body_timeout_ms = 600001",
        "shutdown_grace_ms = 600001",
    ] {
        let text = format!("[server]\n{line_text}\n{CC}");
        let key = format!("server.{}", line_text.split(' ').next().unwrap());
        let problem = only_problem(&text, &cc_env(), &key, line(&text, line_text));
        assert!(
            problem.message.contains("expected an integer from"),
            "{problem}"
        );
    }
}

#[test]
fn the_page_token_key_is_a_secret_of_at_least_32_bytes() {
    let key = "k".repeat(48);
    let text = format!("[server]\npage_token_key_env = \"TOKEN_KEY\"\n{CC}");
    let mut vars = cc_env();
    vars.insert("TOKEN_KEY".into(), key.clone());
    let config = load(&text, &vars).unwrap();
    assert_eq!(
        config.server.page_token_key,
        crate::config::PageTokenKey::new(key.as_bytes())
    );
    assert!(!format!("{config:?}").contains(&key), "never in Debug");
    let gateway = config.gateway(&reqwest::Client::new());
    assert!(!gateway.page_token_key.is_generated());

    // From a file, relative to the config's folder.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("key"), format!("{key}\n")).unwrap();
    let text_file = format!("[server]\npage_token_key_file = \"key\"\n{CC}");
    let config = Config::from_toml(&text_file, "test.toml", dir.path(), &cc_env()).unwrap();
    assert_eq!(
        config.server.page_token_key,
        crate::config::PageTokenKey::new(key.as_bytes())
    );

    // Unset: generated at start.
    let gateway = load(CC, &cc_env())
        .unwrap()
        .gateway(&reqwest::Client::new());
    assert!(gateway.page_token_key.is_generated());

    // Too short (the message gives the length, never the key), inline, or unset variable.
    vars.insert("TOKEN_KEY".into(), "short".into());
    let problem = only_problem(
        &text,
        &vars,
        "server.page_token_key_env",
        line(&text, "page_token_key_env"),
    );
    assert!(problem.message.contains("at least 32"), "{problem}");
    assert!(!problem.message.contains("short"), "{problem}");
    let inline = format!("[server]\npage_token_key = \"{key}\"\n{CC}");
    let problem = only_problem(
        &inline,
        &cc_env(),
        "server.page_token_key",
        line(&inline, "page_token_key ="),
    );
    assert!(
        problem.message.contains("inline secrets are refused"),
        "{problem}"
    );
    let problem = only_problem(
        &text,
        &cc_env(),
        "server.page_token_key_env",
        line(&text, "page_token_key_env"),
    );
    assert!(
        problem.message.contains("TOKEN_KEY is not set"),
        "{problem}"
    );
}

#[test]
fn max_timeout_caps_callers_deadlines_and_is_at_least_the_default() {
    let config = load(CC, &cc_env()).unwrap();
    assert_eq!(config.server.max_timeout.as_millis(), 600_000);
    let text = format!("[server]\ndefault_timeout_ms = 2000\nmax_timeout_ms = 30000\n{CC}");
    let gateway = load(&text, &cc_env())
        .unwrap()
        .gateway(&reqwest::Client::new());
    assert_eq!(
        (
            gateway.default_timeout.as_millis(),
            gateway.max_timeout.as_millis()
        ),
        (2000, 30_000)
    );
    let text = format!("[server]\ndefault_timeout_ms = 20000\nmax_timeout_ms = 5000\n{CC}");
    let problem = only_problem(
        &text,
        &cc_env(),
        "server.max_timeout_ms",
        line(&text, "max_timeout_ms"),
    );
    assert!(
        problem.message.contains("shorter than default_timeout_ms"),
        "{problem}"
    );
    let text = format!("[server]\nmax_timeout_ms = 0\n{CC}");
    only_problem(
        &text,
        &cc_env(),
        "server.max_timeout_ms",
        line(&text, "max_timeout_ms"),
    );
}

#[test]
fn start_up_says_when_no_key_can_call_and_which_keys_must_name_a_connection() {
    let warnings = load(CC, &cc_env()).unwrap().startup_warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("no [api_keys]"), "{warnings:?}");
    assert!(warnings[0].contains("acme"), "{warnings:?}");
    let warnings = load(EXAMPLE, &example_env()).unwrap().startup_warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("\"ops\""), "{warnings:?}");
    let one = with_key(&format!("sha256 = \"{KEY}\"\npermissions = [\"query\"]"));
    assert!(load(&one, &cc_env()).unwrap().startup_warnings().is_empty());
}
