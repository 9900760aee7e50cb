//! [`Client`]: one per configured connection. Every REST call goes through `Client::send`
//! (in `retry`: the deadline and the retries) and, per attempt, `Client::send_once`, which
//! adds the token, takes a request slot, keeps the daily budget reserve, records
//! `Sforce-Limit-Info`, and refreshes once on a rejected session.

use std::collections::HashMap;
use std::sync::Arc;

use http::StatusCode;
use reqwest::Url;
use tokio::sync::OnceCell;
use tokio::time::Instant;

use super::auth::{self, AuthFlow, Token, TokenCache};
use super::limits::{ApiUsage, UsageTracker};
use super::request::{ApiPath, ApiRequest, ApiResponse};
use super::upstream::{Upstream, UpstreamLimits, UpstreamStats};
use super::{ApiError, Error, deadline};

/// Salesforce's limit on a request's URI and headers together, in bytes: over it the request
/// is refused with 414 (the URI alone) or 431 (with the headers), without an error body.
/// Source: <https://help.salesforce.com/s/articleView?id=000386264&type=1>.
pub const MAX_URI_AND_HEADERS_BYTES: usize = 16_384;
/// Of [`MAX_URI_AND_HEADERS_BYTES`], what the client keeps for the request's headers (the
/// bearer token, `Host`, `Accept`, `User-Agent`, `Sforce-Query-Options`,
/// `Idempotency-Key`...), so the URI's own limit does not depend on the token's length.
pub const HEADER_ALLOWANCE_BYTES: usize = 2_048;
/// The longest URI (path and query string, percent-encoded) the client sends: a longer one is
/// refused before sending with [`Error::UriTooLong`].
pub const MAX_URI_BYTES: usize = MAX_URI_AND_HEADERS_BYTES - HEADER_ALLOWANCE_BYTES;

/// One Salesforce org connection, as configured.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    /// The connection's name, as callers refer to it.
    pub name: String,
    /// Where the token endpoint lives: `https://login.salesforce.com`,
    /// `https://test.salesforce.com`, a My Domain, or the sandbox's `http://127.0.0.1:port`.
    pub login_url: Url,
    /// REST API version without the `v`, e.g. `62.0`.
    pub api_version: String,
    /// How to get an access token.
    pub auth: AuthFlow,
    /// Hosts a token's `instance_url` may point at besides `*.salesforce.com` and
    /// `*.force.com` (e.g. `127.0.0.1` for the sandbox); any http(s) scheme is allowed there.
    pub allowed_hosts: Vec<String>,
    /// Concurrency ceiling, daily budget reserve, retries and default timeout.
    pub limits: UpstreamLimits,
}

/// A Salesforce REST client for one connection. Cheap to clone: clones share the token cache,
/// the describe cache and the HTTP connection pool.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: ConnectionConfig,
    /// `v62.0`, computed once.
    version_segment: String,
    http: reqwest::Client,
    tokens: TokenCache,
    usage: UsageTracker,
    upstream: Upstream,
    /// Key prefix → sObject name, from one global describe per connection.
    key_prefixes: OnceCell<HashMap<String, String>>,
}

// === impl Client ===

impl Client {
    /// A client for `config`, sharing `http`'s connection pool. Makes no request: the first
    /// call fetches the token.
    pub fn new(config: ConnectionConfig, http: reqwest::Client) -> Client {
        let version_segment = format!("v{}", config.api_version.trim_start_matches('v'));
        let tokens = TokenCache::new(session_lifetime(&config));
        Client {
            inner: Arc::new(Inner {
                upstream: Upstream::new(&config.limits),
                config,
                version_segment,
                http,
                tokens,
                usage: UsageTracker::default(),
                key_prefixes: OnceCell::new(),
            }),
        }
    }

    /// The connection's configured name.
    pub fn name(&self) -> &str {
        &self.inner.config.name
    }

    /// The connection's current access token, fetching one if none is cached. Concurrent
    /// callers share one token request. Bounded by the deadline like any call, but never
    /// refused for the daily budget reserve: token requests don't count against it.
    pub async fn token(&self) -> Result<Token, Error> {
        let fetch = self.current_token();
        match tokio::time::timeout_at(self.deadline(), fetch).await {
            Ok(result) => Ok(result?.0),
            Err(_) => Err(Error::DeadlineExceeded),
        }
    }

