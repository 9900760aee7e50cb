//! `Subscribe`: a pull subscription to a change event channel.
//!
//! As Salesforce documents it
//! (<https://developer.salesforce.com/docs/platform/pub-sub-api/references/methods/subscribe-rpc.html>,
//! <https://developer.salesforce.com/docs/platform/pub-sub-api/guide/flow-control.html>):
//! - The first FetchRequest names the topic and where to start: `LATEST` (the default: after
//!   the newest event), `EARLIEST` (the oldest retained) or `CUSTOM` (right after
//!   `replay_id`). A blank topic is `topic.validation.empty`; an unknown one, or one whose
//!   object is not selected, `NOT_FOUND` `topic.not.found`; CUSTOM without a replay id is
//!   `replayid.validation.failed`; a replay id that is not one of the org's, or whose
//!   successors were purged (past the retention window), is `replayid.corrupted`. These
//!   fail the call before its stream starts. Replay options of later requests are ignored.
//! - Every request adds its `num_requested` to the events the server may send; at most 100
//!   are outstanding (more counts as 100). A request asking for 0 or fewer is
//!   `subscription.fetch.requested.events.invalid`; a later request naming another topic,
//!   `subscription.fetch.topic.mismatch` (both `INVALID_ARGUMENT`, ending the stream).
//! - Events arrive in FetchResponses of one or more, never more than requested;
//!   `pending_num_requested` is what is left. `latest_replay_id` is the position the
//!   subscriber can resume after without a gap: the last event sent, or past events of
//!   other objects it skipped. With nothing to send for [`EventBusConfig::keepalive`]
//!   (270 s), an empty FetchResponse carries it as a keepalive.
//! - The session is checked again before every response; once it has expired or was
//!   revoked the stream ends with `UNAUTHENTICATED` `service.auth.error`.
//! - The event bus faults: delivery delayed by `eventDelayMs`; `eventStreamDropRate` and
//!   [`EventBus::drop_streams`] end streams with `UNAVAILABLE` and no error code, as a reset
//!   connection does.
//!
//! Salesforce's closing of a stream idle for about 70 s with no outstanding request is not
//! emulated.
//!
//! [`EventBusConfig::keepalive`]: crate::sandbox::cdc::EventBusConfig::keepalive
//! [`EventBus::drop_streams`]: crate::sandbox::cdc::EventBus::drop_streams

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tonic::{Status, Streaming};

use super::{auth, status};
use crate::eventbus::v1::{
    ConsumerEvent, FetchRequest, FetchResponse, ProducerEvent, ReplayPreset,
};
use crate::sandbox::Shared;
use crate::sandbox::cdc::log::{position, replay_id};
use crate::sandbox::cdc::{EventBus, Start, Topic, now_ms};
use crate::sandbox::faults::chance;

/// The most events a subscriber may have outstanding.
pub const MAX_REQUESTED: i64 = 100;

/// A subscription checked and ready to stream.
pub(super) struct Subscription {
    shared: Arc<Shared>,
    token: String,
    rpc_id: String,
    topic_name: String,
    topic: Topic,
    position: u64,
    credit: i64,
}

impl std::fmt::Debug for Subscription {
    // Without the session token: it is a secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("rpc_id", &self.rpc_id)
            .field("topic", &self.topic_name)
            .field("position", &self.position)
            .field("credit", &self.credit)
            .finish_non_exhaustive()
    }
}

fn requested(n: i32, rpc_id: &str) -> Result<i64, Status> {
    if n <= 0 {
        return Err(status::invalid(
            "subscription.fetch.requested.events.invalid",
            &format!("num_requested must be greater than 0; it was {n}."),
            rpc_id,
        ));
    }
    Ok(i64::from(n))
}

fn corrupted(topic: &str, rpc_id: &str) -> Status {
    status::invalid(
        "subscription.fetch.replayid.corrupted",
        &format!(
            "The replay ID is not valid for {topic}: it was never issued, or the events after it are past the retention window. Subscribe with EARLIEST or LATEST."
        ),
        rpc_id,
    )
}

