//! The org's records, in memory.
//!
//! One `RwLock` guards everything: reads (queries, GETs) share it, and a write
//! holds it only for the validate-and-insert step, which is short and never
//! awaits. Minting the Id under the same lock keeps Ids in insertion order.
//! Every create, update, delete and undelete is noted for Change Data Capture
//! ([`super::cdc::capture`]); releasing the write lock commits the noted changes
//! as one transaction.
//!
//! Writes made under a [`Savepoint`] can be undone (`allOrNone`); their change events wait
//! for the outermost savepoint's release and are dropped on rollback.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::cdc::EventBus;
use super::cdc::capture::Capture;
use super::dml::{self, Op, Target};
use super::errors::SfError;
use super::ids;
use super::objects::ObjectMeta;
use super::schema::FieldType;
use super::soql::Record;
use super::validation;
use super::values::system_stamp;

mod lookup;
mod savepoint;
mod topics;
mod undelete;

pub use savepoint::Savepoint;

use topics::{derive_name, normalise_topic};

/// The records and metadata behind the lock.
#[derive(Debug)]
pub struct State {
    objects: Vec<ObjectMeta>,
    /// Records per type (same index as `objects`), in creation order; deleted
    /// ones stay with `IsDeleted` true, as in the recycle bin.
    tables: Vec<Vec<Record>>,
    /// Id (18 characters) to (type index, position in its table).
    index: HashMap<String, (usize, usize)>,
    /// Live Topic names, normalised (lower case, no white space), to their Id.
    topic_names: HashMap<String, String>,
    /// Live topic assignments: (TopicId, EntityId) to the assignment's Id.
    assignments: HashMap<(String, String), String>,
    /// The Id counter; one for all types so Ids sort in creation order.
    counter: u64,
    /// Case numbers are an auto-number of their own.
    case_counter: u64,
    user_id: String,
    /// Changes made under the current write lock, for the event bus.
    cdc: Capture,
    /// Undo records while a savepoint is open (see [`Savepoint`]).
    journal: savepoint::Journal,
}

/// Where a record Id from a URL leads, for a given type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Located {
    /// Not an Id of this type (bad shape, checksum or key prefix).
    NotThisType,
    /// A well-formed Id of this type that no record has.
    Missing(String),
    /// A record in the recycle bin.
    Deleted(String),
    /// A live record: its Id and position in the table.
    Live(String, usize),
}

impl State {
    /// An empty org with these types; `user_id` owns and creates everything.
    pub fn new(objects: Vec<ObjectMeta>, user_id: String) -> State {
        let tables = objects.iter().map(|_| Vec::new()).collect();
        State {
            objects,
            tables,
            index: HashMap::new(),
            topic_names: HashMap::new(),
            assignments: HashMap::new(),
            counter: 1_000,
            case_counter: 1_000,
            user_id,
            cdc: Capture::default(),
            journal: savepoint::Journal::default(),
        }
    }

    /// From now on, changes become events on `bus` (records loaded before make none).
    pub fn capture_changes(&mut self, bus: Arc<EventBus>) {
        self.cdc.start(bus);
    }

    /// All types, in describe order.
    pub fn objects(&self) -> &[ObjectMeta] {
        &self.objects
    }

    /// The index of the type with this name, compared without regard to case.
    pub fn type_index(&self, name: &str) -> Option<usize> {
        self.objects
            .iter()
            .position(|o| o.def.name.eq_ignore_ascii_case(name))
    }

    /// The type's metadata.
    pub fn meta(&self, ti: usize) -> Option<&ObjectMeta> {
        self.objects.get(ti)
    }

    /// How many records (deleted included) the org holds.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the org holds no records.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The record with this canonical Id, with its type index.
    pub fn record(&self, id18: &str) -> Option<(usize, &Record)> {
        let &(ti, pos) = self.index.get(id18)?;
        Some((ti, self.tables.get(ti)?.get(pos)?))
    }

    /// The record at a position found by [`State::locate`].
    pub fn at(&self, ti: usize, pos: usize) -> Option<&Record> {
        self.tables.get(ti)?.get(pos)
    }

