//! Request counts by route, in-flight API requests and their peak, and the
//! daily API budget.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::Method;
use serde::Serialize;

/// What a request is, for counting and for the fault switches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    /// `/services/oauth2/token`.
    Token,
    /// Other OAuth routes (revoke, introspect, userinfo).
    OAuthOther,
    /// `GET /services/data/`.
    Versions,
    /// `query` / `queryAll` with `q`.
    Query,
    /// A next page by locator.
    QueryMore,
    /// Record create (sObject POST, UI API create).
    Create,
    /// Record read.
    Read,
    /// Record update.
    Update,
    /// Upsert by external Id.
    Upsert,
    /// Record delete.
    Delete,
    /// Describe (global, per type, basic info).
    Describe,
    /// `limits`.
    Limits,
    /// Connect topics on a record.
    Topics,
    /// An sObject Collections write: `composite/sobjects` POST, PATCH or
    /// DELETE, or the upsert PATCH `composite/sobjects/{Type}/{ExtIdField}`
    /// (its retrieves count as [`RouteKind::Read`]).
    Collections,
    /// A Composite request, `POST composite` (its subrequests are not
    /// counted by kind; see [`RequestCounts::composite_subrequests`]).
    Composite,
    /// `/__sandbox/…` (not counted in the total).
    Admin,
    /// Anything else (unknown routes included).
    Other,
}

const KINDS: usize = 17;

impl RouteKind {
    /// Classifies a request from its method and path.
    pub fn classify(method: &Method, path: &str) -> RouteKind {
        use RouteKind as K;
        if path.starts_with("/__sandbox") {
            return K::Admin;
        }
        if let Some(rest) = path.strip_prefix("/services/oauth2/") {
            return if rest.trim_end_matches('/') == "token" {
                K::Token
            } else {
                K::OAuthOther
            };
        }
        let Some(rest) = path.strip_prefix("/services/data") else {
            return K::Other;
        };
        // Up to six segments matter; a fixed array keeps this allocation-free.
        let mut segs = [""; 6];
        let mut n = 0;
        for s in rest.split('/').filter(|s| !s.is_empty()) {
            if n == segs.len() {
                return K::Other;
            }
            segs[n] = s;
            n += 1;
        }
        match &segs[..n] {
            [] => K::Versions,
            [_, "query" | "queryAll"] => K::Query,
            [_, "query" | "queryAll", _] => K::QueryMore,
            [_, "sobjects"] | [_, "sobjects", _, "describe"] => K::Describe,
            [_, "sobjects", _] if method == Method::POST => K::Create,
            [_, "sobjects", _] => K::Describe,
            [_, "sobjects", _, _] if method == Method::GET => K::Read,
            [_, "sobjects", _, _] if method == Method::PATCH => K::Update,
            [_, "sobjects", _, _] if method == Method::DELETE => K::Delete,
            // `POST …?_HttpMethod=PATCH` is an update for clients without PATCH.
            [_, "sobjects", _, _] if method == Method::POST => K::Update,
            [_, "sobjects", _, _, _] if method == Method::PATCH => K::Upsert,
            [_, "sobjects", _, _, _] if method == Method::GET => K::Read,
            [_, "limits"] => K::Limits,
            [_, "connect", ..] => K::Topics,
            [_, "ui-api", "records"] if method == Method::POST => K::Create,
            [_, "composite", "sobjects", _] if method == Method::GET || method == Method::POST => {
                K::Read
            }
            [_, "composite", "sobjects", ..] if method != Method::GET => K::Collections,
            [_, "composite"] if method == Method::POST => K::Composite,
            _ => K::Other,
        }
    }

    /// Whether the request may change data (lock and after-commit faults apply).
    pub fn is_write(self) -> bool {
        matches!(
            self,
            RouteKind::Create
                | RouteKind::Update
                | RouteKind::Upsert
                | RouteKind::Delete
                | RouteKind::Topics
                | RouteKind::Collections
                | RouteKind::Composite
        )
    }

    /// Whether the request carries many operations, each of which can fail on
    /// its own: an injected `UNABLE_TO_LOCK_ROW` then hits single records or
    /// subrequests, not the whole request.
    pub fn is_batch(self) -> bool {
        matches!(self, RouteKind::Collections | RouteKind::Composite)
    }

