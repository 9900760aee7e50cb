//! Idempotent creates: the key sent to Salesforce, and local waiting for a create
//! already in flight with the same key.
//!
//! Salesforce's UI API stores the answer to the first create with an
//! `Idempotency-Key` and gives it to every repeat, which makes a keyed create
//! safe to retry across a lost response or a gateway restart. Two things are
//! added here:
//!
//! - **Scoping.** Salesforce scopes keys per org user, and every caller of a
//!   connection shares that user, so the caller's key is namespaced by its API
//!   key name before it leaves: two tenants choosing the same key never see each
//!   other's record. The upstream key is a UUID-shaped digest (SHA-256 of the
//!   two), so any caller string becomes a header value Salesforce accepts.
//! - **Waiting.** Concurrent repeats of one key on this gateway wait for the
//!   first and take its result, instead of racing to Salesforce (whose behaviour
//!   for two requests with one key in flight is not documented). Only results of
//!   creates still in flight are shared; after that, repeats go to Salesforce,
//!   which answers from its own store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use sha2::{Digest, Sha256};
use tonic::Status;

use crate::pb::CreateObjectResponse;
use crate::status::{self, Violation};

/// The longest key accepted, in bytes.
pub(crate) const MAX_KEY_LEN: usize = 255;

/// The caller's `idempotency_key`, checked: `None` when unset.
pub(crate) fn caller_key(key: &str) -> Result<Option<&str>, Status> {
    if key.is_empty() {
        return Ok(None);
    }
    if key.len() > MAX_KEY_LEN || key.chars().any(char::is_control) || key.trim().is_empty() {
        return Err(status::invalid_one(Violation::new(
            "idempotency_key",
            format!("must be 1 to {MAX_KEY_LEN} bytes of printable text"),
        )));
    }
    Ok(Some(key))
}

/// The `Idempotency-Key` sent upstream for `key` from the API key named `key_name`.
pub(crate) fn upstream_key(key_name: &str, key: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(b"sfgate idempotency v1\0");
    hash.update(key_name.as_bytes());
    hash.update(b"\0");
    hash.update(key.as_bytes());
    let d = hash.finalize();
    // A version-8 (custom) UUID, RFC 9562: the version and variant bits set, the rest hash.
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The outcome slot of one key's creates in flight.
type Slot = Arc<tokio::sync::Mutex<Option<CreateObjectResponse>>>;

/// Keyed creates in flight on this gateway, shared by every handler clone.
#[derive(Debug, Clone, Default)]
pub(crate) struct InFlight {
    // std Mutex: held only to find or drop a slot, never across an await. The
    // slot's own lock is Tokio's: it is held across the create, which waiters await.
    slots: Arc<Mutex<HashMap<String, Slot>>>,
}

impl InFlight {
    /// Runs `create` for `key` (connection name + upstream key), unless a create
    /// with the same key already succeeded while this one waited: then its result.
    pub(crate) async fn run<F>(
        &self,
        key: String,
        create: F,
    ) -> Result<CreateObjectResponse, Status>
    where
        F: Future<Output = Result<CreateObjectResponse, Status>>,
    {
        let slot = self.lock().entry(key.clone()).or_default().clone();
        // Removes the slot when the last create of the key ends, however it ends: a
        // call dropped at its deadline included.
        let leave = Leave {
            flight: self,
            key,
            slot,
        };
        let mut done = leave.slot.lock().await;
        match &*done {
            Some(first) => Ok(first.clone()),
            None => {
                let result = create.await;
                if let Ok(created) = &result {
                    *done = Some(created.clone());
                }
                result
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Slot>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

/// Drops a key's slot from the map when its last user leaves.
struct Leave<'a> {
    flight: &'a InFlight,
    key: String,
    slot: Slot,
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        let mut slots = self.flight.lock();
        // The map's reference and this one: nobody else is waiting on the key.
        if Arc::strong_count(&self.slot) == 2 {
            slots.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn upstream_keys_are_uuids_scoped_by_api_key() {
        let a = upstream_key("agent", "k1");
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "8");
        assert_eq!(a, upstream_key("agent", "k1"));
        assert_ne!(a, upstream_key("other", "k1"));
        assert_ne!(a, upstream_key("agent", "k2"));
        // The separator keeps ("ab","c") and ("a","bc") apart.
        assert_ne!(upstream_key("ab", "c"), upstream_key("a", "bc"));
    }

    #[test]
    fn bad_keys_name_the_field() {
        assert_eq!(caller_key("").unwrap(), None);
        assert_eq!(caller_key("k-1").unwrap(), Some("k-1"));
        for bad in ["x".repeat(256), "a\nb".into(), "   ".into()] {
            let e = caller_key(&bad).unwrap_err();
            assert_eq!(e.code(), tonic::Code::InvalidArgument);
            assert!(format!("{e:?}").contains("idempotency_key"));
        }
    }

    #[tokio::test]
    async fn concurrent_repeats_wait_for_the_first_and_share_its_result() {
        let flight = InFlight::default();
        let calls = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (flight, calls) = (flight.clone(), calls.clone());
                tokio::spawn(async move {
                    flight
                        .run("c/k".into(), async {
                            calls.fetch_add(1, Ordering::SeqCst);
                            tokio::task::yield_now().await;
                            Ok(CreateObjectResponse {
                                id: "00Q000000000001AAA".into(),
                                sobject: "Lead".into(),
                            })
                        })
                        .await
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap().id, "00Q000000000001AAA");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(flight.len(), 0, "no slot outlives its creates");
    }

    #[tokio::test]
    async fn a_create_dropped_at_its_deadline_leaves_no_slot_behind() {
        let flight = InFlight::default();
        let never = flight.run("c/k".into(), std::future::pending());
        let timed_out = tokio::time::timeout(std::time::Duration::from_millis(10), never).await;
        assert!(timed_out.is_err());
        assert_eq!(flight.len(), 0);
    }

    #[tokio::test]
    async fn a_failed_first_leaves_the_waiter_to_try_itself() {
        let flight = InFlight::default();
        let failed = flight
            .run("c/k".into(), async { Err(Status::unavailable("lost")) })
            .await;
        assert!(failed.is_err());
        let ok = flight
            .run("c/k".into(), async {
                Ok(CreateObjectResponse {
                    id: "x".into(),
                    sobject: "Lead".into(),
                })
            })
            .await;
        assert_eq!(ok.unwrap().id, "x");
    }
}
