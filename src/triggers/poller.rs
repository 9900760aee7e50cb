//! One poller per trigger: the poll loop, its interval, and the fan-out.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::cursor::Position;
use super::registry::{Shared, lock};
use super::{Event, Trigger, TriggerConfig, fetch};
use crate::salesforce::{ApiUsage, Client, with_deadline};

/// What the poller sends a subscriber, in feed order.
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
pub(crate) struct Slot {
    pub(crate) tx: mpsc::Sender<Update>,
    /// Set (before the sender is dropped) when the subscriber's buffer overflowed.
    pub(crate) too_slow: Arc<AtomicBool>,
}

/// Where the feed stands and who hears it.
#[derive(Debug)]
pub(crate) struct Feed {
    /// Every record at or before it has been sent to every subscriber.
    pub(crate) position: Position,
    pub(crate) subscribers: HashMap<u64, Slot>,
}

/// A trigger's poller, shared by its subscribers.
#[derive(Debug)]
pub(crate) struct Poller {
    pub(crate) trigger: Trigger,
    pub(crate) fp: String,
    pub(crate) client: Client,
    /// std `Mutex`: fan-out is `try_send` only, so it is never held across an `.await`.
    pub(crate) feed: Mutex<Feed>,
    stop: watch::Sender<bool>,
}

// === impl Poller ===

impl Poller {
    /// A poller at `from`, its loop spawned.
    pub(crate) fn start(
        sh: Arc<Shared>,
        trigger: Trigger,
        fp: String,
        client: Client,
        from: Position,
    ) -> Arc<Poller> {
        let (stop, stopped) = watch::channel(false);
        let poller = Arc::new(Poller {
            trigger,
            fp,
            client,
            feed: Mutex::new(Feed {
                position: from,
                subscribers: HashMap::new(),
            }),
            stop,
        });
        tokio::spawn(run(sh, poller.clone(), stopped));
        poller
    }

    pub(crate) fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// Whether every subscriber has room for `n` more updates.
    fn room_for(&self, n: usize) -> bool {
        let feed = lock(&self.feed);
        feed.subscribers.values().all(|s| s.tx.capacity() >= n)
    }

    fn position(&self) -> Position {
        lock(&self.feed).position.clone()
    }

