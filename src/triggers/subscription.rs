//! One subscriber's view of a feed: catch-up, dedupe, heartbeats and ends.
//!
//! A subscriber that starts before where the shared feed stands when it joins
//! first reads that window with its own query ([`Source::window`]), then takes
//! the feed; both are cut at the same position, so the handover has neither gap
//! nor repeat, whatever the source.
//!
//! [`Source::window`]: super::source::Source::window

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::cursor::{self, Position};
use super::feed::{Joined, Update};
use super::registry::Member;
use super::{End, Event, Item, TriggerConfig};

/// A subscriber's place in a trigger's feed. Dropping it leaves the feed; the
/// last subscriber out stops the trigger's source.
#[derive(Debug)]
pub struct Subscription {
    member: Member,
    config: TriggerConfig,
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
    /// A subscriber that has everything at or before `from`, now a `member` of its
    /// trigger, which it `joined`.
    pub(crate) fn new(
        member: Member,
        joined: Joined,
        from: Position,
        config: TriggerConfig,
        shutdown: watch::Receiver<bool>,
    ) -> Subscription {
        let Joined { rx, too_slow, at } = joined;
        let catch_up = (from < at).then_some(at);
        Subscription {
            heartbeat_at: Instant::now() + config.heartbeat,
            shutdown,
            member,
            config,
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
        let r = &self.member.running;
        cursor::encode(&r.fp, r.source.kind(), &self.position)
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
                    self.heartbeat_at = Instant::now() + self.config.heartbeat;
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
        self.heartbeat_at = Instant::now() + self.config.heartbeat;
        Item::Event(event)
    }

    /// Reads the records after `position` up to `upto` with this subscriber's own
    /// query, retrying upstream trouble with backoff until it succeeds or shutdown.
    async fn run_catch_up(&mut self, upto: Position) -> Result<(), End> {
        let running = self.member.running.clone();
        let mut shutdown = self.shutdown.clone();
        let mut failures = 0u32;
        loop {
            let read = running.source.window(&self.position, &upto);
            let result = tokio::select! {
                biased;
                _ = shutdown.wait_for(|s| *s) => None,
                r = read => Some(r),
            };
            match result {
                None => {
                    return Err(End::Shutdown {
                        cursor: self.cursor(),
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
                    let wait = self.config.backoff(failures);
                    tracing::warn!(
                        connection = %running.trigger.connection,
                        sobject = %running.trigger.sobject,
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
