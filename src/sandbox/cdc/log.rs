//! The event log: change events in commit order, each with its replay id, kept for the
//! retention window.
//!
//! A replay id is the event's position in the org's one log, as 8 big-endian bytes (the
//! form Salesforce's own samples show). Every change event topic is a view of that log, so
//! on any one topic the ids grow but skip, as Salesforce's do; clients must treat them as
//! opaque (<https://developer.salesforce.com/docs/platform/pub-sub-api/guide/event-message-durability.html>).
//! A position, not an event, is what a subscriber resumes from: "after replay id `r`" means
//! every event logged after `r`, whatever its topic.

use std::collections::VecDeque;
use std::sync::{Arc, OnceLock};

use super::ChangeType;
use super::capture::Change;

/// One logged change event.
#[derive(Debug)]
pub struct Event {
    /// Its position in the log (its replay id).
    pub replay: u64,
    /// When its transaction committed, in epoch milliseconds.
    pub commit_ms: i64,
    /// CREATE, UPDATE, …, or a GAP_ type when the event bus could not tell the details.
    pub change_type: ChangeType,
    /// Its transaction's key, shared by the transaction's events.
    pub transaction_key: Arc<str>,
    /// Its place in its transaction, from 1.
    pub sequence_number: i32,
    /// The transaction's system change number (diagnostic).
    pub commit_number: i64,
    /// A GUID for the event (`ProducerEvent.id`), made on first delivery.
    pub uuid: OnceLock<String>,
    /// The record's change.
    pub change: Change,
    /// The Avro payload, written once on first delivery.
    pub(super) payload: OnceLock<Vec<u8>>,
}

/// The replay id bytes of a position.
pub fn replay_id(position: u64) -> Vec<u8> {
    position.to_be_bytes().to_vec()
}

/// The position a replay id names, if it has the sandbox's 8-byte form.
pub fn position(replay_id: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(replay_id).ok().map(u64::from_be_bytes)
}

/// The retained events and the positions around them.
#[derive(Debug, Default)]
pub struct Log {
    events: VecDeque<Arc<Event>>,
    /// The newest position ever logged (0 before the first event).
    pub head: u64,
    /// Every event at or before this position has been purged.
    pub floor: u64,
    /// The last transaction's commit number.
    pub commit_number: i64,
}

impl Log {
    /// Appends an event with the next position; returns that position.
    pub fn push(&mut self, make: impl FnOnce(u64) -> Event) -> u64 {
        self.head += 1;
        let event = make(self.head);
        self.events.push_back(Arc::new(event));
        self.head
    }

    /// Drops events committed before `oldest_ms`, and the oldest beyond `max_events`.
    pub fn purge(&mut self, oldest_ms: i64, max_events: usize) {
        while let Some(first) = self.events.front() {
            if first.commit_ms >= oldest_ms && self.events.len() <= max_events {
                break;
            }
            self.floor = first.replay;
            self.events.pop_front();
        }
    }

    /// The retained events after `position`, oldest first.
    pub fn after(&self, position: u64) -> impl Iterator<Item = &Arc<Event>> {
        let start = self.events.partition_point(|e| e.replay <= position);
        self.events.range(start..)
    }

    /// How many events are retained.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether no event is retained.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::cdc::capture::Op;

    fn event(replay: u64, commit_ms: i64) -> Event {
        Event {
            replay,
            commit_ms,
            change_type: ChangeType::Create,
            transaction_key: Arc::from("tx"),
            sequence_number: 1,
            commit_number: 1,
            uuid: OnceLock::new(),
            change: Change {
                ti: 0,
                op: Op::Create,
                id: "003000000000001AAA".into(),
                values: Default::default(),
                changed: Vec::new(),
                nulled: Vec::new(),
                origin: Arc::from(""),
            },
            payload: OnceLock::new(),
        }
    }

    #[test]
    fn purging_moves_the_floor_past_expired_and_surplus_events() {
        let mut log = Log::default();
        for ms in [10, 20, 30, 40] {
            log.push(|r| event(r, ms));
        }
        log.purge(25, 10);
        assert_eq!(log.floor, 2);
        assert_eq!(log.after(0).map(|e| e.replay).collect::<Vec<_>>(), [3, 4]);
        log.purge(0, 1);
        assert_eq!(log.floor, 3);
        assert_eq!(log.after(3).count(), 1);
        assert_eq!(log.head, 4);
    }

    #[test]
    fn replay_ids_are_eight_big_endian_bytes() {
        assert_eq!(replay_id(0x0102), vec![0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(position(&replay_id(77)), Some(77));
        assert_eq!(position(b"short"), None);
    }
}
