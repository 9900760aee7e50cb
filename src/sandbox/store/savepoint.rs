//! Savepoints: undoing a group of writes, for `allOrNone`.
//!
//! An sObject Collections request with `allOrNone: true` and a Composite
//! request with `allOrNone: true` are one transaction each: "if the value is
//! true, the entire composite request is rolled back"
//! (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/requests_composite.htm>),
//! and a collection "rolls back the entire request when an error occurs"
//! (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_create.htm>).
//!
//! While a savepoint is open every change to a record is journaled (a create
//! as its table slot, an update or delete with the record as it was), and
//! [`State::rollback`] undoes the journal back to the savepoint in reverse
//! order, topic bookkeeping included. Savepoints nest (a collection inside an
//! all-or-none composite): releasing an inner one keeps its entries for the
//! outer one; releasing the outermost forgets them. With none open nothing is
//! journaled. Ids and Case numbers minted by rolled-back creates are not
//! reused, as a real org's are not.
//!
//! Undoing by table position is sound because whoever holds a savepoint keeps
//! every other writer out until it is released: a collection holds the store's
//! write lock throughout, a composite the sandbox's transaction gate.

use serde_json::Value;

use super::State;
use super::topics::normalise_topic;
use crate::sandbox::soql::Record;

/// The journal of the open savepoints.
#[derive(Debug, Default)]
pub(super) struct Journal {
    /// Savepoints open, outermost first.
    open: usize,
    entries: Vec<Undo>,
}

#[derive(Debug)]
enum Undo {
    /// A record was appended to table `ti`.
    Inserted { ti: usize },
    /// The record at `pos` of table `ti` was replaced; `before` is what it was.
    Replaced {
        ti: usize,
        pos: usize,
        before: Box<Record>,
    },
}

/// An open savepoint: give it back to [`State::release`] (keep the writes)
/// or [`State::rollback`] (undo them). Dropping it without either leaves the
/// journal open, so every path must end in one of the two.
#[derive(Debug)]
#[must_use = "a savepoint must be released or rolled back"]
pub struct Savepoint {
    mark: usize,
    /// How many change events were noted when it opened: a rollback drops the later ones.
    captured: usize,
}

impl State {
    /// Opens a savepoint: the writes from here on can be undone.
    pub fn savepoint(&mut self) -> Savepoint {
        self.journal.open += 1;
        Savepoint {
            mark: self.journal.entries.len(),
            captured: self.cdc.noted(),
        }
    }

    /// Keeps the writes made since `sp`.
    pub fn release(&mut self, sp: Savepoint) {
        let _ = sp;
        self.journal.open = self.journal.open.saturating_sub(1);
        if self.journal.open == 0 {
            self.journal.entries.clear();
        }
    }

    /// Undoes every write made since `sp`, newest first.
    pub fn rollback(&mut self, sp: Savepoint) {
        while self.journal.entries.len() > sp.mark {
            match self.journal.entries.pop() {
                Some(Undo::Inserted { ti }) => self.undo_insert(ti),
                Some(Undo::Replaced { ti, pos, before }) => self.undo_replace(ti, pos, *before),
                None => break,
            }
        }
        self.cdc.forget_after(sp.captured);
        self.release(sp);
    }

    /// Whether a savepoint is open: writes made now may still be rolled back
    /// (anything that reports changes, such as change events, should wait for
    /// the outermost release).
    pub fn in_savepoint(&self) -> bool {
        self.journal.open > 0
    }

    /// Journals an append to table `ti` (called after it).
    pub(super) fn journal_insert(&mut self, ti: usize) {
        if self.journal.open > 0 {
            self.journal.entries.push(Undo::Inserted { ti });
        }
    }

    /// Journals the record at (`ti`, `pos`) as it is now (called before it changes).
    pub(super) fn journal_replace(&mut self, ti: usize, pos: usize) {
        if self.journal.open == 0 {
            return;
        }
        if let Some(before) = self.at(ti, pos).cloned() {
            self.journal.entries.push(Undo::Replaced {
                ti,
                pos,
                before: Box::new(before),
            });
        }
    }

    fn undo_insert(&mut self, ti: usize) {
        let Some(rec) = self.tables.get_mut(ti).and_then(Vec::pop) else {
            return;
        };
        if let Some(id) = rec.get("Id").and_then(Value::as_str) {
            self.index.remove(id);
        }
        self.unindex_topic(ti, &rec);
    }

    fn undo_replace(&mut self, ti: usize, pos: usize, before: Record) {
        let Some(slot) = self.tables.get_mut(ti).and_then(|t| t.get_mut(pos)) else {
            return;
        };
        let now = std::mem::replace(slot, before);
        self.unindex_topic(ti, &now);
        let Some(before) = self.at(ti, pos).cloned() else {
            return;
        };
        if before.get("IsDeleted") != Some(&Value::Bool(true)) {
            let ty = self.objects[ti].def.name.clone();
            self.index_topic(&ty, &before);
        }
    }