    fn type_of_prefix(&self, id: &str) -> Option<usize> {
        let prefix = id.get(..3)?;
        self.objects.iter().position(|o| o.def.key_prefix == prefix)
    }

    fn resolve(&self, id18: &str) -> Target<'_> {
        match self.record(id18) {
            Some((ti, r)) => {
                let name = self.objects[ti].def.name.as_str();
                if r.get("IsDeleted") == Some(&Value::Bool(true)) {
                    Target::Deleted(name)
                } else {
                    Target::Live(name)
                }
            }
            None => Target::Missing(
                self.type_of_prefix(id18)
                    .map(|ti| self.objects[ti].def.name.as_str()),
            ),
        }
    }

    /// Adds a record as it is (used for the org's own user).
    pub fn insert_raw(&mut self, ti: usize, record: Record) {
        let Some(id) = record.get("Id").and_then(Value::as_str).map(str::to_owned) else {
            return;
        };
        if let Some(table) = self.tables.get_mut(ti) {
            self.index.insert(id, (ti, table.len()));
            table.push(record);
            self.journal_insert(ti);
        }
    }

    /// Creates a record of type `ti` from a request body. `created` is its
    /// `CreatedDate` (earlier than now for a late commit).
    pub fn create(
        &mut self,
        ti: usize,
        body: &Map<String, Value>,
        created: OffsetDateTime,
    ) -> Result<String, SfError> {
        let meta = self.objects.get(ti).ok_or_else(SfError::not_found)?;
        let changes = dml::check(meta, body, Op::Create, None, &|id| self.resolve(id))?;
        // Null fields are left out of the stored record (readers treat a
        // missing field as null): fewer keys make every scan faster.
        let mut rec = Record::new();
        for f in &meta.def.fields {
            if f.ftype == FieldType::Boolean {
                rec.insert(f.name.clone(), Value::Bool(false));
            }
        }
        for (k, v) in &meta.defaults {
            rec.insert(k.clone(), v.clone());
        }
        apply(&mut rec, changes);
        validation::enforce(&meta.validation_rules, &meta.def.name, &rec, self)?;
        let type_name = meta.def.name.clone();
        let prefix = meta.def.key_prefix.clone();
        self.check_topic_rules(&type_name, &rec, None)?;
        self.counter += 1;
        let id = ids::mint(&prefix, self.counter);
        let stamp = Value::String(system_stamp(created));
        let user = Value::String(self.user_id.clone());
        rec.insert("Id".into(), Value::String(id.clone()));
        rec.insert("IsDeleted".into(), Value::Bool(false));
        for k in ["CreatedDate", "LastModifiedDate", "SystemModstamp"] {
            rec.insert(k.into(), stamp.clone());
        }
        rec.insert("CreatedById".into(), user.clone());
        rec.insert("LastModifiedById".into(), user);
        match type_name.as_str() {
            "Case" => {
                self.case_counter += 1;
                rec.insert(
                    "CaseNumber".into(),
                    format!("{:08}", self.case_counter).into(),
                );
            }
            "TopicAssignment" => self.fill_assignment(&mut rec),
            _ => {}
        }
        derive_name(&type_name, &mut rec);
        self.index_topic(&type_name, &rec);
        self.cdc.created(ti, &rec);
        self.insert_raw(ti, rec);
        Ok(id)
    }

    /// Applies a PATCH body to a live record at `pos`.
    pub fn update(
        &mut self,
        ti: usize,
        pos: usize,
        body: &Map<String, Value>,
        now: OffsetDateTime,
    ) -> Result<(), SfError> {
        let meta = self.objects.get(ti).ok_or_else(SfError::not_found)?;
        let current = self
            .at(ti, pos)
            .ok_or_else(SfError::invalid_cross_reference)?;
        let changes = dml::check(meta, body, Op::Update, Some(current), &|id| {
            self.resolve(id)
        })?;
        let type_name = meta.def.name.clone();
        let mut rec = current.clone();
        apply(&mut rec, changes);
        validation::enforce(&meta.validation_rules, &type_name, &rec, self)?;
        let id = rec
            .get("Id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        self.check_topic_rules(&type_name, &rec, Some(&id))?;
        let stamp = Value::String(system_stamp(now));
        rec.insert("LastModifiedDate".into(), stamp.clone());
        rec.insert("SystemModstamp".into(), stamp);
        rec.insert(
            "LastModifiedById".into(),
            Value::String(self.user_id.clone()),
        );
        derive_name(&type_name, &mut rec);
        if let Some(old) = self
            .at(ti, pos)
            .and_then(|r| r.get("Name"))
            .and_then(Value::as_str)
            && type_name == "Topic"
        {
            self.topic_names.remove(&normalise_topic(old));
        }
        self.index_topic(&type_name, &rec);
        self.journal_replace(ti, pos);
        if let Some(slot) = self.tables.get_mut(ti).and_then(|t| t.get_mut(pos)) {
            let old = std::mem::replace(slot, rec);
            self.cdc.updated(ti, &old, &self.tables[ti][pos]);
        }
        Ok(())
    }

    /// Moves a live record to the recycle bin. Deleting a Topic removes its assignments.
    pub fn delete(&mut self, ti: usize, pos: usize, now: OffsetDateTime) {
        let stamp = Value::String(system_stamp(now));
        self.journal_replace(ti, pos);
        let Some(rec) = self.tables.get_mut(ti).and_then(|t| t.get_mut(pos)) else {
            return;
        };
        rec.insert("IsDeleted".into(), Value::Bool(true));
        rec.insert("SystemModstamp".into(), stamp.clone());
        let text = |k: &str| rec.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        let (id, name, topic, entity) =
            (text("Id"), text("Name"), text("TopicId"), text("EntityId"));
        self.cdc.deleted(ti, &id);
        match self.objects[ti].def.name.as_str() {
            "Topic" => {
                self.topic_names.remove(&normalise_topic(&name));
                let gone: Vec<String> = self
                    .assignments
                    .iter()
                    .filter(|((t, _), _)| *t == id)
                    .map(|(_, a)| a.clone())
                    .collect();
                for a in gone {
                    if let Some(&(ati, apos)) = self.index.get(&a) {
                        self.delete(ati, apos, now);
                    }
                }
            }
            "TopicAssignment" => {
                self.assignments.remove(&(topic, entity));
            }
            _ => {}
        }
    }
}

