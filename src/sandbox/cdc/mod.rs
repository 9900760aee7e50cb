//! Change Data Capture: every create, update, delete and undelete of a selected object
//! becomes a change event in the org's event log, which the Pub/Sub API server
//! ([`super::pubsub`]) streams to subscribers.
//!
//! As Salesforce describes it
//! (<https://developer.salesforce.com/docs/platform/change-data-capture/guide/cdc-subscribe.html>):
//! - Channels: `/data/ChangeEvents` carries every selected object's events;
//!   `/data/<Object>ChangeEvent` (`/data/<Name>__ChangeEvent` for `Name__c`) one object's.
//!   Names are case-sensitive. An object that is not selected has no channel
//!   (`topic.not.found`).
//! - Selection: every standard object by default; a seed's `changeDataCapture` list, or
//!   [`EventBus::select`] (also `PUT /__sandbox/event-bus`), replaces it. Salesforce's
//!   allocation of 5 selected entities without the add-on is not enforced.
//! - Events are in commit order; one REST request (one hold of the store's write lock) is
//!   one transaction: one `transactionKey`, `sequenceNumber` from 1. `commitTimestamp` is
//!   the commit time (a late-commit fault backdates `CreatedDate`, not this). `changeOrigin`
//!   is `com/salesforce/api/rest/<version>` with `;client=<name>` from the request's
//!   `Sforce-Call-Options: client=<name>`, and empty for changes from outside the REST API
//!   (an undelete from `/__sandbox/undelete`).
//! - Retention: events are kept for [`EventBusConfig::retention`] (72 hours, as
//!   Salesforce does) and at most [`EventBusConfig::max_events`] of them (the sandbox is in
//!   memory; Salesforce has no such cap). Replaying from a purged position fails with
//!   `replayid.corrupted`.
//! - Records loaded from the sample data or a seed exist before the event bus starts and
//!   make no events.
//!
//! Layout: [`capture`] notes changes inside the store, [`log`] keeps them with their
//! replay ids, [`schema`] builds each object's Avro schema, [`encode`] writes payloads
//! with the [`bitmap`]s of changed and nulled fields.

pub mod bitmap;
pub mod capture;
pub mod encode;
pub mod log;
pub mod schema;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::faults::{Faults, chance};
use super::objects::ObjectMeta;
use capture::{Change, Op};
use log::{Event, Log};
use schema::EventSchema;

pub use capture::with_origin;

/// How long events are kept, keepalive timing and the log's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventBusConfig {
    /// Events older than this are purged (Salesforce: 72 hours).
    pub retention: Duration,
    /// A subscriber that has received nothing for this long gets an empty FetchResponse
    /// with the latest replay id (Salesforce: within 270 seconds).
    pub keepalive: Duration,
    /// At most this many events are kept; the oldest beyond it are purged.
    pub max_events: usize,
}

impl Default for EventBusConfig {
    /// 72 hours, 270 seconds, 100,000 events.
    fn default() -> Self {
        EventBusConfig {
            retention: Duration::from_secs(72 * 60 * 60),
            keepalive: Duration::from_secs(270),
            max_events: 100_000,
        }
    }
}

/// The kinds of change event (the header's `changeType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeType {
    /// A record was created.
    Create,
    /// A record was updated.
    Update,
    /// A record was deleted.
    Delete,
    /// A record was undeleted.
    Undelete,
    /// A create whose details the event bus could not capture.
    GapCreate,
    /// An update whose details the event bus could not capture.
    GapUpdate,
    /// A delete whose details the event bus could not capture.
    GapDelete,
    /// An undelete whose details the event bus could not capture.
    GapUndelete,
}

impl ChangeType {
    fn of(op: Op) -> ChangeType {
        match op {
            Op::Create => ChangeType::Create,
            Op::Update => ChangeType::Update,
            Op::Delete => ChangeType::Delete,
            Op::Undelete => ChangeType::Undelete,
        }
    }

    /// The GAP_ type of the same operation.
    pub fn gap(self) -> ChangeType {
        match self {
            ChangeType::Create | ChangeType::GapCreate => ChangeType::GapCreate,
            ChangeType::Update | ChangeType::GapUpdate => ChangeType::GapUpdate,
            ChangeType::Delete | ChangeType::GapDelete => ChangeType::GapDelete,
            ChangeType::Undelete | ChangeType::GapUndelete => ChangeType::GapUndelete,
        }
    }

