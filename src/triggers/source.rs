//! The seam between a trigger's events and where they come from.
//!
//! A [`Source`] gives a trigger three things: the position a stream that starts
//! *now* starts after, the events of any window of the feed (the catch-up a
//! resuming subscriber reads with its own query), and a live feed, which it
//! publishes into the trigger's shared [`Feed`](super::feed::Feed) until stopped.
//! Everything else — fan-out, order, dedupe, cursors, the catch-up-then-join
//! handover — lives outside the source, once, whatever the source. Polling SOQL
//! ([`super::poll`]) is one source; every cursor names the source that wrote it
//! ([`SourceKind`]).

use std::fmt;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use time::OffsetDateTime;
use tokio::sync::watch;

use super::Event;
use super::cursor::Position;
use super::feed::Feed;
use crate::salesforce;

/// Which kind of source wrote a cursor. Its tag is part of the cursor text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    /// SOQL polling on `CreatedDate` (tag `p`).
    Poll,
}

impl SourceKind {
    /// The one-character tag cursors carry.
    pub(crate) fn tag(self) -> &'static str {
        match self {
            SourceKind::Poll => "p",
        }
    }

    /// The kind a cursor's tag names, if any.
    pub(crate) fn from_tag(tag: &str) -> Option<SourceKind> {
        match tag {
            "p" => Some(SourceKind::Poll),
            _ => None,
        }
    }
}

/// Where one trigger's events come from.
pub(crate) trait Source: Send + Sync + fmt::Debug {
    /// The kind, named in every cursor this source's events carry.
    fn kind(&self) -> SourceKind;

    /// The position a stream starting at `now` starts after: the records that
    /// exist at `now` are not delivered. Runs the trigger's query, so a bad
    /// sObject, field or condition fails here, before a stream starts.
    fn start_position(
        &self,
        now: OffsetDateTime,
    ) -> BoxFuture<'_, Result<Position, salesforce::Error>>;

    /// The events with `after < position <= upto`, sorted, each once.
    fn window<'a>(
        &'a self,
        after: &'a Position,
        upto: &'a Position,
    ) -> BoxFuture<'a, Result<Vec<Arc<Event>>, salesforce::Error>>;

    /// Publishes the live feed into `feed`, from the feed's position on, until
    /// `stop` says so. Upstream trouble never ends it: it backs off and catches up.
    fn run(self: Arc<Self>, feed: Arc<Feed>, stop: Stop) -> BoxFuture<'static, ()>;
}

/// When a source's live feed must stop: its last subscriber left, or the engine
/// shuts down.
#[derive(Debug, Clone)]
pub(crate) struct Stop {
    pub(crate) last_left: watch::Receiver<bool>,
    pub(crate) shutdown: watch::Receiver<bool>,
}

impl Stop {
    /// Resolves once the feed must stop.
    pub(crate) async fn stopped(&mut self) {
        tokio::select! {
            _ = self.last_left.wait_for(|s| *s) => {}
            _ = self.shutdown.wait_for(|s| *s) => {}
        }
    }
}
