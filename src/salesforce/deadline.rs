//! The caller's deadline, carried to the client in a task-local so that every call site (and
//! helpers such as `add_topic`, which make several calls) obeys it without a parameter.
//!
//! The gRPC layer wraps each handler in [`with_deadline`]; inside, the client bounds permit
//! waits, each HTTP request and the retries by what is left. Without one in scope the client
//! uses its connection's `default_timeout` instead, so nothing waits forever.
//!
//! A task-local does not cross `tokio::spawn`: work spawned from a handler has no deadline of
//! its own unless the spawned future is wrapped again.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

tokio::task_local! {
    static DEADLINE: Instant;
}

/// Runs `f` with `deadline` in scope. Nested scopes never extend an outer deadline: the
/// earlier of the two applies, because the outer caller stops waiting at its own.
pub async fn with_deadline<F: Future>(deadline: Instant, f: F) -> F::Output {
    let effective = current().map_or(deadline, |outer| outer.min(deadline));
    DEADLINE.scope(effective, f).await
}

/// The deadline in scope, if any.
pub fn current() -> Option<Instant> {
    DEADLINE.try_with(|d| *d).ok()
}

/// Time left until the deadline in scope (zero once it has passed), if there is one.
pub fn remaining() -> Option<Duration> {
    current().map(|d| d.saturating_duration_since(Instant::now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_deadline_is_visible_inside_the_scope_only() {
        assert_eq!(current(), None);
        assert_eq!(remaining(), None);
        let at = Instant::now() + Duration::from_millis(200);
        with_deadline(at, async {
            assert_eq!(current(), Some(at));
            assert_eq!(remaining(), Some(Duration::from_millis(200)));
            tokio::time::sleep(Duration::from_millis(150)).await;
            assert_eq!(remaining(), Some(Duration::from_millis(50)));
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert_eq!(remaining(), Some(Duration::ZERO));
        })
        .await;
        assert_eq!(current(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_nested_scope_cannot_extend_the_outer_deadline() {
        let near = Instant::now() + Duration::from_millis(100);
        let far = near + Duration::from_secs(5);
        with_deadline(near, async {
            with_deadline(far, async { assert_eq!(current(), Some(near)) }).await;
        })
        .await;
        with_deadline(far, async {
            with_deadline(near, async { assert_eq!(current(), Some(near)) }).await;
            assert_eq!(current(), Some(far));
        })
        .await;
    }
}