    /// Whether it is a GAP_ type.
    pub fn is_gap(self) -> bool {
        self.gap() == self
    }

    /// The enum symbol (`CREATE`, `GAP_UPDATE`, …).
    pub fn symbol(self) -> &'static str {
        match self {
            ChangeType::Create => "CREATE",
            ChangeType::Update => "UPDATE",
            ChangeType::Delete => "DELETE",
            ChangeType::Undelete => "UNDELETE",
            ChangeType::GapCreate => "GAP_CREATE",
            ChangeType::GapUpdate => "GAP_UPDATE",
            ChangeType::GapDelete => "GAP_DELETE",
            ChangeType::GapUndelete => "GAP_UNDELETE",
        }
    }
}

/// A channel a subscriber can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// `/data/ChangeEvents`: every selected object.
    All,
    /// One object's channel (the index of its type).
    Entity(usize),
}

/// The channel of every selected object.
pub const ALL_CHANGE_EVENTS: &str = "/data/ChangeEvents";

/// Where a subscription starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// After the newest event.
    Latest,
    /// At the oldest retained event.
    Earliest,
    /// After this position.
    After(u64),
}

/// Events ready for one subscriber.
#[derive(Debug, Default)]
pub struct Batch {
    /// (replay id, schema id, event GUID, payload), oldest first.
    pub events: Vec<(u64, String, String, Vec<u8>)>,
    /// When (epoch ms) the next event becomes deliverable, if one waits on a delay.
    pub due_ms: Option<i64>,
    /// Events the subscriber had not received were purged.
    pub lost: bool,
}

/// The settings as the admin route shows and takes them (camelCase JSON).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct EventBusSettings {
    /// The objects selected for Change Data Capture.
    pub entities: Option<Vec<String>>,
    /// [`EventBusConfig::retention`] in milliseconds.
    pub retention_ms: Option<u64>,
    /// [`EventBusConfig::keepalive`] in milliseconds.
    pub keepalive_ms: Option<u64>,
    /// [`EventBusConfig::max_events`].
    pub max_events: Option<usize>,
}

/// The org's event bus. Shared by the store (which commits into it) and the Pub/Sub API
/// server (which reads from it).
pub struct EventBus {
    /// One schema per object, by type index.
    schemas: Vec<Arc<EventSchema>>,
    user_id: String,
    faults: Arc<Faults>,
    config: RwLock<EventBusConfig>,
    /// Selected for Change Data Capture, by type index.
    selected: RwLock<Vec<bool>>,
    log: Mutex<Log>,
    head: watch::Sender<u64>,
    drops: watch::Sender<u64>,
    open_streams: AtomicU64,
    subscribe_calls: AtomicU64,
}

impl std::fmt::Debug for EventBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventBus")
            .field("objects", &self.schemas.len())
            .field("head", &*self.head.borrow())
            .finish_non_exhaustive()
    }
}

