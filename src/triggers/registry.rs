//! Trigger → its running source and feed; subscribers' membership.
//!
//! A trigger runs (its source feeding its [`Feed`]) while it has subscribers:
//! the first one starts it, the last one out stops it. Lock order is always the
//! registry map, then a feed's state. Joining and leaving take both, so a running
//! trigger is never joined after its last subscriber left (it is removed from the
//! map under the same lock), and the position a subscriber joins at is exactly
//! where the fan-out stands: everything at or before it was sent before the
//! subscriber was added, everything after it will be sent to it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::cursor::Position;
use super::feed::{Feed, Joined};
use super::poll::PollSource;
use super::source::{Source, Stop};
use super::{Trigger, TriggerConfig, lock};
use crate::salesforce::Client;

/// What the engine and its subscriptions share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: TriggerConfig,
    connections: Arc<HashMap<String, Client>>,
    /// Per connection, how many polling sources run on it (they share its budget).
    polling: HashMap<String, Arc<AtomicUsize>>,
    /// std `Mutex`: held only to look up, insert or remove, never across an `.await`.
    running: Mutex<HashMap<Trigger, Arc<Running>>>,
    /// `true` once the engine shuts down; sources and subscriptions watch it.
    shutdown: watch::Sender<bool>,
    next_id: AtomicU64,
}

/// A trigger with subscribers: its source feeding its feed.
#[derive(Debug)]
pub(crate) struct Running {
    pub(crate) trigger: Trigger,
    /// The trigger's fingerprint, carried by its cursors.
    pub(crate) fp: String,
    pub(crate) feed: Arc<Feed>,
    pub(crate) source: Arc<dyn Source>,
    /// Set when the last subscriber leaves: the source's live feed stops.
    last_left: watch::Sender<bool>,
}

// === impl Shared ===

impl Shared {
    pub(crate) fn new(
        connections: Arc<HashMap<String, Client>>,
        config: TriggerConfig,
    ) -> Arc<Shared> {
        let polling = connections
            .keys()
            .map(|name| (name.clone(), Arc::new(AtomicUsize::new(0))))
            .collect();
        Arc::new(Shared {
            config,
            connections,
            polling,
            running: Mutex::new(HashMap::new()),
            shutdown: watch::Sender::new(false),
            next_id: AtomicU64::new(0),
        })
    }

    pub(crate) fn is_shut_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    pub(crate) fn shut_down(&self) {
        self.shutdown.send_replace(true);
    }

    pub(crate) fn watch_shutdown(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// How many triggers run now (one per distinct trigger with subscribers).
    pub(crate) fn running_count(&self) -> usize {
        lock(&self.running).len()
    }

    /// The source of `trigger`: the running one's, or a new one, not yet started.
    /// `None` when the trigger's connection does not exist.
    pub(crate) fn source(&self, trigger: &Trigger, fp: &str) -> Option<Arc<dyn Source>> {
        if let Some(r) = lock(&self.running).get(trigger) {
            return Some(r.source.clone());
        }
        let client = self.connections.get(&trigger.connection)?.clone();
        let on_connection = self.polling.get(&trigger.connection)?.clone();
        Some(Arc::new(PollSource::new(
            client,
            trigger.clone(),
            fp.to_owned(),
            self.config.clone(),
            on_connection,
        )))
    }
}

/// A subscriber's place in a running trigger; dropping it leaves, and the last
/// member out stops the trigger's source.
#[derive(Debug)]
pub(crate) struct Member {
    shared: Arc<Shared>,
    pub(crate) running: Arc<Running>,
    id: u64,
}

/// Adds a subscriber starting after `from` to `trigger`, starting the trigger
/// (its feed at `from`, fed by `source`) if it does not run.
pub(crate) fn join(
    sh: &Arc<Shared>,
    trigger: Trigger,
    fp: String,
    source: Arc<dyn Source>,
    from: Position,
) -> (Member, Joined) {
    let mut running = lock(&sh.running);
    let r = match running.get(&trigger) {
        Some(r) => r.clone(),
        None => {
            let (last_left, left) = watch::channel(false);
            let feed = Arc::new(Feed::new(from, sh.config.buffer));
            let stop = Stop {
                last_left: left,
                shutdown: sh.watch_shutdown(),
            };
            tokio::spawn(source.clone().run(feed.clone(), stop));
            let r = Arc::new(Running {
                trigger: trigger.clone(),
                fp,
                feed,
                source,
                last_left,
            });
            running.insert(trigger, r.clone());
            r
        }
    };
    let id = sh.next_id.fetch_add(1, Ordering::Relaxed);
    let joined = r.feed.join(id);
    drop(running);
    let member = Member {
        shared: sh.clone(),
        running: r,
        id,
    };
    (member, joined)
}

impl Drop for Member {
    fn drop(&mut self) {
        let mut running = lock(&self.shared.running);
        let r = &self.running;
        if r.feed.leave(self.id) {
            // Only this trigger's own entry: an entry is replaced only after removal.
            if running
                .get(&r.trigger)
                .is_some_and(|other| Arc::ptr_eq(other, r))
            {
                running.remove(&r.trigger);
            }
            r.last_left.send_replace(true);
        }
    }
}