    /// Sends `events` (sorted) to every subscriber, then moves the feed to `upto`
    /// (if given). A subscriber whose buffer is full is cut off; it ends as too slow.
    fn publish(&self, events: Vec<Arc<Event>>, upto: Option<Position>, buffer: usize) {
        let mut guard = lock(&self.feed);
        let feed = &mut *guard;
        let mut cut = HashSet::new();
        for event in events {
            if event.position <= feed.position {
                continue;
            }
            feed.position = event.position.clone();
            for (id, slot) in &feed.subscribers {
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
            feed.subscribers.remove(id);
        }
        if let Some(upto) = upto.filter(|u| *u > feed.position) {
            feed.position = upto;
        }
        let progress = Arc::new(feed.position.clone());
        for slot in feed.subscribers.values() {
            // Progress is advisory (it only makes heartbeats fresher), so it never
            // takes the last half of a buffer that events may need.
            if slot.tx.capacity() > buffer / 2 {
                let _ = slot.tx.try_send(Update::Progress(progress.clone()));
            }
        }
    }
}

/// The poll loop: wait, read the settled window after the feed's position,
/// publish, adapt the interval. Ends when stopped or at shutdown.
async fn run(sh: Arc<Shared>, p: Arc<Poller>, mut stopped: watch::Receiver<bool>) {
    let cfg = &sh.config;
    let mut shutdown = sh.watch_shutdown();
    let mut interval = cfg.poll_interval;
    let mut delay = interval;
    let mut failures = 0u32;
    loop {
        tokio::select! {
            _ = stopped.wait_for(|s| *s) => return,
            _ = shutdown.wait_for(|s| *s) => return,
            () = tokio::time::sleep(delay) => {}
        }
        let before = p.position();
        let upto = Position::before(horizon(OffsetDateTime::now_utc(), cfg.overlap));
        if upto <= before {
            delay = interval;
            continue;
        }
        let deadline = Instant::now() + cfg.poll_timeout;
        let polled = with_deadline(
            deadline,
            fetch::window(&p.client, &p.trigger, &p.fp, &before, &upto),
        )
        .await;
        match polled {
            Ok(events) => {
                let flowing = !events.is_empty();
                publish_all(&p, events, upto, cfg).await;
                failures = 0;
                interval = next_interval(cfg, interval, flowing);
                let budget = budget_interval(
                    p.client.api_usage(),
                    cfg.api_share,
                    sh.pollers_on(&p.trigger.connection),
                );
                delay = interval.max(budget.unwrap_or_default());
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                delay = backoff(cfg, failures);
                // The error's Display names codes and paths only, never SOQL or tokens.
                tracing::warn!(
                    connection = %p.trigger.connection,
                    sobject = %p.trigger.sobject,
                    failures,
                    retry_in_ms = delay.as_millis() as u64,
                    error = %e,
                    "trigger poll failed; backing off"
                );
            }
        }
    }
}

/// How long a burst's fan-out waits for a subscriber to make room before the next
/// chunk cuts it off: long enough for a client that keeps up to drain a chunk,
/// short enough that a stuck one delays the others only once, briefly.
const ROOM_GRACE: Duration = Duration::from_secs(1);

/// Publishes `events` in chunks of half a buffer, waiting between chunks (up to
/// [`ROOM_GRACE`]) until every subscriber has room for the next one. A poll can
/// return more records than a buffer holds; without this, a burst would cut off
/// subscribers that keep up, just because they cannot read faster than a loop
/// of `try_send`s writes.
async fn publish_all(p: &Poller, events: Vec<Arc<Event>>, upto: Position, cfg: &TriggerConfig) {
    let chunk = (cfg.buffer / 2).max(1);
    let mut events = events.into_iter().peekable();
    loop {
        let batch: Vec<Arc<Event>> = events.by_ref().take(chunk).collect();
        if events.peek().is_none() {
            p.publish(batch, Some(upto), cfg.buffer);
            return;
        }
        p.publish(batch, None, cfg.buffer);
        let deadline = Instant::now() + ROOM_GRACE;
        while Instant::now() < deadline && !p.room_for(chunk) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// The release horizon: whole seconds, `overlap` in the past. Records created
/// before it have committed, given commits at most `overlap` late.
pub(crate) fn horizon(now: OffsetDateTime, overlap: Duration) -> OffsetDateTime {
    let t = now - overlap;
    t.replace_nanosecond(0).unwrap_or(t)
}

/// Faster (halving, down to `min_interval`) while records flow; slower (×1.5, up
/// to `max_interval`) while idle.
pub(crate) fn next_interval(cfg: &TriggerConfig, current: Duration, flowing: bool) -> Duration {
    if flowing {
        (current / 2).max(cfg.min_interval)
    } else {
        current
            .mul_f64(1.5)
            .min(cfg.max_interval)
            .max(cfg.min_interval)
    }
}

/// The shortest interval at which `pollers` pollers, one request per poll each,
/// stay within `share` of the org's daily requests; `None` when usage is unknown.
pub(crate) fn budget_interval(
    usage: Option<ApiUsage>,
    share: f64,
    pollers: usize,
) -> Option<Duration> {
    let usage = usage?;
    let allowed = usage.max as f64 * share;
    if !(allowed.is_finite() && allowed > 0.0) {
        return Some(MAX_BUDGET_INTERVAL);
    }
    let secs = 86_400.0 * pollers.max(1) as f64 / allowed;
    Some(Duration::from_secs_f64(
        secs.min(MAX_BUDGET_INTERVAL.as_secs_f64()),
    ))
}

/// Never slower than this, whatever the budget says: an org with a tiny allocation
/// still hears about its records within the hour.
const MAX_BUDGET_INTERVAL: Duration = Duration::from_secs(3600);

/// The wait after `failures` failed polls in a row: doubling from the minimum
/// interval, capped at `max_interval`.
pub(crate) fn backoff(cfg: &TriggerConfig, failures: u32) -> Duration {
    let base = cfg.min_interval.max(Duration::from_millis(10));
    base.saturating_mul(1 << failures.min(16).saturating_sub(1))
        .min(cfg.max_interval)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn cfg() -> TriggerConfig {
        TriggerConfig {
            poll_interval: Duration::from_secs(10),
            min_interval: Duration::from_secs(2),
            max_interval: Duration::from_secs(60),
            ..TriggerConfig::default()
        }
    }

    #[test]
    fn the_interval_speeds_up_while_records_flow_and_slows_when_idle() {
        let c = cfg();
        let s = Duration::from_secs;
        assert_eq!(next_interval(&c, s(10), true), s(5));
        assert_eq!(next_interval(&c, s(3), true), s(2));
        assert_eq!(next_interval(&c, s(10), false), s(15));
        assert_eq!(next_interval(&c, s(50), false), s(60));
    }

    #[test]
    fn polling_slows_to_stay_within_its_share_of_the_daily_budget() {
        let usage = Some(ApiUsage {
            used: 10,
            max: 100_000,
        });
        // 5% of 100,000 = 5,000 requests a day: one poller every 17.28 s, two every 34.56 s.
        assert_eq!(
            budget_interval(usage, 0.05, 1),
            Some(Duration::from_secs_f64(17.28))
        );
        assert_eq!(
            budget_interval(usage, 0.05, 2),
            Some(Duration::from_secs_f64(34.56))
        );
        assert_eq!(budget_interval(None, 0.05, 1), None);
        assert_eq!(
            budget_interval(Some(ApiUsage { used: 0, max: 0 }), 0.05, 1),
            Some(MAX_BUDGET_INTERVAL)
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_max_interval() {
        let c = cfg();
        let s = Duration::from_secs;
        assert_eq!(backoff(&c, 1), s(2));
        assert_eq!(backoff(&c, 2), s(4));
        assert_eq!(backoff(&c, 3), s(8));
        assert_eq!(backoff(&c, 30), s(60));
    }

    #[test]
    fn the_horizon_is_a_whole_second_overlap_ago() {
        assert_eq!(
            horizon(datetime!(2024-05-01 10:00:05.7 UTC), Duration::from_secs(2)),
            datetime!(2024-05-01 10:00:03 UTC)
        );
    }
}
