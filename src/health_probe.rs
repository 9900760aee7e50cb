//! `sfgate health [ADDR]`: probes a running gateway over the standard gRPC health protocol
//! (`grpc.health.v1.Health/Check`, <https://github.com/grpc/grpc/blob/master/doc/health-checking.md>)
//! and exits 0 only when every service it asked about is `SERVING`. For container health
//! checks (the Dockerfile's `HEALTHCHECK`), scripts and an operator at a terminal.
//!
//! It always asks about the whole server (service `""`), then each `--service`, each
//! `--connection NAME` (the gateway reports a connection as `sfgate.connection.NAME`, see
//! [`crate::api::health`]), or, with `--all-connections`, every connection of the
//! configuration file. The health protocol has no way to list services, so the names come
//! from the caller or from that file.
//!
//! # Exit codes
//!
//! | code | meaning |
//! |---|---|
//! | 0 | every service asked about is `SERVING` |
//! | 1 | a service answered `NOT_SERVING` (or `UNKNOWN`) |
//! | 2 | the command line or the configuration file is unusable (as for any clap usage error) |
//! | 3 | no answer: the address is unreachable, nothing answered within `--timeout-ms`, or the health service failed |
//! | 4 | the gateway does not report a service asked about (a misspelt or unconfigured connection) |
//!
//! When services fail differently, the code is the first of 3, 4, 1 that applies. Each
//! service probed gets one line: `NAME: SERVING` on standard output, or the reason on
//! standard error.
//!
//! # Address
//!
//! `ADDR` is `HOST:PORT`, plaintext gRPC like the server. Without it: `SFGATE_LISTEN`, else
//! the configuration file's `[server] listen`, else `127.0.0.1:50051` — where `sfgate serve`
//! listens with the same settings. An unspecified address (`0.0.0.0`, `[::]`, a container's
//! listen address) is probed on the loopback address of its family.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use tokio::time::Instant;
use tonic::transport::Endpoint;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

use crate::api::health::service_name;
use crate::config::{DEFAULT_LISTEN, ENV_CONFIG, ENV_LISTEN, ENV_SANDBOX_ENABLED, Env};

/// Every service asked about is `SERVING`.
pub const EXIT_SERVING: u8 = 0;
/// A service answered `NOT_SERVING` (or `UNKNOWN`).
pub const EXIT_NOT_SERVING: u8 = 1;
/// The command line or the configuration file is unusable (clap's code for usage errors).
pub const EXIT_USAGE: u8 = 2;
/// No answer: unreachable, timed out, or the health service failed.
pub const EXIT_NO_ANSWER: u8 = 3;
/// The gateway does not report a service asked about.
pub const EXIT_UNKNOWN_SERVICE: u8 = 4;

/// The default of `--timeout-ms`: the whole probe, connecting included.
pub const DEFAULT_TIMEOUT_MS: u64 = 2000;

/// `sfgate health`'s command line.
#[derive(Debug, Clone, clap::Args)]
pub struct HealthArgs {
    /// The gateway's gRPC address, HOST:PORT (plaintext). Default: SFGATE_LISTEN, else the
    /// configuration file's server.listen, else 127.0.0.1:50051; an unspecified address
    /// (0.0.0.0 or ::) is probed on loopback.
    pub addr: Option<String>,
    /// Also probe this connection (health service `sfgate.connection.NAME`); repeatable.
    #[arg(long = "connection", value_name = "NAME")]
    pub connections: Vec<String>,
    /// Also probe every connection of the configuration file (--config), or the embedded
    /// default's `sandbox` when no file is given.
    #[arg(long)]
    pub all_connections: bool,
    /// Also probe this gRPC health service (e.g. sfgate.v1.SalesforceService, which turns
    /// NOT_SERVING when the gateway starts shutting down); repeatable.
    #[arg(long = "service", value_name = "NAME")]
    pub services: Vec<String>,
    /// How long the whole probe may take, connecting included, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_TIMEOUT_MS,
          value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub timeout_ms: u64,
    /// The gateway's configuration file: where it listens (when neither ADDR nor
    /// SFGATE_LISTEN is given) and its connections (--all-connections). Only those two
    /// settings are read; secrets need not be present.
    #[arg(long, value_name = "FILE", env = ENV_CONFIG)]
    pub config: Option<PathBuf>,
}

/// What one service's probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `SERVING`.
    Serving,
    /// Answered with another status: `NOT_SERVING` or `UNKNOWN` (its name).
    NotServing(&'static str),
    /// The gateway does not report this service (`NOT_FOUND`).
    UnknownService,
    /// No answer: the reason (unreachable, timed out, the health service failed).
    NoAnswer(String),
}