/// Sets the changed fields; a null removes the field (see [`State::create`]).
fn apply(rec: &mut Record, changes: dml::Changes) {
    for (k, v) in changes {
        if v.is_null() {
            rec.remove(&k);
        } else {
            rec.insert(k, v);
        }
    }
}

/// The shared store.
pub struct Store {
    state: RwLock<State>,
}

impl std::fmt::Debug for Store {
    // A summary: the records themselves would flood any log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // try_read: printing must never wait for (or deadlock on) a writer.
        let records = self.state.try_read().map(|s| s.len()).ok();
        f.debug_struct("Store")
            .field("records", &records)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Wraps a state.
    pub fn new(state: State) -> Store {
        Store {
            state: RwLock::new(state),
        }
    }

    /// Shared access. A panic under the lock cannot leave a half-applied
    /// change (every write builds the new record first and then swaps it in),
    /// so a poisoned lock is still safe to use.
    pub fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Exclusive access; see [`Store::read`] on poisoning. The changes made through
    /// the guard are one transaction, committed to the event bus when it drops.
    pub fn write(&self) -> StoreWrite<'_> {
        StoreWrite(self.state.write().unwrap_or_else(PoisonError::into_inner))
    }
}

/// The store's write lock: releasing it hands the changes made under it to the event bus,
/// before another writer can make more.
#[derive(Debug)]
pub struct StoreWrite<'a>(RwLockWriteGuard<'a, State>);

impl Drop for StoreWrite<'_> {
    fn drop(&mut self) {
        // Writes under an open savepoint may still be rolled back: their events wait for
        // the outermost release (one transaction), or are dropped with the rollback.
        if !self.0.in_savepoint() {
            self.0.cdc.flush();
        }
    }
}

impl Deref for StoreWrite<'_> {
    type Target = State;
    fn deref(&self) -> &State {
        &self.0
    }
}

impl DerefMut for StoreWrite<'_> {
    fn deref_mut(&mut self) -> &mut State {
        &mut self.0
    }
}
