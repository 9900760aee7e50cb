//! When the org's metadata last changed, for describe's `If-Modified-Since`.
//!
//! Salesforce answers a describe (of one sObject, or the global list) sent with
//! `If-Modified-Since` with 304 Not Modified and no body when "the object
//! metadata has not changed since the provided date"
//! (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/sobject_describe_with_ifmodified_header.htm>,
//! <https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/describe_global_with_ifmodified_header.htm>).
//! The sandbox's metadata (standard objects, seeded custom objects and fields,
//! validation rules) is set when the org is built, so that is when it last
//! changed; [`MetadataClock::touch`] marks a change later (from Rust,
//! `Sandbox::touch_metadata`, or `POST /__sandbox/touch-metadata`), as an
//! admin adding a field in Setup would.
//!
//! What the session's user may see is metadata too: when the `hideTopics` fault
//! switch flips, the next describe that sees it counts as a change
//! ([`MetadataClock::observe_visibility`]).
//!
//! Times are kept to the millisecond, and each touch is strictly later than
//! everything before it, so a change is never hidden by a date taken in the
//! same second (HTTP dates have whole seconds).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use time::{Duration, OffsetDateTime};

/// The org-wide and per-sObject metadata change times.
#[derive(Debug)]
pub struct MetadataClock {
    // std Mutex: held for a map lookup or insert only, never across an await.
    inner: Mutex<Times>,
}

#[derive(Debug)]
struct Times {
    /// The last change to the whole org (build time, or a touch of everything).
    org: OffsetDateTime,
    /// Later changes to single sObjects, by lower-cased name.
    by_type: HashMap<String, OffsetDateTime>,
    /// The `hideTopics` switch as a describe last saw it.
    hide_topics: bool,
}

impl Times {
    fn latest(&self) -> OffsetDateTime {
        self.by_type
            .values()
            .copied()
            .fold(self.org, OffsetDateTime::max)
    }
}

impl MetadataClock {
    /// Metadata last changed at `built`, when `hide_topics` was as given.
    pub fn new(built: OffsetDateTime, hide_topics: bool) -> MetadataClock {
        MetadataClock {
            inner: Mutex::new(Times {
                org: built,
                by_type: HashMap::new(),
                hide_topics,
            }),
        }
    }

    /// Notes the `hideTopics` switch a describe is answered under: if it
    /// differs from the last one seen, what the user can see changed at `now`.
    pub fn observe_visibility(&self, hide_topics: bool, now: OffsetDateTime) {
        let changed = {
            let mut t = self.lock();
            std::mem::replace(&mut t.hide_topics, hide_topics) != hide_topics
        };
        if changed {
            self.touch(None, now);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Times> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// When the metadata of `sobject` last changed.
    pub fn of(&self, sobject: &str) -> OffsetDateTime {
        let t = self.lock();
        t.by_type
            .get(&sobject.to_ascii_lowercase())
            .copied()
            .map_or(t.org, |ty| ty.max(t.org))
    }

    /// When any sObject's metadata last changed (what the global describe shows).
    pub fn latest(&self) -> OffsetDateTime {
        self.lock().latest()
    }

    /// Records a change of `sobject`'s metadata (or, with `None`, of every
    /// sObject's) at `now`, or 1 ms after the latest change if that is later.
    /// Returns the time recorded.
    pub fn touch(&self, sobject: Option<&str>, now: OffsetDateTime) -> OffsetDateTime {
        let mut t = self.lock();
        let at = now.max(t.latest() + Duration::milliseconds(1));
        match sobject {
            Some(name) => {
                t.by_type.insert(name.to_ascii_lowercase(), at);
            }
            None => {
                t.org = at;
                t.by_type.clear();
            }
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_touch_moves_its_sobject_and_the_global_time_only() {
        let built = OffsetDateTime::now_utc();
        let clock = MetadataClock::new(built, false);
        assert_eq!(clock.of("Contact"), built);
        assert_eq!(clock.latest(), built);
        // A touch in the same instant still lands strictly later.
        let at = clock.touch(Some("Contact"), built);
        assert!(at > built);
        assert_eq!(clock.of("contact"), at);
        assert_eq!(clock.of("Account"), built);
        assert_eq!(clock.latest(), at);
        let all = clock.touch(None, built);
        assert!(all > at);
        assert_eq!(clock.of("Account"), all);
        assert_eq!(clock.of("Contact"), all);
    }

    #[test]
    fn flipping_visibility_is_a_change_seeing_it_again_is_not() {
        let built = OffsetDateTime::now_utc();
        let clock = MetadataClock::new(built, false);
        clock.observe_visibility(false, built);
        assert_eq!(clock.latest(), built);
        clock.observe_visibility(true, built);
        let flipped = clock.latest();
        assert!(flipped > built);
        clock.observe_visibility(true, built);
        assert_eq!(clock.latest(), flipped);
    }
}