    fn slot(self) -> usize {
        self as usize
    }
}

/// Requests seen since the last reset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestCounts {
    /// Every request except `/__sandbox` ones.
    pub total: u64,
    /// Token requests.
    pub token: u64,
    /// Other OAuth requests.
    pub oauth_other: u64,
    /// Version list requests.
    pub versions: u64,
    /// Queries.
    pub query: u64,
    /// Next-page requests.
    pub query_more: u64,
    /// Creates.
    pub create: u64,
    /// Reads.
    pub read: u64,
    /// Updates.
    pub update: u64,
    /// Upserts.
    pub upsert: u64,
    /// Deletes.
    pub delete: u64,
    /// Describes.
    pub describe: u64,
    /// `limits` requests.
    pub limits: u64,
    /// Connect topic requests.
    pub topics: u64,
    /// sObject Collections writes (each one API call, whatever its size).
    pub collections: u64,
    /// Composite requests (each one API call, whatever its subrequests).
    pub composite: u64,
    /// Anything else.
    pub other: u64,
    /// Records in the sObject Collections requests counted above (writes
    /// and retrieves), whether or not each succeeded; not part of `total`.
    pub collection_records: u64,
    /// Subrequests run by the Composite requests counted above; not part of `total`.
    pub composite_subrequests: u64,
    /// The most API requests (under `/services/data/vXX.X/`) in flight at once.
    pub peak_in_flight: u64,
}

/// The live counters.
#[derive(Debug, Default)]
pub struct Counters {
    by_kind: [AtomicU64; KINDS],
    collection_records: AtomicU64,
    composite_subrequests: AtomicU64,
    in_flight: AtomicU64,
    peak: AtomicU64,
}