    /// Forgets the topic bookkeeping `rec` (a live record) stands for.
    fn unindex_topic(&mut self, ti: usize, rec: &Record) {
        if rec.get("IsDeleted") == Some(&Value::Bool(true)) {
            return;
        }
        let text = |k: &str| rec.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        let id = text("Id");
        match self.objects[ti].def.name.as_str() {
            "Topic" => {
                let key = normalise_topic(&text("Name"));
                if self.topic_names.get(&key) == Some(&id) {
                    self.topic_names.remove(&key);
                }
            }
            "TopicAssignment" => {
                let key = (text("TopicId"), text("EntityId"));
                if self.assignments.get(&key) == Some(&id) {
                    self.assignments.remove(&key);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value, json};
    use time::OffsetDateTime;

    use super::*;
    use crate::sandbox::objects::standard;

    const USER: &str = "005000000000001AAA";

    fn org() -> State {
        State::new(standard(USER), USER.to_owned())
    }

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    #[test]
    fn rollback_undoes_creates_updates_and_deletes_in_reverse() {
        let mut st = org();
        let ti = st.type_index("Account").unwrap();
        let kept = st
            .create(ti, &body(json!({"Name": "Kept"})), now())
            .unwrap();
        let doomed = st
            .create(ti, &body(json!({"Name": "Doomed"})), now())
            .unwrap();
        let before_len = st.len();

        let sp = st.savepoint();
        assert!(st.in_savepoint());
        let fresh = st
            .create(ti, &body(json!({"Name": "Fresh"})), now())
            .unwrap();
        let (_, pos) = match st.locate(ti, &kept) {
            crate::sandbox::store::Located::Live(id, pos) => (id, pos),
            other => panic!("{other:?}"),
        };
        st.update(ti, pos, &body(json!({"Name": "Renamed"})), now())
            .unwrap();
        st.update(ti, pos, &body(json!({"Name": "Twice"})), now())
            .unwrap();
        let dpos = match st.locate(ti, &doomed) {
            crate::sandbox::store::Located::Live(_, p) => p,
            other => panic!("{other:?}"),
        };
        st.delete(ti, dpos, now());
        st.rollback(sp);

        assert!(!st.in_savepoint());
        assert_eq!(st.len(), before_len);
        assert!(st.record(&fresh).is_none(), "the create is gone");
        assert_eq!(st.record(&kept).unwrap().1["Name"], "Kept");
        assert_eq!(st.record(&doomed).unwrap().1["IsDeleted"], false);
        // A create after the rollback still works and gets a new Id.
        let next = st
            .create(ti, &body(json!({"Name": "Next"})), now())
            .unwrap();
        assert_ne!(next, fresh);
        assert_eq!(st.record(&next).unwrap().1["Name"], "Next");
    }

    #[test]
    fn nested_release_keeps_entries_for_the_outer_rollback() {
        let mut st = org();
        let ti = st.type_index("Lead").unwrap();
        let outer = st.savepoint();
        let inner = st.savepoint();
        let id = st
            .create(ti, &body(json!({"LastName": "In", "Company": "C"})), now())
            .unwrap();
        st.release(inner);
        assert!(st.in_savepoint());
        st.rollback(outer);
        assert!(st.record(&id).is_none());
        assert!(st.journal.entries.is_empty());
    }

    #[test]
    fn an_inner_rollback_leaves_the_outer_writes() {
        let mut st = org();
        let ti = st.type_index("Lead").unwrap();
        let outer = st.savepoint();
        let a = st
            .create(ti, &body(json!({"LastName": "A", "Company": "C"})), now())
            .unwrap();
        let inner = st.savepoint();
        let b = st
            .create(ti, &body(json!({"LastName": "B", "Company": "C"})), now())
            .unwrap();
        st.rollback(inner);
        st.release(outer);
        assert!(st.record(&a).is_some());
        assert!(st.record(&b).is_none());
        assert!(!st.in_savepoint());
    }

    #[test]
    fn topic_names_and_assignments_come_back() {
        let mut st = org();
        let topic = st.type_index("Topic").unwrap();
        let assignment = st.type_index("TopicAssignment").unwrap();
        let contact = st.type_index("Contact").unwrap();
        let who = st
            .create(contact, &body(json!({"LastName": "T"})), now())
            .unwrap();
        let old = st
            .create(topic, &body(json!({"Name": "Old Name"})), now())
            .unwrap();

        let sp = st.savepoint();
        let pos = match st.locate(topic, &old) {
            crate::sandbox::store::Located::Live(_, p) => p,
            other => panic!("{other:?}"),
        };
        st.update(topic, pos, &body(json!({"Name": "New Name"})), now())
            .unwrap();
        let made = st
            .create(topic, &body(json!({"Name": "Made"})), now())
            .unwrap();
        st.create(
            assignment,
            &body(json!({"TopicId": made, "EntityId": who})),
            now(),
        )
        .unwrap();
        st.rollback(sp);

        assert_eq!(st.topic_named("old name"), Some(old.as_str()));
        assert_eq!(st.topic_named("New Name"), None);
        assert_eq!(st.topic_named("Made"), None);
        assert!(st.assignments.is_empty());
        // The names are free again.
        st.create(topic, &body(json!({"Name": "Made"})), now())
            .unwrap();
    }
}
