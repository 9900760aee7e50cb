//! The trigger engine behind `TriggerService.Subscribe`: "New Contact" and "New
//! Object" triggers as ordered, resumable feeds of new records. Knows Salesforce
//! (through [`crate::salesforce`]), nothing of gRPC.
//!
//! # Layout
//!
//! Data flows one way: a source publishes into a feed, the feed fans out to
//! subscriptions.
//!
//! - [`Engine`]: validates a start point, asks the trigger's source where "now"
//!   is (which checks the query), and joins the caller to the trigger (`registry`).
//! - `registry`: one running source and feed per [`Trigger`] (connection,
//!   sObject, bound condition, fields), started by its first subscriber and stopped
//!   when the last [`Subscription`] is dropped. Subscriber count never multiplies
//!   API calls.
//! - `source`: the seam: where "now" starts, a window of the feed (catch-up), and
//!   the live feed. `poll` is the polling source (interval, API budget, backoff)
//!   over `fetch`, its SOQL.
//! - `feed`: the fan-out: position, subscribers' buffers, slow-subscriber cut-off.
//! - `subscription`: one subscriber's view: catch-up, dedupe, heartbeats, ends.
//! - `cursor`: positions and the opaque cursors that carry them (and their source).
//!
//! # Ordering and exactly-once: the settle delay
//!
//! Events are delivered in `(CreatedDate, Id)` order and a cursor is the position
//! of the last event delivered, so "resume after the cursor" is exact — provided
//! nothing can later appear *before* a released position. Salesforce breaks that
//! naively: a record's `CreatedDate` is when its transaction started, so a
//! transaction that commits late makes a record appear with a `CreatedDate` earlier
//! than records already seen (Salesforce says as much of its own replication API: the
//! start time of a long-running transaction holds `latestDateCovered` back until it
//! completes,
//! <https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_getupdated_getupdatedresult.htm>).
//!
//! The poller therefore only *releases* records created before a horizon
//! `floor_to_second(now − overlap)`: it reads
//! `CreatedDate >= position AND CreatedDate <= horizon`, keeps what lies strictly
//! after its position and strictly before the horizon, and then moves its position
//! to the horizon. A record whose transaction commits at most `overlap` after its
//! `CreatedDate` is committed before the horizon passes it, so everything released
//! is final and in order, and the cursor is a plain `(CreatedDate, Id)`: resuming
//! reads `> cursor`, with neither gap nor duplicate, and neither is there between
//! a catch-up and the shared feed, because both are cut at the same position.
//!
//! The price is latency: an event is delivered between `overlap` and
//! `overlap + interval` after its record's `CreatedDate`. The default `overlap` of
//! 10 s covers ordinary transactions plus a little clock skew between the gateway
//! (whose clock sets the horizon) and Salesforce (whose clock sets `CreatedDate`);
//! an org with long-running transactions needs the longest one it expects, e.g.
//! 30–60 s. A commit later than `overlap` would be missed (never duplicated): that
//! is the trade-off being configured.
//!
//! Start points: none means the second the subscription starts, minus the records
//! that already exist in that second (a probe returns the greatest such Id; in an
//! org that mints Ids out of order within one second, such a record could be missed
//! or included); `since` means `CreatedDate >= since`; a cursor means right after
//! it.
//!
//! # Flow control
//!
//! The poller hands each event to every subscriber with `try_send` on its own
//! bounded channel (`buffer` events). A subscriber whose channel is full is cut off
//! (it still gets what is buffered) and ends with [`End::TooSlow`] and its last
//! cursor; it resumes without loss. A poll's records go out in chunks of half a
//! buffer, and between chunks the poller waits (at most a second) for every
//! subscriber to have room, so a burst larger than a buffer does not cut off
//! subscribers that keep up; a stuck one delays the others once, by that second.
//! Upstream errors never end a stream: the poller backs off and, on success,
//! catches up from where it was. [`Engine::shutdown`] ends every stream with
//! [`End::Shutdown`].

mod cursor;
mod feed;
mod fetch;
mod poll;
mod registry;
mod source;
mod subscription;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::{Map, Value};
use time::OffsetDateTime;

pub use cursor::{CursorError, Position};
pub use source::SourceKind;
pub use subscription::Subscription;

use crate::salesforce::{self, Client};

/// How the pollers run. Every field has a default ([`TriggerConfig::default`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TriggerConfig {
    /// The interval a poller starts with (default 10 s).
    pub poll_interval: Duration,
    /// The fastest a poller polls while records flow (default 2 s).
    pub min_interval: Duration,
    /// The slowest a poller polls while idle, and the longest error backoff
    /// (default 60 s). The API-share limit may make it slower still.
    pub max_interval: Duration,
    /// The settle delay: only records created at least this long ago are released,
    /// so late-committing transactions are never missed (default 10 s; see the
    /// module docs for production values).
    pub overlap: Duration,
    /// How often an idle stream gets a heartbeat with its cursor (default 15 s).
    pub heartbeat: Duration,
    /// Events buffered per subscriber before it counts as too slow (default 1,000).
    pub buffer: usize,
    /// The share of the org's daily API requests one connection's pollers may use
    /// together (default 0.05); they poll slower rather than use more.
    pub api_share: f64,
    /// How long one poll (all its pages) may take before it counts as failed
    /// (default 30 s), so a hung upstream cannot stall a poller.
    pub poll_timeout: Duration,
}

