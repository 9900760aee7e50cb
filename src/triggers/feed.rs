//! A trigger's fan-out: where its feed stands and who hears it, whatever source
//! its events come from.
//!
//! A source publishes sorted events (and the position they reach) here; the feed
//! drops what is at or before its position, hands each event to every subscriber
//! with `try_send` on the subscriber's own bounded channel, and cuts off a
//! subscriber whose channel is full (it ends as too slow, with its cursor). This
//! is the single place the exactly-once bookkeeping of the live feed lives.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio::time::Instant;

use super::cursor::Position;
use super::{Event, lock};

/// What the feed sends a subscriber, in feed order.
#[derive(Debug)]
pub(crate) enum Update {
    /// The next record after everything sent before.
    Event(Arc<Event>),
    /// Every record at or before this position has been sent. Shared by every
    /// subscriber, and boxed like an event, so a channel slot is two words: each
    /// subscriber's channel allocates its first block of slots up front.
    Progress(Arc<Position>),
}

/// A subscriber's end of the fan-out.
#[derive(Debug)]
struct Slot {
    tx: mpsc::Sender<Update>,
    /// Set (before the sender is dropped) when the subscriber's buffer overflowed.
    too_slow: Arc<AtomicBool>,
}

/// Where the feed stands and who hears it.
#[derive(Debug)]
struct State {
    /// Every record at or before it has been sent to every subscriber.
    position: Position,
    subscribers: HashMap<u64, Slot>,
}

/// A new subscriber's end of the feed.
#[derive(Debug)]
pub(crate) struct Joined {
    pub(crate) rx: mpsc::Receiver<Update>,
    /// Set when the feed cut the subscriber off for being too slow.
    pub(crate) too_slow: Arc<AtomicBool>,
    /// Where the feed stood when the subscriber joined: everything after it will
    /// reach the subscriber through `rx`.
    pub(crate) at: Position,
}

/// One trigger's fan-out, shared by its source and its subscribers.
#[derive(Debug)]
pub(crate) struct Feed {
    /// Updates buffered per subscriber before it counts as too slow.
    buffer: usize,
    /// std `Mutex`: fan-out is `try_send` only, so it is never held across an `.await`.
    state: Mutex<State>,
}

/// How long a burst's fan-out waits for a subscriber to make room before the next
/// chunk cuts it off: long enough for a client that keeps up to drain a chunk,
/// short enough that a stuck one delays the others only once, briefly.
const ROOM_GRACE: Duration = Duration::from_secs(1);

// === impl Feed ===

impl Feed {
    /// A feed standing at `from`, with `buffer` updates of room per subscriber.
    pub(crate) fn new(from: Position, buffer: usize) -> Feed {
        Feed {
            buffer: buffer.max(1),
            state: Mutex::new(State {
                position: from,
                subscribers: HashMap::new(),
            }),
        }
    }

    /// Adds subscriber `id`, returning its channel and where the feed stands.
    pub(crate) fn join(&self, id: u64) -> Joined {
        let (tx, rx) = mpsc::channel(self.buffer);
        let too_slow = Arc::new(AtomicBool::new(false));
        let mut state = lock(&self.state);
        state.subscribers.insert(
            id,
            Slot {
                tx,
                too_slow: too_slow.clone(),
            },
        );
        Joined {
            rx,
            too_slow,
            at: state.position.clone(),
        }
    }

    /// Removes subscriber `id`; `true` when no subscriber is left.
    pub(crate) fn leave(&self, id: u64) -> bool {
        let mut state = lock(&self.state);
        state.subscribers.remove(&id);
        state.subscribers.is_empty()
    }

    /// Every record at or before this position has been sent.
    pub(crate) fn position(&self) -> Position {
        lock(&self.state).position.clone()
    }

    /// Publishes `events` (sorted) in chunks of half a buffer, then moves the feed
    /// to `upto`. Between chunks it waits (up to [`ROOM_GRACE`]) until every
    /// subscriber has room for the next one: a source can produce more records at
    /// once than a buffer holds, and without this a burst would cut off
    /// subscribers that keep up, just because they cannot read faster than a loop
    /// of `try_send`s writes.
    pub(crate) async fn publish_all(&self, events: Vec<Arc<Event>>, upto: Position) {
        let chunk = (self.buffer / 2).max(1);
        let mut events = events.into_iter().peekable();
        loop {
            let batch: Vec<Arc<Event>> = events.by_ref().take(chunk).collect();
            if events.peek().is_none() {
                self.publish(batch, Some(upto));
                return;
            }
            self.publish(batch, None);
            let deadline = Instant::now() + ROOM_GRACE;
            while Instant::now() < deadline && !self.room_for(chunk) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }

    /// Whether every subscriber has room for `n` more updates.
    fn room_for(&self, n: usize) -> bool {
        let state = lock(&self.state);
        state.subscribers.values().all(|s| s.tx.capacity() >= n)
    }

    /// Sends `events` (sorted) to every subscriber, then moves the feed to `upto`
    /// (if given). A subscriber whose buffer is full is cut off; it ends as too slow.
    fn publish(&self, events: Vec<Arc<Event>>, upto: Option<Position>) {
        let mut guard = lock(&self.state);
        let state = &mut *guard;
        let mut cut = HashSet::new();
        for event in events {
            if event.position <= state.position {
                continue;
            }
            state.position = event.position.clone();
            for (id, slot) in &state.subscribers {
                if cut.contains(id) {
                    continue;
                }
                match slot.tx.try_send(Update::Event(event.clone())) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => {
                        slot.too_slow.store(true, Ordering::Release);
                        cut.insert(*id);
                    }
                    Err(TrySendError::Closed(_)) => {
                        cut.insert(*id);
                    }
                }
            }
        }
        for id in &cut {
            // Dropping the sender after `too_slow` is set: the receiver sees the flag
            // once it has drained what was buffered.
            state.subscribers.remove(id);
        }
        if let Some(upto) = upto.filter(|u| *u > state.position) {
            state.position = upto;
        }
        let progress = Arc::new(state.position.clone());
        for slot in state.subscribers.values() {
            // Progress is advisory (it only makes heartbeats fresher), so it never
            // takes the last half of a buffer that events may need.
            if slot.tx.capacity() > self.buffer / 2 {
                let _ = slot.tx.try_send(Update::Progress(progress.clone()));
            }
        }
    }
}
