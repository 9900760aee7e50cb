//! One subscriber's view of a feed: catch-up, dedupe, heartbeats and ends.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::cursor::{self, Position};
use super::poller::{Poller, Update, backoff};
use super::registry::{self, Shared};
use super::{End, Event, Item, fetch};
use crate::salesforce::with_deadline;

/// A subscriber's place in a trigger's feed. Dropping it leaves the feed; the
/// last subscriber out stops the poller.
#[derive(Debug)]
pub struct Subscription {
    shared: Arc<Shared>,
    poller: Arc<Poller>,
    id: u64,
    rx: mpsc::Receiver<Update>,
    too_slow: Arc<AtomicBool>,
    /// Everything at or before it has been delivered (or precedes the start).
    position: Position,
    /// Where the feed stood when this subscriber joined, while the records from
    /// `position` up to it still have to be read by this subscriber's own query.
    catch_up: Option<Position>,
    /// Catch-up records not yet delivered, then the position they reach.
    pending: VecDeque<Arc<Event>>,
    caught_up_to: Option<Position>,
    shutdown: watch::Receiver<bool>,
    heartbeat_at: Instant,
}

// === impl Subscription ===

impl Subscription {
    pub(crate) fn new(
        shared: Arc<Shared>,
        poller: Arc<Poller>,
        id: u64,
        rx: mpsc::Receiver<Update>,
        too_slow: Arc<AtomicBool>,
        from: Position,
        joined_at: Position,
    ) -> Subscription {
        let catch_up = (from < joined_at).then_some(joined_at);
        Subscription {
            heartbeat_at: Instant::now() + shared.config.heartbeat,
            shutdown: shared.watch_shutdown(),
            shared,
            poller,
            id,
            rx,
            too_slow,
            position: from,
            catch_up,
            pending: VecDeque::new(),
            caught_up_to: None,
        }
    }

    /// The cursor of everything delivered so far.
    pub fn cursor(&self) -> String {
        cursor::encode(&self.poller.fp, &self.position)
    }

    /// The next event or heartbeat, or why the subscription ended. Events come in
    /// `(CreatedDate, Id)` order, each once.
    pub async fn next(&mut self) -> Result<Item, End> {
        loop {
            if *self.shutdown.borrow() {
                return Err(End::Shutdown {
                    cursor: self.cursor(),
                });
            }
            if let Some(event) = self.pending.pop_front() {
                if event.position > self.position {
                    return Ok(self.deliver(event));
                }
                continue;
            }
            if let Some(reached) = self.caught_up_to.take() {
                self.position = self.position.clone().max(reached);
            }
            if let Some(upto) = self.catch_up.clone() {
                // Boxed: its query future is several KiB, and held inline it would
                // size the future of every `next`, which an idle stream holds for
                // its life (BENCHMARKS.md §8).
                Box::pin(self.run_catch_up(upto)).await?;
                continue;
            }
            let heartbeat_at = self.heartbeat_at;
            let woke = tokio::select! {
                biased;
                _ = self.shutdown.wait_for(|s| *s) => Woke::Shutdown,
                update = self.rx.recv() => Woke::Update(update),
                () = tokio::time::sleep_until(heartbeat_at) => Woke::Heartbeat,
            };
            match woke {
                Woke::Shutdown => {}
                Woke::Update(Some(Update::Event(event))) => {
                    if event.position > self.position {
                        return Ok(self.deliver(event));
                    }
                }
                Woke::Update(Some(Update::Progress(p))) => {
                    if *p > self.position {
                        self.position = Arc::unwrap_or_clone(p);
                    }
                }
                Woke::Update(None) => {
                    let cursor = self.cursor();
                    return Err(if self.too_slow.load(Ordering::Acquire) {
                        End::TooSlow { cursor }
                    } else {
                        End::Shutdown { cursor }
                    });
                }
                Woke::Heartbeat => {
                    self.heartbeat_at = Instant::now() + self.shared.config.heartbeat;
                    return Ok(Item::Heartbeat {
                        cursor: self.cursor(),
                        checked_until: self.position.time(),
                    });
                }
            }
        }
    }

    fn deliver(&mut self, event: Arc<Event>) -> Item {
        self.position = event.position.clone();
        self.heartbeat_at = Instant::now() + self.shared.config.heartbeat;
        Item::Event(event)
    }

    /// Reads the records after `position` up to `upto` with this subscriber's own
    /// query, retrying upstream trouble with backoff until it succeeds or shutdown.
    async fn run_catch_up(&mut self, upto: Position) -> Result<(), End> {
        let cfg = &self.shared.config;
        let p = &self.poller;
        let mut shutdown = self.shutdown.clone();
        let mut failures = 0u32;
        loop {
            let deadline = Instant::now() + cfg.poll_timeout;
            let read = with_deadline(
                deadline,
                fetch::window(&p.client, &p.trigger, &p.fp, &self.position, &upto),
            );
            let result = tokio::select! {
                biased;
                _ = shutdown.wait_for(|s| *s) => None,
                r = read => Some(r),
            };
            match result {
                None => {
                    return Err(End::Shutdown {
                        cursor: cursor::encode(&p.fp, &self.position),
                    });
                }
                Some(Ok(events)) => {
                    self.pending.extend(events);
                    self.caught_up_to = Some(upto);
                    self.catch_up = None;
                    return Ok(());
                }
                Some(Err(e)) => {
                    failures = failures.saturating_add(1);
                    let wait = backoff(cfg, failures);
                    tracing::warn!(
                        connection = %p.trigger.connection,
                        sobject = %p.trigger.sobject,
                        failures,
                        error = %e,
                        "trigger catch-up failed; retrying"
                    );
                    tokio::select! {
                        biased;
                        _ = shutdown.wait_for(|s| *s) => {}
                        () = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
    }
}

/// What woke a waiting subscription.
enum Woke {
    Shutdown,
    Update(Option<Update>),
    Heartbeat,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        registry::leave(&self.shared, &self.poller, self.id);
    }
}
