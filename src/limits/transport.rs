//! How the server accepts, keeps and closes connections: the settings of `[server]` that
//! protect the process from clients that open connections and then do nothing, send half a
//! request, or never leave.
//!
//! Every value has a default chosen for a gateway on the public side of a load balancer; the
//! README's "Hardening" section lists them all.

use std::time::Duration;

/// The connection-level settings of the gRPC server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transport {
    /// Most client connections open at once. A connection accepted over it is closed at
    /// once (the client sees its connection reset and retries), so the listen queue keeps
    /// draining and no file descriptor is spent on it. Lowered at start to fit the process's
    /// open-file limit.
    pub max_connections: usize,
    /// Most requests (HTTP/2 streams) open at once on one connection (the
    /// `SETTINGS_MAX_CONCURRENT_STREAMS` the server announces).
    pub max_concurrent_streams: u32,
    /// A new connection must have sent its first complete request headers within this
    /// long, or it is closed: covers connections that send nothing, only the HTTP/2
    /// preface, or half a HEADERS frame.
    pub first_request_timeout: Duration,
    /// A connection with no request in flight for this long is closed with an HTTP/2
    /// GOAWAY (clients reconnect on their next call, without error).
    pub idle_timeout: Duration,
    /// How often the server pings a connection that has been quiet (HTTP/2 PING), so the
    /// connections of crashed clients and half-open sockets are found and closed.
    pub keepalive_interval: Duration,
    /// How long a ping may go unanswered before the connection is closed.
    pub keepalive_timeout: Duration,
    /// A request message must have arrived whole within this long of its headers, or the
    /// call is refused with `DEADLINE_EXCEEDED` `REQUEST_BODY_TIMEOUT`. Only a call whose
    /// message has arrived takes an in-flight slot.
    pub request_body_timeout: Duration,
    /// On SIGTERM: how long calls in flight may take to finish before the remaining
    /// connections are closed and the process exits, whatever the clients do.
    pub shutdown_grace: Duration,
}

/// See [`Transport::max_connections`]: 10,000 connections of about 15 KB each when idle.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// See [`Transport::max_concurrent_streams`]: gRPC's usual 100 (grpc-java's default).
pub const DEFAULT_MAX_CONCURRENT_STREAMS: u32 = 100;
/// See [`Transport::first_request_timeout`].
pub const DEFAULT_FIRST_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// See [`Transport::idle_timeout`].
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// See [`Transport::keepalive_interval`].
pub const DEFAULT_KEEPALIVE_INTERVAL: Duration = Duration::from_secs(60);
/// See [`Transport::keepalive_timeout`].
pub const DEFAULT_KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);
/// See [`Transport::request_body_timeout`]: a request message is at most 1 MiB and
/// normally arrives with its headers.
pub const DEFAULT_REQUEST_BODY_TIMEOUT: Duration = Duration::from_secs(5);
/// See [`Transport::shutdown_grace`]: well under Kubernetes' default 30 s
/// `terminationGracePeriodSeconds`, after which the process would be killed.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

impl Default for Transport {
    fn default() -> Self {
        Transport {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_concurrent_streams: DEFAULT_MAX_CONCURRENT_STREAMS,
            first_request_timeout: DEFAULT_FIRST_REQUEST_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            keepalive_interval: DEFAULT_KEEPALIVE_INTERVAL,
            keepalive_timeout: DEFAULT_KEEPALIVE_TIMEOUT,
            request_body_timeout: DEFAULT_REQUEST_BODY_TIMEOUT,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }
}