impl Outcome {
    /// The process exit code this outcome alone calls for.
    pub fn exit_code(&self) -> u8 {
        match self {
            Outcome::Serving => EXIT_SERVING,
            Outcome::NotServing(_) => EXIT_NOT_SERVING,
            Outcome::UnknownService => EXIT_UNKNOWN_SERVICE,
            Outcome::NoAnswer(_) => EXIT_NO_ANSWER,
        }
    }
}

/// The exit code for a whole probe: 0 when all served, else the first of 3, 4, 1 that
/// applies.
pub fn exit_code<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>) -> u8 {
    let codes: Vec<u8> = outcomes.into_iter().map(Outcome::exit_code).collect();
    [EXIT_NO_ANSWER, EXIT_UNKNOWN_SERVICE, EXIT_NOT_SERVING]
        .into_iter()
        .find(|code| codes.contains(code))
        .unwrap_or(EXIT_SERVING)
}

/// Runs `sfgate health`: prints a line per service and returns the exit code. `env` gives
/// `SFGATE_LISTEN` and `SFGATE_SANDBOX_ENABLED` (the process environment in `main`).
pub async fn run(args: HealthArgs, env: &impl Env) -> ExitCode {
    let plan = match plan(&args, env) {
        Ok(plan) => plan,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let timeout = Duration::from_millis(args.timeout_ms);
    let outcomes = probe(&plan.authority, &plan.services, timeout).await;
    report(&plan.authority, &plan.services, &outcomes);
    ExitCode::from(exit_code(&outcomes))
}

/// Where to probe and what to ask about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// `HOST:PORT`.
    pub authority: String,
    /// The health service names, `""` (the whole server) first, without duplicates.
    pub services: Vec<String>,
}

/// Resolves the address and the services from the command line, `env` and the
/// configuration file. Errors are one line, naming the argument or file at fault.
pub fn plan(args: &HealthArgs, env: &impl Env) -> Result<Plan, String> {
    // The file is read only when something needs it: a container's health check (ADDR or
    // SFGATE_LISTEN given) works even where the file is unreadable.
    let file = match (
        &args.config,
        args.addr.is_none() && env.var(ENV_LISTEN).is_none(),
    ) {
        (Some(path), true) => Some(ConfigFile::read(path)?),
        (Some(path), false) if args.all_connections => Some(ConfigFile::read(path)?),
        _ => None,
    };
    let authority = match (&args.addr, env.var(ENV_LISTEN)) {
        (Some(addr), _) => parse_addr(addr).map_err(|e| format!("ADDR {addr:?}: {e}"))?,
        (None, Some(value)) => {
            parse_addr(&value).map_err(|e| format!("{ENV_LISTEN}={value:?}: {e}"))?
        }
        (None, None) => match file.as_ref().and_then(|f| f.listen.clone()) {
            Some(listen) => parse_addr(&listen).map_err(|e| {
                let path = args.config.as_deref().unwrap_or(Path::new("")).display();
                format!("{path}: [server] listen {listen:?}: {e}")
            })?,
            None => DEFAULT_LISTEN.to_string(),
        },
    };
    let mut services = vec![String::new()];
    for service in &args.services {
        if service.is_empty() {
            return Err("--service: the name is empty (the whole server is always probed)".into());
        }
        services.push(service.clone());
    }
    let mut connections = args.connections.clone();
    if args.all_connections {
        connections.extend(match &file {
            Some(file) => file.connections(env)?,
            None => vec![crate::config::SANDBOX_CONNECTION.to_owned()],
        });
    }
    for connection in &connections {
        check_connection_name(connection)
            .map_err(|e| format!("--connection {connection:?}: {e}"))?;
        services.push(service_name(connection));
    }
    let mut seen = std::collections::HashSet::new();
    services.retain(|s| seen.insert(s.clone()));
    Ok(Plan {
        authority,
        services,
    })
}

