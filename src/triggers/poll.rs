//! The polling source: SOQL on `CreatedDate`, its adaptive interval and its share
//! of the org's API budget.
//!
//! The loop waits, reads the settled window after the feed's position (see the
//! settle delay in the module docs of [`super`]), publishes it, and adapts its
//! interval: faster while records flow, slower while idle, never faster than the
//! connection's pollers together may poll within `api_share` of the org's daily
//! requests, and backing off on errors.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use time::OffsetDateTime;
use tokio::time::Instant;

use super::cursor::{self, Position};
use super::feed::Feed;
use super::source::{Source, SourceKind, Stop};
use super::{Event, Trigger, TriggerConfig, fetch};
use crate::salesforce::{self, ApiUsage, Client, with_deadline};

/// Polls one trigger's query.
#[derive(Debug)]
pub(crate) struct PollSource {
    client: Client,
    trigger: Trigger,
    /// The trigger's fingerprint, for the cursors of its events.
    fp: String,
    config: TriggerConfig,
    /// How many polling sources run on this source's connection now (this one
    /// included while it runs): they share the connection's API budget.
    on_connection: Arc<AtomicUsize>,
}

// === impl PollSource ===

impl PollSource {
    /// A source polling `trigger` over `client`; `on_connection` counts the running
    /// polling sources of the trigger's connection.
    pub(crate) fn new(
        client: Client,
        trigger: Trigger,
        fp: String,
        config: TriggerConfig,
        on_connection: Arc<AtomicUsize>,
    ) -> PollSource {
        PollSource {
            client,
            trigger,
            fp,
            config,
            on_connection,
        }
    }

    fn deadline(&self) -> Instant {
        Instant::now() + self.config.poll_timeout
    }
}

impl Source for PollSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Poll
    }

    fn start_position(
        &self,
        now: OffsetDateTime,
    ) -> BoxFuture<'_, Result<Position, salesforce::Error>> {
        async move {
            let second = now.replace_nanosecond(0).unwrap_or(now);
            let newest = with_deadline(
                self.deadline(),
                fetch::probe(&self.client, &self.trigger, second),
            )
            .await?;
            Ok(Position {
                ms: cursor::unix_ms(second),
                id: newest.unwrap_or_default(),
            })
        }
        .boxed()
    }

    fn window<'a>(
        &'a self,
        after: &'a Position,
        upto: &'a Position,
    ) -> BoxFuture<'a, Result<Vec<Arc<Event>>, salesforce::Error>> {
        with_deadline(
            self.deadline(),
            fetch::window(&self.client, &self.trigger, &self.fp, after, upto),
        )
        .boxed()
    }

    fn run(self: Arc<Self>, feed: Arc<Feed>, stop: Stop) -> BoxFuture<'static, ()> {
        run(self, feed, stop).boxed()
    }
}

/// Counts a running source on its connection for as long as it lives.
struct Running(Arc<AtomicUsize>);

impl Running {
    fn start(count: &Arc<AtomicUsize>) -> Running {
        count.fetch_add(1, Ordering::Relaxed);
        Running(count.clone())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The poll loop: wait, read the settled window after the feed's position,
/// publish, adapt the interval. Ends when stopped.
async fn run(p: Arc<PollSource>, feed: Arc<Feed>, mut stop: Stop) {
    let _running = Running::start(&p.on_connection);
    let cfg = &p.config;
    let mut interval = cfg.poll_interval;
    let mut delay = interval;
    let mut failures = 0u32;
    loop {
        tokio::select! {
            () = stop.stopped() => return,
            () = tokio::time::sleep(delay) => {}
        }
        let before = feed.position();
        let upto = Position::before(horizon(OffsetDateTime::now_utc(), cfg.overlap));
        if upto <= before {
            delay = interval;
            continue;
        }
        match p.window(&before, &upto).await {
            Ok(events) => {
                let flowing = !events.is_empty();
                feed.publish_all(events, upto).await;
                failures = 0;
                interval = next_interval(cfg, interval, flowing);
                let budget = budget_interval(
                    p.client.api_usage(),
                    cfg.api_share,
                    p.on_connection.load(Ordering::Relaxed),
                );
                delay = interval.max(budget.unwrap_or_default());
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                delay = cfg.backoff(failures);
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
        assert_eq!(c.backoff(1), s(2));
        assert_eq!(c.backoff(2), s(4));
        assert_eq!(c.backoff(3), s(8));
        assert_eq!(c.backoff(30), s(60));
    }

    #[test]
    fn the_horizon_is_a_whole_second_overlap_ago() {
        assert_eq!(
            horizon(datetime!(2024-05-01 10:00:05.7 UTC), Duration::from_secs(2)),
            datetime!(2024-05-01 10:00:03 UTC)
        );
    }
}
