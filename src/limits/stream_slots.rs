//! Bounds on open server streams, per API key and in total, for stream handlers
//! (the trigger service). The admission layer takes a [`StreamSlot`] from the
//! request's headers, before its message is read, and hands it to the handler
//! ([`AdmittedStream`]), which moves it into the stream's producer; dropping the
//! slot, however the stream ends (completion, error, client gone, a message that
//! never arrived), gives it back.
//!
//! A handler-level guard rather than a tower layer: a stream's life is its
//! response body's, which a layer sees only as an opaque body, and the handler
//! already owns the producer task whose end is the stream's end.
//!
//! ```
//! # use sfgate::limits::StreamSlots;
//! let slots = StreamSlots::new(1, 10);
//! let slot = slots.acquire("agent").expect("a free slot");
//! assert!(slots.acquire("agent").is_err()); // its one stream is open
//! drop(slot);                               // the stream ended
//! assert!(slots.acquire("agent").is_ok());
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tonic::Status;

use crate::status::too_many_streams;

/// Open-stream counts, shared by every handler clone.
#[derive(Debug, Clone)]
pub struct StreamSlots {
    counts: Arc<Mutex<Counts>>,
    per_caller: usize,
    total: usize,
}

/// A std `Mutex`, not Tokio's: it is held for a few integer updates and never
/// across an `.await`, and [`StreamSlot`]'s `Drop` cannot await.
#[derive(Debug, Default)]
struct Counts {
    total: usize,
    /// Only keys with at least one open stream, so the map stays as small as
    /// the set of active callers.
    by_key: HashMap<String, usize>,
}

/// One open stream's place, given back on drop.
#[derive(Debug)]
#[must_use = "the slot is given back as soon as it is dropped"]
pub struct StreamSlot {
    counts: Arc<Mutex<Counts>>,
    key_name: String,
}

// === impl StreamSlots ===

impl StreamSlots {
    /// At most `per_caller` open streams for each API key, `total` for all.
    pub fn new(per_caller: usize, total: usize) -> Self {
        StreamSlots {
            counts: Arc::default(),
            per_caller,
            total,
        }
    }

    /// A slot for one more stream of `key_name` (the caller's key *name*), or
    /// `RESOURCE_EXHAUSTED` `TOO_MANY_STREAMS` naming the limit reached. The
    /// caller's own limit is reported first: it is the one the caller can act on.
    pub fn acquire(&self, key_name: &str) -> Result<StreamSlot, Status> {
        let mut counts = self.lock();
        let mine = counts.by_key.get(key_name).copied().unwrap_or(0);
        if mine >= self.per_caller {
            return Err(too_many_streams(key_name, self.per_caller, true));
        }
        if counts.total >= self.total {
            return Err(too_many_streams(key_name, self.total, false));
        }
        counts.total += 1;
        *counts.by_key.entry(key_name.to_owned()).or_default() += 1;
        Ok(StreamSlot {
            counts: self.counts.clone(),
            key_name: key_name.to_owned(),
        })
    }

    /// Streams open now, in total.
    pub fn open(&self) -> usize {
        self.lock().total
    }

    /// Streams `key_name` has open now.
    pub fn open_for(&self, key_name: &str) -> usize {
        self.lock().by_key.get(key_name).copied().unwrap_or(0)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        lock(&self.counts)
    }
}

/// The counts stay consistent whatever panicked while holding the lock (each
/// update is a single increment or decrement), so a poisoned lock is used as is.
fn lock(counts: &Mutex<Counts>) -> std::sync::MutexGuard<'_, Counts> {
    counts.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A [`StreamSlot`] taken before the request message was read, on its way to the handler
/// in the request extensions (which hold only `Clone` values). The handler [`take`]s it; if
/// the request ends before that, the slot goes back when the request is dropped.
///
/// [`take`]: AdmittedStream::take
#[derive(Debug, Clone)]
pub struct AdmittedStream(Arc<Mutex<Option<StreamSlot>>>);

impl AdmittedStream {
    /// Wraps `slot` for the handler.
    pub fn new(slot: StreamSlot) -> Self {
        AdmittedStream(Arc::new(Mutex::new(Some(slot))))
    }

    /// The slot, the first time; `None` after.
    pub fn take(&self) -> Option<StreamSlot> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

// === impl StreamSlot ===

impl StreamSlot {
    /// The API key name the slot counts against.
    pub fn key_name(&self) -> &str {
        &self.key_name
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut counts = lock(&self.counts);
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.by_key.get_mut(&self.key_name) {
            *n -= 1;
            if *n == 0 {
                counts.by_key.remove(&self.key_name);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;
    use tonic_types::StatusExt;

    fn scope(status: &Status) -> String {
        status.get_details_error_info().expect("ErrorInfo").metadata["scope"].clone()
    }

    #[test]
    fn one_past_the_per_caller_limit_is_refused_and_others_are_not() {
        let slots = StreamSlots::new(2, 10);
        let _a = slots.acquire("agent").unwrap();
        let _b = slots.acquire("agent").unwrap();
        let refused = slots.acquire("agent").unwrap_err();
        assert_eq!(refused.code(), Code::ResourceExhausted);
        let info = refused.get_details_error_info().unwrap();
        assert_eq!(info.reason, "TOO_MANY_STREAMS");
        assert_eq!(info.metadata["apiKey"], "agent");
        assert_eq!(info.metadata["limit"], "2");
        assert_eq!(scope(&refused), "apiKey");
        assert_eq!(
            refused.get_details_quota_failure().unwrap().violations[0].subject,
            "apiKey:agent"
        );
        assert!(refused.get_details_retry_info().is_none());
        let _other = slots.acquire("ops").expect("another key has its own slots");
        assert_eq!(slots.open(), 3);
        assert_eq!(slots.open_for("agent"), 2);
    }

    #[test]
    fn one_past_the_total_is_refused_with_retry_info() {
        let slots = StreamSlots::new(5, 3);
        let held: Vec<_> = ["a", "b", "c"]
            .iter()
            .map(|k| slots.acquire(k).unwrap())
            .collect();
        let refused = slots.acquire("d").unwrap_err();
        assert_eq!(scope(&refused), "gateway");
        assert_eq!(
            refused.get_details_error_info().unwrap().metadata["limit"],
            "3"
        );
        assert!(refused.get_details_retry_info().is_some());
        drop(held);
        assert_eq!(slots.open(), 0);
        let _d = slots.acquire("d").expect("freed on drop");
    }

    #[test]
    fn dropping_a_slot_gives_it_back_and_forgets_idle_keys() {
        let slots = StreamSlots::new(1, 1);
        let slot = slots.acquire("agent").unwrap();
        assert_eq!(slot.key_name(), "agent");
        assert!(slots.acquire("agent").is_err());
        drop(slot);
        assert_eq!(slots.open_for("agent"), 0);
        assert!(slots.lock().by_key.is_empty());
        let _again = slots.acquire("agent").unwrap();
    }

    #[test]
    fn a_slot_moved_into_a_task_is_given_back_when_the_task_ends() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let slots = StreamSlots::new(1, 1);
        let slot = slots.acquire("agent").unwrap();
        rt.block_on(async move {
            tokio::spawn(async move {
                let _slot = slot;
            })
            .await
            .unwrap();
        });
        assert_eq!(slots.open(), 0);
    }
}