/// `HOST:PORT` from an address as `sfgate serve` takes one, or a host name with a port.
/// An unspecified IP address becomes the loopback address of its family.
pub fn parse_addr(addr: &str) -> Result<String, String> {
    let addr = addr.trim();
    if addr.contains("://") || addr.contains('/') {
        return Err("expected HOST:PORT, like 127.0.0.1:50051 (no scheme: plaintext gRPC)".into());
    }
    if let Ok(socket) = addr.parse::<SocketAddr>() {
        let ip = match socket.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        return Ok(SocketAddr::new(ip, socket.port()).to_string());
    }
    let authority: http::uri::Authority = addr
        .parse()
        .map_err(|_| "expected HOST:PORT, like 127.0.0.1:50051".to_owned())?;
    if authority.port_u16().is_none() || authority.host().is_empty() {
        return Err("expected HOST:PORT, like 127.0.0.1:50051 (the port is required)".into());
    }
    if addr.contains('@') {
        return Err("expected HOST:PORT, like 127.0.0.1:50051 (no user info)".into());
    }
    Ok(authority.to_string())
}

/// Connection names hold letters, digits, `-` and `_` (as the configuration requires).
fn check_connection_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("the name is empty");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err("a connection name holds only letters, digits, '-' and '_'");
    }
    Ok(())
}

/// The two settings `sfgate health` reads from a configuration file.
#[derive(Debug)]
struct ConfigFile {
    path: PathBuf,
    listen: Option<String>,
    connections: Vec<String>,
    sandbox_enabled: Option<bool>,
}

impl ConfigFile {
    fn read(path: &Path) -> Result<ConfigFile, String> {
        let shown = path.display();
        let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?;
        let table: toml::Table = toml::from_str(&text).map_err(|e| {
            let first = e.to_string();
            format!("{shown}: not TOML: {}", first.lines().next().unwrap_or(""))
        })?;
        let wrong = |key: &str, what: &str| format!("{shown}: {key}: expected {what}");
        let listen = match table.get("server").and_then(|s| s.get("listen")) {
            None => None,
            Some(toml::Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(wrong("server.listen", "a string like \"0.0.0.0:50051\"")),
        };
        let connections = match table.get("connections") {
            None => Vec::new(),
            Some(toml::Value::Table(t)) => t.keys().cloned().collect(),
            Some(_) => return Err(wrong("connections", "a table of [connections.NAME]")),
        };
        let sandbox_enabled = match table.get("sandbox").and_then(|s| s.get("enabled")) {
            None => None,
            Some(toml::Value::Boolean(b)) => Some(*b),
            Some(_) => return Err(wrong("sandbox.enabled", "true or false")),
        };
        Ok(ConfigFile {
            path: path.to_owned(),
            listen,
            connections,
            sandbox_enabled,
        })
    }

    /// The connections the gateway serves with this file: each `[connections.NAME]`, and
    /// `sandbox` while the embedded sandbox is enabled (`SFGATE_SANDBOX_ENABLED` wins).
    fn connections(&self, env: &impl Env) -> Result<Vec<String>, String> {
        let enabled = match env.var(ENV_SANDBOX_ENABLED) {
            Some(value) => match value.trim() {
                "true" | "1" => true,
                "false" | "0" | "" => false,
                _ => {
                    return Err(format!(
                        "{ENV_SANDBOX_ENABLED}={value:?}: expected true or false ({})",
                        self.path.display()
                    ));
                }
            },
            None => self.sandbox_enabled.unwrap_or(false),
        };
        let mut names = self.connections.clone();
        if enabled {
            names.push(crate::config::SANDBOX_CONNECTION.to_owned());
        }
        Ok(names)
    }
}

/// Asks `authority` about each of `services` over one HTTP/2 connection, all within
/// `timeout`. The outcomes are in the order of `services`.
pub async fn probe(authority: &str, services: &[String], timeout: Duration) -> Vec<Outcome> {
    let deadline = Instant::now() + timeout;
    let within = format!(
        "no answer from {authority} within {} ms",
        timeout.as_millis()
    );
    let endpoint = match Endpoint::from_shared(format!("http://{authority}")) {
        // No connect timeout of its own: the deadline below bounds connecting too, so a
        // probe that runs out of time always says so the same way.
        Ok(endpoint) => endpoint,
        Err(e) => return vec![Outcome::NoAnswer(format!("{authority}: {e}")); services.len()],
    };
    let channel = match tokio::time::timeout_at(deadline, endpoint.connect()).await {
        Ok(Ok(channel)) => channel,
        Ok(Err(_)) if Instant::now() >= deadline => {
            return vec![Outcome::NoAnswer(within); services.len()];
        }
        Ok(Err(e)) => {
            let reason = format!("cannot reach {authority}: {}", error_chain(&e));
            return vec![Outcome::NoAnswer(reason); services.len()];
        }
        Err(_) => return vec![Outcome::NoAnswer(within); services.len()],
    };
    let client = HealthClient::new(channel);
    let checks = services.iter().map(|service| {
        let mut client = client.clone();
        let within = within.clone();
        async move {
            let mut request = tonic::Request::new(HealthCheckRequest {
                service: service.clone(),
            });
            request.set_timeout(deadline.saturating_duration_since(Instant::now()));
            match tokio::time::timeout_at(deadline, client.check(request)).await {
                Err(_) => Outcome::NoAnswer(within),
                Ok(Err(status)) if status.code() == tonic::Code::NotFound => {
                    Outcome::UnknownService
                }
                // The deadline sent as grpc-timeout also ends the call on this side
                // (CANCELLED "Timeout expired"), racing the timer above.
                Ok(Err(status))
                    if matches!(
                        status.code(),
                        tonic::Code::DeadlineExceeded | tonic::Code::Cancelled
                    ) || Instant::now() >= deadline =>
                {
                    Outcome::NoAnswer(within)
                }
                Ok(Err(status)) => Outcome::NoAnswer(format!(
                    "{authority} answered the health check with {:?}: {}",
                    status.code(),
                    status.message()
                )),
                Ok(Ok(response)) => match ServingStatus::try_from(response.into_inner().status) {
                    Ok(ServingStatus::Serving) => Outcome::Serving,
                    Ok(ServingStatus::ServiceUnknown) => Outcome::UnknownService,
                    Ok(ServingStatus::NotServing) => Outcome::NotServing("NOT_SERVING"),
                    Ok(ServingStatus::Unknown) | Err(_) => Outcome::NotServing("UNKNOWN"),
                },
            }
        }
    });
    futures_util::future::join_all(checks).await
}

/// One line per service: `NAME: SERVING` on standard output, the reason on standard error
/// (a reason shared by every service, such as an unreachable address, once).
fn report(authority: &str, services: &[String], outcomes: &[Outcome]) {
    let mut said = std::collections::HashSet::new();
    for (service, outcome) in services.iter().zip(outcomes) {
        let name = if service.is_empty() {
            "server"
        } else {
            service.as_str()
        };
        match outcome {
            Outcome::Serving => println!("{name}: SERVING"),
            Outcome::NotServing(status) => eprintln!("error: {name} at {authority}: {status}"),
            Outcome::UnknownService => eprintln!(
                "error: {name} at {authority}: unknown service (the gateway does not report it: check the name)"
            ),
            Outcome::NoAnswer(reason) => {
                if said.insert(reason.clone()) {
                    eprintln!("error: {reason}");
                }
            }
        }
    }
}

/// An error and its sources on one line (tonic's "transport error" alone says nothing).
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn args(addr: Option<&str>) -> HealthArgs {
        HealthArgs {
            addr: addr.map(str::to_owned),
            connections: Vec::new(),
            all_connections: false,
            services: Vec::new(),
            timeout_ms: DEFAULT_TIMEOUT_MS,
            config: None,
        }
    }