/// Decrements the in-flight count when the request ends, however it ends
/// (including a dropped connection that cancels the handler).
#[derive(Debug)]
pub struct InFlight<'a>(&'a Counters);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Counters {
    /// Counts one request.
    pub fn count(&self, kind: RouteKind) {
        self.by_kind[kind.slot()].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts the records of one sObject Collections request.
    pub fn count_collection_records(&self, n: usize) {
        self.collection_records
            .fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Counts one Composite subrequest.
    pub fn count_subrequest(&self) {
        self.composite_subrequests.fetch_add(1, Ordering::Relaxed);
    }

    /// Marks an API request in flight; returns the guard and how many are now in flight.
    pub fn enter(&self) -> (InFlight<'_>, u64) {
        let now = self.in_flight.fetch_add(1, Ordering::AcqRel) + 1;
        self.peak.fetch_max(now, Ordering::AcqRel);
        (InFlight(self), now)
    }

    /// A snapshot.
    pub fn snapshot(&self) -> RequestCounts {
        let g = |k: RouteKind| self.by_kind[k.slot()].load(Ordering::Relaxed);
        use RouteKind as K;
        let mut c = RequestCounts {
            total: 0,
            token: g(K::Token),
            oauth_other: g(K::OAuthOther),
            versions: g(K::Versions),
            query: g(K::Query),
            query_more: g(K::QueryMore),
            create: g(K::Create),
            read: g(K::Read),
            update: g(K::Update),
            upsert: g(K::Upsert),
            delete: g(K::Delete),
            describe: g(K::Describe),
            limits: g(K::Limits),
            topics: g(K::Topics),
            collections: g(K::Collections),
            composite: g(K::Composite),
            other: g(K::Other),
            collection_records: self.collection_records.load(Ordering::Relaxed),
            composite_subrequests: self.composite_subrequests.load(Ordering::Relaxed),
            peak_in_flight: self.peak.load(Ordering::Acquire),
        };
        c.total = c.token
            + c.oauth_other
            + c.versions
            + c.query
            + c.query_more
            + c.create
            + c.read
            + c.update
            + c.upsert
            + c.delete
            + c.describe
            + c.limits
            + c.topics
            + c.collections
            + c.composite
            + c.other;
        c
    }

    /// Zeroes the counts; the peak restarts from the requests in flight now.
    pub fn reset(&self) {
        for c in self
            .by_kind
            .iter()
            .chain([&self.collection_records, &self.composite_subrequests])
        {
            c.store(0, Ordering::Relaxed);
        }
        self.peak
            .store(self.in_flight.load(Ordering::Acquire), Ordering::Release);
    }
}

/// The daily API budget (Salesforce's rolling 24 h, here: since start or reset).
#[derive(Debug)]
pub struct ApiUsage {
    used: AtomicU64,
    limit: AtomicU64,
}

impl ApiUsage {
    /// A fresh budget of `limit` requests.
    pub fn new(limit: u64) -> ApiUsage {
        ApiUsage {
            used: AtomicU64::new(0),
            limit: AtomicU64::new(limit),
        }
    }

    /// Spends one request; false (and nothing spent) once the budget is gone.
    pub fn spend(&self) -> bool {
        let limit = self.limit.load(Ordering::Acquire);
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| {
                (u < limit).then_some(u + 1)
            })
            .is_ok()
    }

    /// (used, limit).
    pub fn get(&self) -> (u64, u64) {
        (
            self.used.load(Ordering::Acquire),
            self.limit.load(Ordering::Acquire),
        )
    }

    /// Sets the limit.
    pub fn set_limit(&self, limit: u64) {
        self.limit.store(limit, Ordering::Release);
    }

    /// Forgets what was spent, as a new day would.
    pub fn reset(&self) {
        self.used.store(0, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_classified_by_method_and_shape() {
        use RouteKind as K;
        let v = "/services/data/v60.0";
        for (m, p, want) in [
            (Method::POST, "/services/oauth2/token".to_owned(), K::Token),
            (
                Method::POST,
                "/services/oauth2/revoke".to_owned(),
                K::OAuthOther,
            ),
            (Method::GET, "/services/data/".to_owned(), K::Versions),
            (Method::GET, format!("{v}/query"), K::Query),
            (Method::GET, format!("{v}/queryAll/"), K::Query),
            (Method::GET, format!("{v}/query/01gX-2000"), K::QueryMore),
            (Method::POST, format!("{v}/sobjects/Account/"), K::Create),
            (Method::GET, format!("{v}/sobjects/Account"), K::Describe),
            (
                Method::GET,
                format!("{v}/sobjects/Account/describe/"),
                K::Describe,
            ),
            (Method::GET, format!("{v}/sobjects/Account/001"), K::Read),
            (
                Method::PATCH,
                format!("{v}/sobjects/Account/001"),
                K::Update,
            ),
            (
                Method::DELETE,
                format!("{v}/sobjects/Account/001"),
                K::Delete,
            ),
            (
                Method::PATCH,
                format!("{v}/sobjects/Account/Ext__c/9"),
                K::Upsert,
            ),
            (Method::GET, format!("{v}/limits"), K::Limits),
            (
                Method::POST,
                format!("{v}/connect/records/001/topics"),
                K::Topics,
            ),
            (Method::POST, format!("{v}/ui-api/records"), K::Create),
            (
                Method::POST,
                format!("{v}/composite/sobjects"),
                K::Collections,
            ),
            (
                Method::PATCH,
                format!("{v}/composite/sobjects/"),
                K::Collections,
            ),
            (
                Method::DELETE,
                format!("{v}/composite/sobjects"),
                K::Collections,
            ),
            (
                Method::PATCH,
                format!("{v}/composite/sobjects/Account/Ext__c"),
                K::Collections,
            ),
            (
                Method::GET,
                format!("{v}/composite/sobjects/Account"),
                K::Read,
            ),
            (
                Method::POST,
                format!("{v}/composite/sobjects/Account"),
                K::Read,
            ),
            (Method::POST, format!("{v}/composite"), K::Composite),
            (Method::POST, format!("{v}/composite/batch"), K::Other),
            (Method::GET, format!("{v}/a/b/c/d/e/f/g"), K::Other),
            (Method::GET, "/__sandbox/faults".to_owned(), K::Admin),
            (Method::GET, "/elsewhere".to_owned(), K::Other),
        ] {
            assert_eq!(RouteKind::classify(&m, &p), want, "{m} {p}");
        }
    }

    #[test]
    fn budget_stops_at_the_limit() {
        let u = ApiUsage::new(2);
        assert!(u.spend() && u.spend() && !u.spend());
        assert_eq!(u.get(), (2, 2));
        u.set_limit(3);
        assert!(u.spend());
        u.reset();
        assert_eq!(u.get(), (0, 3));
    }
}
