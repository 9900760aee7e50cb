//! One REST call as the client sends it ([`ApiRequest`], built with [`ApiRequest::new`] and
//! its `with_*` options; replayable after a token refresh and on a retry), where it goes
//! ([`ApiPath`]), and a successful answer ([`ApiResponse`]).

use bytes::Bytes;
use http::Method;
use serde::de::DeserializeOwned;

use super::Error;

/// Where a request goes, relative to the token's instance URL.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ApiPath<'a> {
    /// Segments under `/services/data/vXX.X/`, each percent-encoded as one segment.
    Data(&'a [&'a str]),
    /// An absolute path already checked to lie under `/services/data/` (a `nextRecordsUrl`).
    Checked(&'a str),
}

/// One REST call, replayable after a token refresh and on a retry. Built with
/// [`ApiRequest::new`] and the `with_*` options.
#[derive(Debug)]
pub(crate) struct ApiRequest<'a> {
    pub(crate) method: Method,
    pub(crate) path: ApiPath<'a>,
    pub(crate) query: &'a [(&'a str, &'a str)],
    /// The JSON body, serialized once: a replay sends the same bytes.
    pub(crate) body: Option<Bytes>,
    pub(crate) batch_size: Option<u32>,
    /// An error code that means success when it answers a retry: the earlier attempt may have
    /// done the work (a DELETE answered `ENTITY_IS_DELETED`).
    pub(crate) done_on_retry: Option<&'static str>,
    /// Sent as the `Idempotency-Key` header: Salesforce answers a repeat with the first
    /// answer instead of doing the work again, so the request may be retried like a GET.
    pub(crate) idempotency_key: Option<&'a str>,
}

impl<'a> ApiRequest<'a> {
    /// `method` on `path`, with no query string, body or options.
    pub(crate) fn new(method: Method, path: ApiPath<'a>) -> Self {
        ApiRequest {
            method,
            path,
            query: &[],
            body: None,
            batch_size: None,
            done_on_retry: None,
            idempotency_key: None,
        }
    }

    /// With this query string.
    pub(crate) fn with_query(mut self, query: &'a [(&'a str, &'a str)]) -> Self {
        self.query = query;
        self
    }

    /// With `body` as its JSON body, serialized here, once (no copy of it is kept).
    pub(crate) fn with_json(mut self, body: &impl serde::Serialize) -> Self {
        // JSON values and plain structs of them, with string keys, always serialize.
        let bytes = serde_json::to_vec(body).expect("a JSON body serializes");
        self.body = Some(Bytes::from(bytes));
        self
    }

    /// Asking for pages of `batch_size` records (`Sforce-Query-Options`).
    pub(crate) fn with_batch_size(mut self, batch_size: Option<u32>) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Counting `error_code` as success when it answers a retry.
    pub(crate) fn with_done_on_retry(mut self, error_code: &'static str) -> Self {
        self.done_on_retry = Some(error_code);
        self
    }

    /// With an `Idempotency-Key`.
    pub(crate) fn with_idempotency_key(mut self, key: &'a str) -> Self {
        self.idempotency_key = Some(key);
        self
    }
}

/// A successful response.
#[derive(Debug)]
pub(crate) struct ApiResponse {
    pub(crate) path: String,
    pub(crate) body: Vec<u8>,
}

impl ApiResponse {
    /// The body as `T`.
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|source| Error::Decode {
            path: self.path.clone(),
            source,
        })
    }
}