impl TriggerConfig {
    /// The wait after `failures` failed reads in a row (polls or catch-ups):
    /// doubling from the minimum interval, capped at `max_interval`.
    pub(crate) fn backoff(&self, failures: u32) -> Duration {
        let base = self.min_interval.max(Duration::from_millis(10));
        base.saturating_mul(1 << failures.min(16).saturating_sub(1))
            .min(self.max_interval)
    }
}

impl Default for TriggerConfig {
    fn default() -> Self {
        TriggerConfig {
            poll_interval: Duration::from_secs(10),
            min_interval: Duration::from_secs(2),
            max_interval: Duration::from_secs(60),
            overlap: Duration::from_secs(10),
            heartbeat: Duration::from_secs(15),
            buffer: 1000,
            api_share: 0.05,
            poll_timeout: Duration::from_secs(30),
        }
    }
}

/// What a subscriber listens for. Subscribers of equal triggers share one source.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Trigger {
    /// The connection's name.
    pub connection: String,
    /// The sObject API name (already validated as one).
    pub sobject: String,
    /// The caller's SOQL condition with its parameters bound; empty for none.
    pub condition: String,
    /// The fields to return (API names); `Id` and `CreatedDate` are always added.
    pub fields: Vec<String>,
}

/// Where a subscription starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// Records created from now on.
    Now,
    /// Records created at or after this time.
    Since(OffsetDateTime),
    /// Records after the event (or heartbeat) that carried this cursor.
    Cursor(String),
}

/// A new record.
#[derive(Debug)]
pub struct Event {
    /// The sObject API name.
    pub sobject: String,
    /// The record Id.
    pub record_id: String,
    /// The record's `CreatedDate`.
    pub created: OffsetDateTime,
    /// The selected fields as Salesforce returned them (`attributes` removed).
    pub record: Map<String, Value>,
    /// The cursor that resumes right after this event.
    pub cursor: String,
    pub(crate) position: Position,
}

/// What a subscription yields.
#[derive(Debug, Clone)]
pub enum Item {
    /// The next record, in `(CreatedDate, Id)` order. Shared by every subscriber.
    Event(Arc<Event>),
    /// No record for a while: where the subscriber stands.
    Heartbeat {
        /// The cursor to resume from.
        cursor: String,
        /// Records created before this time have all been delivered.
        checked_until: OffsetDateTime,
    },
}

/// Why a subscription ended; both carry the cursor to resume from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum End {
    /// The gateway is shutting down.
    #[error("the gateway is shutting down")]
    Shutdown {
        /// The cursor of the last item delivered.
        cursor: String,
    },
    /// The subscriber did not keep up and its buffer filled.
    #[error("the subscriber fell behind by more than its buffer")]
    TooSlow {
        /// The cursor of the last item delivered.
        cursor: String,
    },
}

/// Why a subscription could not start.
#[derive(Debug, thiserror::Error)]
pub enum SubscribeError {
    /// No connection of this name.
    #[error("no connection named {0:?}")]
    UnknownConnection(String),
    /// The resume cursor is not usable.
    #[error("resume cursor {0}")]
    Cursor(#[from] CursorError),
    /// The probe query failed (a bad sObject, field or condition, or upstream trouble).
    #[error(transparent)]
    Upstream(#[from] salesforce::Error),
    /// The engine is shutting down.
    #[error("the gateway is shutting down")]
    ShuttingDown,
}

/// The trigger engine: one per gateway, over its connections. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Engine {
    shared: Arc<registry::Shared>,
}

// === impl Engine ===

impl Engine {
    /// An engine over these connections, by name.
    pub fn new(connections: Arc<HashMap<String, Client>>, config: TriggerConfig) -> Engine {
        Engine {
            shared: registry::Shared::new(connections, config),
        }
    }

    /// Starts a subscription: checks the start point, asks the trigger's source
    /// where "now" is (which runs the trigger's query once, so a bad sObject,
    /// field or condition fails here, not on the stream), and joins the trigger,
    /// starting its source if this is its first subscriber.
    pub async fn subscribe(
        &self,
        trigger: Trigger,
        start: Start,
    ) -> Result<Subscription, SubscribeError> {
        let sh = &self.shared;
        if sh.is_shut_down() {
            return Err(SubscribeError::ShuttingDown);
        }
        let fp = cursor::fingerprint(&trigger.connection, &trigger.sobject, &trigger.condition);
        let source = sh
            .source(&trigger, &fp)
            .ok_or_else(|| SubscribeError::UnknownConnection(trigger.connection.clone()))?;
        // Every source's positions are `(CreatedDate, Id)` positions, so a cursor
        // written by any source resumes on any other.
        let resume = match &start {
            Start::Cursor(c) => Some(cursor::decode(&fp, c)?.1),
            _ => None,
        };
        let now = source.start_position(OffsetDateTime::now_utc()).await?;
        let from = match (start, resume) {
            (_, Some(position)) => position,
            (Start::Since(t), _) => Position::before(t),
            _ => now,
        };
        let (member, joined) = registry::join(sh, trigger, fp, source, from.clone());
        let shutdown = sh.watch_shutdown();
        Ok(Subscription::new(
            member,
            joined,
            from,
            sh.config.clone(),
            shutdown,
        ))
    }

    /// Ends every subscription with [`End::Shutdown`] and stops every source;
    /// later subscriptions are refused. The gRPC server's graceful shutdown waits
    /// for open streams, so this must run before it.
    pub fn shutdown(&self) {
        self.shared.shut_down();
    }

    /// How many triggers run now (one source per distinct trigger with subscribers).
    pub fn running(&self) -> usize {
        self.shared.running_count()
    }
}

/// Locks `m`; a poisoned lock is used as is, since every critical section in the
/// engine leaves the data consistent at each step (inserts and removes).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