    /// Whether Salesforce refused the connection's grant at its last token request
    /// (`invalid_grant`: revoked or expired refresh token, changed password, removed
    /// approval), whether an action or a trigger's poller made it. Turns back to `false`
    /// when a token is minted again.
    pub fn grant_revoked(&self) -> tokio::sync::watch::Receiver<bool> {
        self.inner.tokens.grant_revoked()
    }

    /// How long a token is used before it is re-minted (the configured session lifetime),
    /// if this connection re-mints tokens at all.
    pub fn session_lifetime(&self) -> Option<std::time::Duration> {
        session_lifetime(&self.inner.config)
    }

    /// The org's API usage from the last `Sforce-Limit-Info` header seen, if any.
    pub fn api_usage(&self) -> Option<ApiUsage> {
        self.inner.usage.last()
    }

    /// Counters of this connection's upstream protection (peak concurrency, retries,
    /// refusals), shared by its clones.
    pub fn upstream_stats(&self) -> UpstreamStats {
        self.inner.upstream.stats()
    }

    pub(super) fn config(&self) -> &ConnectionConfig {
        &self.inner.config
    }

    pub(super) fn upstream(&self) -> &Upstream {
        &self.inner.upstream
    }

    pub(super) fn key_prefix_cache(&self) -> &OnceCell<HashMap<String, String>> {
        &self.inner.key_prefixes
    }

    /// The deadline in scope, or the connection's default timeout from now.
    pub(super) fn deadline(&self) -> Instant {
        deadline::current()
            .unwrap_or_else(|| Instant::now() + self.inner.config.limits.default_timeout)
    }

    async fn current_token(&self) -> Result<(Token, u64), Error> {
        let inner = &*self.inner;
        let current = inner
            .tokens
            .current(|rotated| auth::request_token(&inner.http, &inner.config, rotated))
            .await;
        if current.is_ok() && inner.tokens.claim_refresh_ahead() {
            let client = self.clone();
            tokio::spawn(async move {
                let inner = &*client.inner;
                let fetch = inner.tokens.refresh_ahead(|rotated| async move {
                    let request = auth::request_token(&inner.http, &inner.config, rotated);
                    tokio::time::timeout(inner.config.limits.default_timeout, request)
                        .await
                        .unwrap_or(Err(Error::DeadlineExceeded))
                });
                fetch.await;
            });
        }
        current
    }

    /// One try of `request`; on a 401 `INVALID_SESSION_ID` replaces the token (unless another
    /// caller already did) and sends it once more. A second rejection reaches the caller:
    /// never a loop, and never retried by `send` either. Any non-2xx becomes an [`Error`].
    pub(super) async fn send_once(
        &self,
        request: &ApiRequest<'_>,
        deadline: Instant,
    ) -> Result<ApiResponse, Error> {
        let inner = &*self.inner;
        let (token, generation) = self.current_token().await?;
        let (mut status, mut response) = self.attempt(&token, request, deadline).await?;
        if is_invalid_session(status, &response.body) && inner.config.auth.can_refresh() {
            tracing::debug!(connection = %inner.config.name, "salesforce session rejected; refreshing");
            let (token, _) = inner
                .tokens
                .replace(generation, |rotated| {
                    auth::request_token(&inner.http, &inner.config, rotated)
                })
                .await?;
            (status, response) = self.attempt(&token, request, deadline).await?;
        }
        if status.is_success() {
            return Ok(response);
        }
        Err(error_from(status, response))
    }