impl Subscription {
    /// Checks the first FetchRequest.
    pub(super) fn open(
        shared: Arc<Shared>,
        token: String,
        rpc_id: String,
        first: &FetchRequest,
    ) -> Result<Subscription, Status> {
        let bus = &shared.bus;
        let name = first.topic_name.trim();
        if name.is_empty() {
            return Err(status::invalid(
                "topic.validation.empty",
                "The topic name is blank.",
                &rpc_id,
            ));
        }
        let topic = bus
            .topic(name)
            .ok_or_else(|| status::topic_not_found(&shared.org_id, name, &rpc_id))?;
        let credit = requested(first.num_requested, &rpc_id)?.min(MAX_REQUESTED);
        let start = match ReplayPreset::try_from(first.replay_preset) {
            Ok(ReplayPreset::Latest) => Start::Latest,
            Ok(ReplayPreset::Earliest) => Start::Earliest,
            Ok(ReplayPreset::Custom) if first.replay_id.is_empty() => {
                return Err(status::invalid(
                    "subscription.fetch.replayid.validation.failed",
                    "A replay ID is required with the CUSTOM replay preset.",
                    &rpc_id,
                ));
            }
            Ok(ReplayPreset::Custom) => {
                Start::After(position(&first.replay_id).ok_or_else(|| corrupted(name, &rpc_id))?)
            }
            Err(_) => {
                return Err(status::invalid(
                    "subscription.fetch.request.invalid",
                    &format!(
                        "replay_preset {} is not LATEST, EARLIEST or CUSTOM.",
                        first.replay_preset
                    ),
                    &rpc_id,
                ));
            }
        };
        let position = bus.start(start).ok_or_else(|| corrupted(name, &rpc_id))?;
        Ok(Subscription {
            topic_name: name.to_owned(),
            topic,
            position,
            credit,
            shared,
            token,
            rpc_id,
        })
    }

    fn response(&self, events: Vec<ConsumerEvent>) -> FetchResponse {
        FetchResponse {
            events,
            latest_replay_id: replay_id(self.position),
            rpc_id: self.rpc_id.clone(),
            pending_num_requested: i32::try_from(self.credit).unwrap_or(i32::MAX),
        }
    }

    /// Streams events into `out` until the subscriber goes away or an error ends it.
    pub(super) async fn run(
        mut self,
        mut inbound: Streaming<FetchRequest>,
        out: mpsc::Sender<Result<FetchResponse, Status>>,
    ) {
        let bus: Arc<EventBus> = self.shared.bus.clone();
        let _open = bus.stream_opened();
        let mut head = bus.watch_head();
        head.borrow_and_update();
        let mut drops = bus.watch_drops();
        drops.borrow_and_update();
        let mut inbound_open = true;
        let mut last_sent = Instant::now();
        loop {
            let faults = self.shared.faults.get();
            let delay = i64::try_from(faults.event_delay_ms).unwrap_or(i64::MAX);
            let credit = usize::try_from(self.credit).unwrap_or(0);
            let batch = bus.next_batch(self.topic, &mut self.position, credit, delay);
            if batch.lost {
                let _ = out
                    .send(Err(corrupted(&self.topic_name, &self.rpc_id)))
                    .await;
                return;
            }
            if !batch.events.is_empty() {
                if chance(faults.event_stream_drop_rate) {
                    let _ = out.send(Err(status::reset())).await;
                    return;
                }
                if let Err(e) = auth::still_valid(&self.shared, &self.token, &self.rpc_id) {
                    let _ = out.send(Err(e)).await;
                    return;
                }
                self.credit -= i64::try_from(batch.events.len()).unwrap_or(i64::MAX);
                let events = batch
                    .events
                    .into_iter()
                    .map(|(replay, schema_id, id, payload)| ConsumerEvent {
                        event: Some(ProducerEvent {
                            id,
                            schema_id,
                            payload,
                            headers: Vec::new(),
                        }),
                        replay_id: replay_id(replay),
                    })
                    .collect();
                if out.send(Ok(self.response(events))).await.is_err() {
                    return;
                }
                last_sent = Instant::now();
                continue;
            }
            let keepalive_at = last_sent + bus.config().keepalive;
            let wake_at = batch.due_ms.map_or(keepalive_at, |due| {
                let wait = u64::try_from(due.saturating_sub(now_ms())).unwrap_or(0);
                keepalive_at.min(Instant::now() + Duration::from_millis(wait))
            });
            tokio::select! {
                () = out.closed() => return,
                changed = drops.changed() => {
                    if changed.is_ok() {
                        let _ = out.send(Err(status::reset())).await;
                    }
                    return;
                }
                msg = inbound.message(), if inbound_open => match msg {
                    Ok(Some(req)) => {
                        let name = req.topic_name.trim();
                        if !name.is_empty() && name != self.topic_name {
                            let e = status::invalid(
                                "subscription.fetch.topic.mismatch",
                                &format!("The topic {name} differs from the stream's topic {}.", self.topic_name),
                                &self.rpc_id,
                            );
                            let _ = out.send(Err(e)).await;
                            return;
                        }
                        match requested(req.num_requested, &self.rpc_id) {
                            Ok(n) => self.credit = (self.credit + n).min(MAX_REQUESTED),
                            Err(e) => {
                                let _ = out.send(Err(e)).await;
                                return;
                            }
                        }
                    }
                    Ok(None) => inbound_open = false,
                    Err(_) => return,
                },
                changed = head.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
                () = tokio::time::sleep_until(wake_at) => {
                    if Instant::now() >= keepalive_at {
                        if let Err(e) = auth::still_valid(&self.shared, &self.token, &self.rpc_id) {
                            let _ = out.send(Err(e)).await;
                            return;
                        }
                        if out.send(Ok(self.response(Vec::new()))).await.is_err() {
                            return;
                        }
                        last_sent = Instant::now();
                    }
                }
            }
        }
    }
}