    fn no_env() -> HashMap<&'static str, &'static str> {
        HashMap::new()
    }

    #[test]
    fn addresses_are_host_and_port_with_unspecified_ones_probed_on_loopback() {
        for (given, probed) in [
            ("127.0.0.1:50051", "127.0.0.1:50051"),
            ("0.0.0.0:50051", "127.0.0.1:50051"),
            ("[::]:7000", "[::1]:7000"),
            ("[::1]:7000", "[::1]:7000"),
            (" 10.1.2.3:80 ", "10.1.2.3:80"),
            ("sfgate.prod.svc:50051", "sfgate.prod.svc:50051"),
            ("localhost:1", "localhost:1"),
        ] {
            assert_eq!(parse_addr(given).as_deref(), Ok(probed), "{given}");
        }
        for bad in [
            "",
            "127.0.0.1",
            "localhost",
            "http://127.0.0.1:50051",
            "127.0.0.1:50051/x",
            "127.0.0.1:99999",
            ":50051",
            "user@host:1",
            "a b:1",
        ] {
            assert!(parse_addr(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn the_address_is_addr_then_sfgate_listen_then_the_default() {
        let plan_of = |args: &HealthArgs, env: &HashMap<&str, &str>| plan(args, env).unwrap();
        assert_eq!(plan_of(&args(None), &no_env()).authority, "127.0.0.1:50051");
        let env = HashMap::from([(ENV_LISTEN, "0.0.0.0:6000")]);
        assert_eq!(plan_of(&args(None), &env).authority, "127.0.0.1:6000");
        assert_eq!(plan_of(&args(Some("[::1]:7")), &env).authority, "[::1]:7");
        let env = HashMap::from([(ENV_LISTEN, "nonsense")]);
        let err = plan(&args(None), &env).unwrap_err();
        assert!(err.starts_with("SFGATE_LISTEN=\"nonsense\": "), "{err}");
    }

    #[test]
    fn the_whole_server_comes_first_then_services_and_connections_once_each() {
        let mut a = args(None);
        a.services = vec!["sfgate.v1.SalesforceService".into()];
        a.connections = vec!["acme".into(), "voice-eu".into(), "acme".into()];
        assert_eq!(
            plan(&a, &no_env()).unwrap().services,
            [
                "",
                "sfgate.v1.SalesforceService",
                "sfgate.connection.acme",
                "sfgate.connection.voice-eu"
            ]
        );
        for bad in ["", "acme corp", "acme.eu", "sfgate.connection.acme"] {
            let mut a = args(None);
            a.connections = vec![bad.into()];
            let err = plan(&a, &no_env()).unwrap_err();
            assert!(err.starts_with("--connection "), "{bad:?}: {err}");
        }
        let mut a = args(None);
        a.services = vec![String::new()];
        assert!(plan(&a, &no_env()).unwrap_err().starts_with("--service"));
    }

    #[test]
    fn all_connections_are_the_files_and_the_sandbox_while_it_is_enabled() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sfgate.toml");
        std::fs::write(
            &path,
            "[server]\nlisten = \"0.0.0.0:6001\"\n[sandbox]\nenabled = true\n\
             [connections.acme]\napi_version = \"62.0\"\n[connections.voice-eu]\n",
        )
        .unwrap();
        let mut a = args(None);
        a.all_connections = true;
        a.config = Some(path.clone());
        let plan_ = plan(&a, &no_env()).unwrap();
        assert_eq!(plan_.authority, "127.0.0.1:6001", "[server] listen");
        assert_eq!(
            plan_.services,
            [
                "",
                "sfgate.connection.acme",
                "sfgate.connection.voice-eu",
                "sfgate.connection.sandbox"
            ]
        );
        let env = HashMap::from([(ENV_SANDBOX_ENABLED, "false")]);
        assert_eq!(
            plan(&a, &env).unwrap().services.len(),
            3,
            "the override wins"
        );
        let env = HashMap::from([(ENV_SANDBOX_ENABLED, "maybe")]);
        assert!(
            plan(&a, &env)
                .unwrap_err()
                .starts_with("SFGATE_SANDBOX_ENABLED")
        );

        // Without a file: the embedded default's one connection.
        a.config = None;
        assert_eq!(
            plan(&a, &no_env()).unwrap().services,
            ["", "sfgate.connection.sandbox"]
        );
    }

    #[test]
    fn an_unusable_file_is_an_error_naming_it_but_only_when_it_is_needed() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.toml");
        let mut a = args(None);
        a.config = Some(missing.clone());
        let err = plan(&a, &no_env()).unwrap_err();
        assert!(err.contains("missing.toml"), "{err}");
        // ADDR or SFGATE_LISTEN given: the file is not needed (a container's health check).
        a.addr = Some("127.0.0.1:1".into());
        assert!(plan(&a, &no_env()).is_ok());
        let env = HashMap::from([(ENV_LISTEN, "0.0.0.0:50051")]);
        a.addr = None;
        assert!(plan(&a, &env).is_ok());

        for (text, key) in [
            ("[server\n", "not TOML"),
            ("[server]\nlisten = 50051\n", "server.listen"),
            ("connections = 1\n", "connections"),
            ("[sandbox]\nenabled = \"yes\"\n", "sandbox.enabled"),
        ] {
            let path = dir.path().join("bad.toml");
            std::fs::write(&path, text).unwrap();
            let mut a = args(None);
            a.all_connections = true;
            a.config = Some(path);
            let err = plan(&a, &no_env()).unwrap_err();
            assert!(
                err.contains("bad.toml") && err.contains(key),
                "{text:?}: {err}"
            );
        }
    }

    #[test]
    fn the_exit_code_prefers_no_answer_then_unknown_then_not_serving() {
        use Outcome::*;
        assert_eq!(exit_code(&[Serving, Serving]), 0);
        assert_eq!(exit_code(&[Serving, NotServing("NOT_SERVING")]), 1);
        assert_eq!(exit_code(&[NotServing("UNKNOWN"), UnknownService]), 4);
        assert_eq!(exit_code(&[UnknownService, NoAnswer("x".into())]), 3);
        assert_eq!(exit_code(&[]), 0);
    }
}