    async fn attempt(
        &self,
        token: &Token,
        request: &ApiRequest<'_>,
        deadline: Instant,
    ) -> Result<(StatusCode, ApiResponse), Error> {
        let inner = &*self.inner;
        let url = self.url(&token.instance_url, request)?;
        // Held until the body is read: a slot is a request Salesforce is still working on.
        let _permit = inner.upstream.acquire().await?;
        // Checked after the wait, which may have brought newer usage figures.
        let reserve = inner.config.limits.daily_budget_reserve;
        if let Err(ApiUsage { used, max }) = inner.usage.admit(reserve) {
            inner.upstream.count_reserve_refusal();
            return Err(Error::BudgetReserve { used, max, reserve });
        }
        let path = url.path().to_owned();
        let mut builder = inner
            .http
            .request(request.method.clone(), url)
            .bearer_auth(token.access_token.expose())
            .header(http::header::ACCEPT, "application/json")
            // The outer `timeout_at` bounds the call too; this also bounds reqwest's own
            // connect and body reads, and names the cause.
            .timeout(deadline.saturating_duration_since(Instant::now()));
        if let Some(n) = request.batch_size {
            builder = builder.header("Sforce-Query-Options", format!("batchSize={n}"));
        }
        if let Some(key) = request.idempotency_key {
            builder = builder.header("Idempotency-Key", key);
        }
        if let Some(body) = &request.body {
            builder = builder
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let started = Instant::now();
        let response = builder.send().await.map_err(transport_error)?;
        let status = response.status();
        inner.usage.observe(response.headers());
        let body = response.bytes().await.map_err(transport_error)?.to_vec();
        // The path only: the query string holds SOQL literal values.
        tracing::debug!(
            connection = %inner.config.name,
            method = %request.method,
            path = %path,
            status = status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "salesforce call"
        );
        Ok((status, ApiResponse { path, body }))
    }

    fn url(&self, instance: &Url, request: &ApiRequest<'_>) -> Result<Url, Error> {
        let mut url = instance.clone();
        url.set_query(None);
        url.set_fragment(None);
        match request.path {
            ApiPath::Data(segments) => {
                url.path_segments_mut()
                    .map_err(|()| Error::InstanceNotAllowed {
                        host: instance.to_string(),
                    })?
                    .clear()
                    .extend(["services", "data", &self.inner.version_segment])
                    .extend(segments);
            }
            ApiPath::Checked(path) => url.set_path(path),
        }
        if !request.query.is_empty() {
            url.query_pairs_mut().extend_pairs(request.query);
        }
        check_uri(uri_len(&url))?;
        Ok(url)
    }

    /// `Ok` if a query of `soql` fits the URI limit ([`MAX_URI_BYTES`]), else
    /// [`Error::UriTooLong`]; sends nothing. For a query that will be sent later, such as a
    /// trigger's poll, checked when the trigger starts.
    pub fn check_query_uri(&self, soql: &str, all_rows: bool) -> Result<(), Error> {
        let resource = if all_rows { "queryAll" } else { "query" };
        // `/services/data/vXX.X/query?q=` and the form-encoded SOQL, as `url` builds it.
        let path = "/services/data/".len() + self.inner.version_segment.len() + 1 + resource.len();
        let encoded: usize = url::form_urlencoded::byte_serialize(soql.as_bytes())
            .map(str::len)
            .sum();
        check_uri(path + "?q=".len() + encoded)
    }
}

/// The lifetime after which `config`'s tokens are re-minted; a static token never is.
fn session_lifetime(config: &ConnectionConfig) -> Option<std::time::Duration> {
    match config.auth {
        AuthFlow::AccessToken { .. } => None,
        _ => config.limits.session_lifetime,
    }
}

/// A 401 whose envelope says the session is invalid: the only rejection a new token can fix.
fn is_invalid_session(status: StatusCode, body: &[u8]) -> bool {
    status == StatusCode::UNAUTHORIZED
        && parse_envelope(body)
            .is_some_and(|errors| errors.iter().any(|e| e.error_code == "INVALID_SESSION_ID"))
}

/// Salesforce's envelope is an array; a bare object is accepted too, as some captures show it.
fn parse_envelope(body: &[u8]) -> Option<Vec<ApiError>> {
    serde_json::from_slice::<Vec<ApiError>>(body)
        .ok()
        .or_else(|| {
            serde_json::from_slice::<ApiError>(body)
                .ok()
                .map(|e| vec![e])
        })
}

/// The length of `url`'s request target: its path and query string, as sent.
fn uri_len(url: &Url) -> usize {
    url.path().len() + url.query().map_or(0, |q| 1 + q.len())
}

fn check_uri(length: usize) -> Result<(), Error> {
    if length > MAX_URI_BYTES {
        return Err(Error::UriTooLong {
            length,
            limit: MAX_URI_BYTES,
        });
    }
    Ok(())
}

/// reqwest's per-request timeout is the deadline's remainder, so its timeout is ours.
fn transport_error(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::DeadlineExceeded
    } else {
        Error::unreachable(e)
    }
}

fn error_from(status: StatusCode, response: ApiResponse) -> Error {
    match parse_envelope(&response.body) {
        Some(errors) => Error::Api { status, errors },
        None => Error::Status {
            status,
            path: response.path,
        },
    }
}