/// Wall-clock now in epoch milliseconds (commit timestamps are wall time).
pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// A random (version 4) UUID in the 8-4-4-4-12 hex form.
pub fn guid() -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves the data whole, so a poisoned lock is still usable.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl EventBus {
    /// The event bus of an org with these objects. `selection` names the selected objects
    /// (every standard one when `None`); an unknown name is an error.
    pub fn new(
        objects: &[ObjectMeta],
        selection: Option<&[String]>,
        config: EventBusConfig,
        user_id: String,
        faults: Arc<Faults>,
    ) -> Result<EventBus, String> {
        let schemas = objects
            .iter()
            .map(|o| {
                EventSchema::build(&o.def)
                    .map(Arc::new)
                    .map_err(|e| format!("the change event schema of {}: {e}", o.def.name))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let bus = EventBus {
            selected: RwLock::new(objects.iter().map(|o| !o.def.custom).collect()),
            schemas,
            user_id,
            faults,
            config: RwLock::new(config),
            log: Mutex::new(Log::default()),
            head: watch::Sender::new(0),
            drops: watch::Sender::new(0),
            open_streams: AtomicU64::new(0),
            subscribe_calls: AtomicU64::new(0),
        };
        if let Some(names) = selection {
            bus.select(names)?;
        }
        Ok(bus)
    }

    /// The current settings.
    pub fn config(&self) -> EventBusConfig {
        *self.config.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes the settings; a shorter retention applies to events already logged.
    pub fn set_config(&self, config: EventBusConfig) {
        *self.config.write().unwrap_or_else(PoisonError::into_inner) = config;
        self.purge(&mut lock(&self.log));
    }

    /// The settings as JSON for the admin route.
    pub fn settings(&self) -> EventBusSettings {
        let c = self.config();
        EventBusSettings {
            entities: Some(self.selected()),
            retention_ms: Some(u64::try_from(c.retention.as_millis()).unwrap_or(u64::MAX)),
            keepalive_ms: Some(u64::try_from(c.keepalive.as_millis()).unwrap_or(u64::MAX)),
            max_events: Some(c.max_events),
        }
    }

    /// Applies the settings given (the rest stay as they are); a wrong one (an unknown
    /// object, a zero keepalive) changes nothing and is an error naming it.
    pub fn apply(&self, s: &EventBusSettings) -> Result<(), String> {
        if s.keepalive_ms == Some(0) {
            return Err("keepaliveMs must be greater than 0".into());
        }
        if let Some(entities) = &s.entities {
            self.select(entities)?;
        }
        let mut c = self.config();
        if let Some(ms) = s.retention_ms {
            c.retention = Duration::from_millis(ms);
        }
        if let Some(ms) = s.keepalive_ms {
            c.keepalive = Duration::from_millis(ms);
        }
        if let Some(n) = s.max_events {
            c.max_events = n;
        }
        self.set_config(c);
        Ok(())
    }

    /// The objects selected for Change Data Capture, in describe order.
    pub fn selected(&self) -> Vec<String> {
        let selected = self.selected.read().unwrap_or_else(PoisonError::into_inner);
        self.schemas
            .iter()
            .zip(selected.iter())
            .filter(|(_, on)| **on)
            .map(|(s, _)| s.entity.clone())
            .collect()
    }

    /// Selects exactly these objects (names compared without regard to case); an unknown
    /// name changes nothing and is an error naming it.
    pub fn select<S: AsRef<str>>(&self, names: &[S]) -> Result<(), String> {
        let mut on = vec![false; self.schemas.len()];
        for name in names {
            let name = name.as_ref();
            let ti = self
                .schemas
                .iter()
                .position(|s| s.entity.eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    format!("no sObject named {name} to select for Change Data Capture")
                })?;
            on[ti] = true;
        }
        *self
            .selected
            .write()
            .unwrap_or_else(PoisonError::into_inner) = on;
        Ok(())
    }

    /// Whether changes to records of type `ti` make events.
    pub fn is_selected(&self, ti: usize) -> bool {
        self.selected
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(ti)
            .copied()
            .unwrap_or(false)
    }

    /// The replay id of the newest event (8 bytes; all zero before the first).
    pub fn latest_replay_id(&self) -> Vec<u8> {
        log::replay_id(*self.head.borrow())
    }

    /// How many events are retained.
    pub fn retained(&self) -> usize {
        let mut log = lock(&self.log);
        self.purge(&mut log);
        log.len()
    }

    /// Ends every open Subscribe stream now with `UNAVAILABLE` (as a connection reset
    /// does); subscribers must subscribe again.
    pub fn drop_streams(&self) {
        self.drops.send_modify(|n| *n += 1);
    }

    /// Subscribe streams open now.
    pub fn open_streams(&self) -> u64 {
        self.open_streams.load(Ordering::Relaxed)
    }

    /// Subscribe calls that opened a stream since the org started.
    pub fn subscribe_calls(&self) -> u64 {
        self.subscribe_calls.load(Ordering::Relaxed)
    }

    /// Counts an open stream until the returned guard drops.
    pub fn stream_opened(self: &Arc<Self>) -> OpenStream {
        self.subscribe_calls.fetch_add(1, Ordering::Relaxed);
        self.open_streams.fetch_add(1, Ordering::Relaxed);
        OpenStream(self.clone())
    }

    /// Wakes when an event is logged.
    pub fn watch_head(&self) -> watch::Receiver<u64> {
        self.head.subscribe()
    }

    /// Wakes when [`EventBus::drop_streams`] is called.
    pub fn watch_drops(&self) -> watch::Receiver<u64> {
        self.drops.subscribe()
    }

    /// The topic a channel name denotes, if it exists (its object is selected).
    pub fn topic(&self, name: &str) -> Option<Topic> {
        if name == ALL_CHANGE_EVENTS {
            return (!self.selected().is_empty()).then_some(Topic::All);
        }
        let ti = self.schemas.iter().position(|s| s.topic == name)?;
        self.is_selected(ti).then_some(Topic::Entity(ti))
    }

    /// The schema id of a topic's events (none for `/data/ChangeEvents`, which carries
    /// several schemas).
    pub fn topic_schema_id(&self, topic: Topic) -> String {
        match topic {
            Topic::All => String::new(),
            Topic::Entity(ti) => self.schemas[ti].id.clone(),
        }
    }

    /// The schema with this id.
    pub fn schema(&self, id: &str) -> Option<Arc<EventSchema>> {
        self.schemas.iter().find(|s| s.id == id).cloned()
    }

    fn purge(&self, log: &mut Log) {
        let c = self.config();
        let retention = i64::try_from(c.retention.as_millis()).unwrap_or(i64::MAX);
        log.purge(now_ms().saturating_sub(retention), c.max_events);
    }

    /// Logs a committed transaction's changes (called by the store, under its write lock,
    /// so events are logged in commit order).
    pub(super) fn commit(&self, changes: Vec<Change>) {
        let commit_ms = now_ms();
        let faults = self.faults.get();
        let transaction_key: Arc<str> = Arc::from(guid());
        let mut log = lock(&self.log);
        log.commit_number += 1;
        let commit_number = 1_000_000_000_000 + log.commit_number;
        let mut head = log.head;
        for (i, change) in changes.into_iter().enumerate() {
            let mut change_type = ChangeType::of(change.op);
            if chance(faults.event_gap_rate) {
                change_type = change_type.gap();
            }
            head = log.push(|replay| Event {
                replay,
                commit_ms,
                change_type,
                transaction_key: transaction_key.clone(),
                sequence_number: i32::try_from(i + 1).unwrap_or(i32::MAX),
                commit_number,
                uuid: OnceLock::new(),
                change,
                payload: OnceLock::new(),
            });
        }
        self.purge(&mut log);
        drop(log);
        self.head.send_replace(head);
    }

    /// The position a subscription starts after, or `None` when a custom replay id is
    /// before the retained events or after the newest (`replayid.corrupted`).
    pub fn start(&self, start: Start) -> Option<u64> {
        let mut log = lock(&self.log);
        self.purge(&mut log);
        match start {
            Start::Latest => Some(log.head),
            Start::Earliest => Some(log.floor),
            Start::After(p) => (log.floor <= p && p <= log.head).then_some(p),
        }
    }

    /// Up to `credit` events of `topic` after `*position`, advancing it past them and past
    /// events of other topics. Events younger than `delay_ms` wait (see `due_ms`).
    pub fn next_batch(
        &self,
        topic: Topic,
        position: &mut u64,
        credit: usize,
        delay_ms: i64,
    ) -> Batch {
        let now = now_ms();
        let mut batch = Batch::default();
        let mut ready: Vec<Arc<Event>> = Vec::new();
        {
            let mut log = lock(&self.log);
            self.purge(&mut log);
            if *position < log.floor {
                batch.lost = true;
                return batch;
            }
            for event in log.after(*position) {
                let matches = match topic {
                    Topic::All => true,
                    Topic::Entity(ti) => event.change.ti == ti,
                };
                if !matches {
                    *position = event.replay;
                    continue;
                }
                if event.commit_ms.saturating_add(delay_ms) > now {
                    batch.due_ms = Some(event.commit_ms.saturating_add(delay_ms));
                    break;
                }
                if ready.len() >= credit {
                    break;
                }
                *position = event.replay;
                ready.push(event.clone());
            }
        }
        batch.events = ready
            .iter()
            .map(|e| {
                let schema = &self.schemas[e.change.ti];
                let payload = e
                    .payload
                    .get_or_init(|| encode::payload(schema, e, &self.user_id))
                    .clone();
                (
                    e.replay,
                    schema.id.clone(),
                    e.uuid.get_or_init(guid).clone(),
                    payload,
                )
            })
            .collect();
        batch
    }
}

/// Counts one open Subscribe stream while it lives.
#[derive(Debug)]
pub struct OpenStream(Arc<EventBus>);

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.0.open_streams.fetch_sub(1, Ordering::Relaxed);
    }
}
