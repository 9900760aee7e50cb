//! Trigger → poller, and each poller's subscribers.
//!
//! Lock order is always the registry map, then a poller's feed state. Joining and
//! leaving take both, so a poller is never joined after its last subscriber left
//! (it is removed from the map under the same lock), and the position a subscriber
//! joins at is exactly where the poller's fan-out stands: everything at or before it
//! was sent before the subscriber was added, everything after it will be sent to it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{mpsc, watch};

use super::cursor::Position;
use super::poller::{Poller, Slot};
use super::subscription::Subscription;
use super::{Trigger, TriggerConfig};
use crate::salesforce::Client;

/// What the engine, its pollers and its subscriptions share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: TriggerConfig,
    connections: Arc<HashMap<String, Client>>,
    /// std `Mutex`: held only to look up, insert or remove, never across an `.await`.
    pollers: Mutex<HashMap<Trigger, Arc<Poller>>>,
    /// `true` once the engine shuts down; pollers and subscriptions watch it.
    shutdown: watch::Sender<bool>,
    next_id: AtomicU64,
}

/// Locks `m`; a poisoned lock is used as is, since every critical section here
/// leaves the data consistent at each step (inserts and removes).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

// === impl Shared ===

impl Shared {
    pub(crate) fn new(
        connections: Arc<HashMap<String, Client>>,
        config: TriggerConfig,
    ) -> Arc<Shared> {
        Arc::new(Shared {
            config,
            connections,
            pollers: Mutex::new(HashMap::new()),
            shutdown: watch::Sender::new(false),
            next_id: AtomicU64::new(0),
        })
    }

    pub(crate) fn client(&self, name: &str) -> Option<Client> {
        self.connections.get(name).cloned()
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

    pub(crate) fn poller_count(&self) -> usize {
        lock(&self.pollers).len()
    }

    /// How many pollers share `connection`'s API budget.
    pub(crate) fn pollers_on(&self, connection: &str) -> usize {
        lock(&self.pollers)
            .keys()
            .filter(|t| t.connection == connection)
            .count()
    }
}

/// Adds a subscriber starting after `from` to `trigger`'s poller, starting the
/// poller (at `from`) if there is none.
pub(crate) fn join(
    sh: &Arc<Shared>,
    trigger: Trigger,
    fp: String,
    client: Client,
    from: Position,
) -> Subscription {
    let mut pollers = lock(&sh.pollers);
    let poller = match pollers.get(&trigger) {
        Some(p) => p.clone(),
        None => {
            let p = Poller::start(sh.clone(), trigger.clone(), fp, client, from.clone());
            pollers.insert(trigger, p.clone());
            p
        }
    };
    let id = sh.next_id.fetch_add(1, Ordering::Relaxed);
    let (tx, rx) = mpsc::channel(sh.config.buffer.max(1));
    let too_slow = Arc::new(AtomicBool::new(false));
    let joined_at = {
        let mut feed = lock(&poller.feed);
        feed.subscribers.insert(
            id,
            Slot {
                tx,
                too_slow: too_slow.clone(),
            },
        );
        feed.position.clone()
    };
    drop(pollers);
    Subscription::new(sh.clone(), poller, id, rx, too_slow, from, joined_at)
}

/// Removes subscriber `id`; the last one out stops the poller.
pub(crate) fn leave(sh: &Shared, poller: &Arc<Poller>, id: u64) {
    let mut pollers = lock(&sh.pollers);
    let mut feed = lock(&poller.feed);
    feed.subscribers.remove(&id);
    if feed.subscribers.is_empty() {
        // Only this poller's own entry: a trigger's entry is replaced only after removal.
        if pollers
            .get(&poller.trigger)
            .is_some_and(|p| Arc::ptr_eq(p, poller))
        {
            pollers.remove(&poller.trigger);
        }
        poller.stop();
    }
}
