//! Capturing changes where the store makes them.
//!
//! The store's create, update, delete and undelete each note a [`Change`] in its
//! [`Capture`]; when the store's write lock is released the noted changes are one
//! transaction, handed to the event bus in order ([`Capture::flush`]). So one lock hold is
//! one `transactionKey`, with `sequenceNumber` 1, 2, … over its changes, and events are
//! logged in commit order. Changes to objects not selected for Change Data Capture are not
//! noted at all.

use std::sync::Arc;

use serde_json::Value;

use super::EventBus;
use crate::sandbox::soql::Record;

tokio::task_local! {
    /// The `changeOrigin` of changes made while serving one REST request.
    static ORIGIN: Arc<str>;
}

/// Runs `f` (a request's handler) with `origin` as the `changeOrigin` of the changes it
/// makes: `com/salesforce/api/rest/62.0;client=MyApp`.
pub async fn with_origin<F: std::future::Future>(origin: String, f: F) -> F::Output {
    ORIGIN.scope(Arc::from(origin), f).await
}

fn current_origin() -> Arc<str> {
    ORIGIN
        .try_with(Arc::clone)
        .unwrap_or_else(|_| Arc::from(""))
}

/// What a DML operation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// A record was created.
    Create,
    /// A record was updated.
    Update,
    /// A record went to the recycle bin.
    Delete,
    /// A record came back from the recycle bin.
    Undelete,
}

/// One record's change, as the event bus needs it.
#[derive(Debug, Clone)]
pub struct Change {
    /// The record's type (index into the org's objects).
    pub ti: usize,
    /// What happened.
    pub op: Op,
    /// The record's Id.
    pub id: String,
    /// The values the event carries: the whole record for a create or undelete, the
    /// changed fields' new values for an update, nothing for a delete.
    pub values: Record,
    /// For an update: the fields whose value changed (always `LastModifiedDate`).
    pub changed: Vec<String>,
    /// For an update: the changed fields that are now null.
    pub nulled: Vec<String>,
    /// The REST request's `changeOrigin`, or empty for a change from outside the API.
    pub origin: Arc<str>,
}

/// Fields whose change is never reported: the record's identity and its modstamp.
const UNREPORTED: [&str; 3] = ["Id", "IsDeleted", "SystemModstamp"];

/// The changes the store made under the current write lock.
#[derive(Debug, Default)]
pub struct Capture {
    bus: Option<Arc<EventBus>>,
    pending: Vec<Change>,
}

impl Capture {
    /// Starts noting changes for `bus` (records loaded before this make no events).
    pub fn start(&mut self, bus: Arc<EventBus>) {
        self.bus = Some(bus);
    }

    /// How many changes are noted and not yet flushed.
    pub fn noted(&self) -> usize {
        self.pending.len()
    }

    /// Forgets the changes noted after the first `n` (their writes were rolled back).
    pub fn forget_after(&mut self, n: usize) {
        self.pending.truncate(n);
    }

    fn note(&mut self, ti: usize, id: &str, make: impl FnOnce() -> Change) {
        let Some(bus) = &self.bus else { return };
        if !bus.is_selected(ti) || id.is_empty() {
            return;
        }
        self.pending.push(make());
    }

    /// `rec` was created as a record of type `ti`.
    pub fn created(&mut self, ti: usize, rec: &Record) {
        let id = text(rec, "Id");
        self.note(ti, &id, || whole(ti, Op::Create, &id, rec));
    }

    /// `rec` came back from the recycle bin.
    pub fn undeleted(&mut self, ti: usize, rec: &Record) {
        let id = text(rec, "Id");
        self.note(ti, &id, || whole(ti, Op::Undelete, &id, rec));
    }

    /// The record `id` of type `ti` went to the recycle bin.
    pub fn deleted(&mut self, ti: usize, id: &str) {
        self.note(ti, id, || Change {
            ti,
            op: Op::Delete,
            id: id.to_owned(),
            values: Record::new(),
            changed: Vec::new(),
            nulled: Vec::new(),
            origin: current_origin(),
        });
    }

    /// A record of type `ti` went from `old` to `new`.
    pub fn updated(&mut self, ti: usize, old: &Record, new: &Record) {
        let id = text(new, "Id");
        self.note(ti, &id, || {
            let mut values = Record::new();
            let mut changed = Vec::new();
            let mut nulled = Vec::new();
            let keys = new
                .keys()
                .chain(old.keys().filter(|k| !new.contains_key(*k)));
            for k in keys {
                if UNREPORTED.contains(&k.as_str()) {
                    continue;
                }
                let before = old.get(k).unwrap_or(&Value::Null);
                let after = new.get(k).unwrap_or(&Value::Null);
                // Salesforce reports LastModifiedDate on every update, even within its second.
                if before == after && k != "LastModifiedDate" {
                    continue;
                }
                changed.push(k.clone());
                if after.is_null() {
                    nulled.push(k.clone());
                } else {
                    values.insert(k.clone(), after.clone());
                }
            }
            Change {
                ti,
                op: Op::Update,
                id: id.clone(),
                values,
                changed,
                nulled,
                origin: current_origin(),
            }
        });
    }

    /// Hands the noted changes to the event bus as one committed transaction.
    pub fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        if let Some(bus) = &self.bus {
            bus.commit(std::mem::take(&mut self.pending));
        }
    }
}

fn text(rec: &Record, key: &str) -> String {
    rec.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn whole(ti: usize, op: Op, id: &str, rec: &Record) -> Change {
    Change {
        ti,
        op,
        id: id.to_owned(),
        values: rec.clone(),
        changed: Vec::new(),
        nulled: Vec::new(),
        origin: current_origin(),
    }
}
