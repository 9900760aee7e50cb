//! Positions in a trigger's feed and the opaque cursors that carry them.
//!
//! A [`Position`] is a `(CreatedDate, Id)` pair; the feed is ordered by it, and a
//! position means "every matching record at or before it has been delivered". A
//! position with an empty Id, `(t, "")`, sorts before every record created at `t`,
//! so it means "everything created before `t`".
//!
//! A cursor is `base64url("2|<fingerprint>|<source>|<unix ms>|<id>")`: a version,
//! the trigger's fingerprint (so a cursor of one trigger is refused by another),
//! the tag of the source that wrote it ([`SourceKind`]) and the position. Version 1
//! cursors (`1|<fingerprint>|<unix ms>|<id>`, written before sources had tags) are
//! polling cursors and are still accepted. Clients must treat cursors as opaque.
//!
//! # Why cursors are not signed
//!
//! Unlike page tokens (`api::page_token`), cursors carry no MAC, on purpose:
//!
//! - A cursor can only move the caller's own stream. The trigger (connection, sObject,
//!   condition, fields) always comes from the request, which is authorized as any other;
//!   the cursor contributes a position only, parsed strictly (a time and an 18- or
//!   15-character alphanumeric Id) and never spliced into SOQL as text. A forged
//!   position does no more than `since` already lets every subscriber do: start from any
//!   time in the feed. It reads no other trigger, connection or record.
//! - Cursors must outlive the process: a client resumes with its cursor after a restart
//!   or on another replica, and exactly-once delivery rests on that. A MAC would tie them
//!   to a key that every replica must share and that could never be rotated without
//!   losing every client's position.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::source::SourceKind;

/// The cursor format version, first in every cursor written.
const VERSION: &str = "2";

/// A place in the `(CreatedDate, Id)` order. The derived `Ord` compares the time,
/// then the Id as text (byte order), which is the order the feed is delivered in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// `CreatedDate` in Unix milliseconds.
    pub(crate) ms: i64,
    /// The record Id; empty for "before every record created at `ms`".
    pub(crate) id: String,
}

impl Position {
    /// The position before every record created at or after `t`.
    pub(crate) fn before(t: OffsetDateTime) -> Position {
        Position {
            ms: unix_ms(t),
            id: String::new(),
        }
    }

    /// The position's time.
    pub fn time(&self) -> OffsetDateTime {
        from_unix_ms(self.ms)
    }
}

/// `t` in Unix milliseconds (sub-millisecond digits dropped; CreatedDate has none).
pub(crate) fn unix_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Unix milliseconds as a time, clamped to the representable range.
pub(crate) fn from_unix_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// What identifies a trigger's feed: the connection, the sObject and the bound
/// condition. Fields are left out on purpose: they change what an event shows,
/// not which records are in the feed, so a cursor survives a change of fields.
pub(crate) fn fingerprint(connection: &str, sobject: &str, condition: &str) -> String {
    let mut h = Sha256::new();
    for part in [connection, &sobject.to_ascii_lowercase(), condition] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The cursor of `position` in the feed with fingerprint `fp`, written by a
/// source of kind `source`.
pub(crate) fn encode(fp: &str, source: SourceKind, position: &Position) -> String {
    URL_SAFE_NO_PAD.encode(format!(
        "{VERSION}|{fp}|{}|{}|{}",
        source.tag(),
        position.ms,
        position.id
    ))
}

/// Why a cursor was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    /// Not a cursor this gateway wrote.
    #[error("is not a cursor of this gateway")]
    Malformed,
    /// A cursor of another trigger (connection, sObject or condition differ).
    #[error("belongs to a different trigger (connection, sObject or condition differ)")]
    OtherTrigger,
}

/// The source kind and position in `cursor`, which must belong to the feed with
/// fingerprint `fp`.
pub(crate) fn decode(fp: &str, cursor: &str) -> Result<(SourceKind, Position), CursorError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .map_err(|_| CursorError::Malformed)?;
    let text = String::from_utf8(bytes).map_err(|_| CursorError::Malformed)?;
    let parts: Vec<&str> = text.split('|').collect();
    let (source, their_fp, ms, id) = match parts[..] {
        ["1", their_fp, ms, id] => (SourceKind::Poll, their_fp, ms, id),
        [VERSION, their_fp, tag, ms, id] => (
            SourceKind::from_tag(tag).ok_or(CursorError::Malformed)?,
            their_fp,
            ms,
            id,
        ),
        _ => return Err(CursorError::Malformed),
    };
    let ms: i64 = ms.parse().map_err(|_| CursorError::Malformed)?;
    let id_ok = id.is_empty()
        || (matches!(id.len(), 15 | 18) && id.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !id_ok || their_fp.len() != 16 || OffsetDateTime::from_unix_timestamp(ms / 1000).is_err() {
        return Err(CursorError::Malformed);
    }
    if their_fp != fp {
        return Err(CursorError::OtherTrigger);
    }
    Ok((
        source,
        Position {
            ms,
            id: id.to_owned(),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_name_their_trigger() {
        let fp = fingerprint("sandbox", "Contact", "");
        let pos = Position {
            ms: 1_764_000_000_000,
            id: "003Gb0000000001AAA".into(),
        };
        let poll = SourceKind::Poll;
        let c = encode(&fp, poll, &pos);
        assert_eq!(decode(&fp, &c), Ok((poll, pos.clone())));
        let other = fingerprint("sandbox", "Lead", "");
        assert_eq!(decode(&other, &c), Err(CursorError::OtherTrigger));
        let empty = Position::before(pos.time());
        assert_eq!(decode(&fp, &encode(&fp, poll, &empty)), Ok((poll, empty)));
    }

    #[test]
    fn version_1_cursors_still_resume_as_polling_cursors() {
        let fp = fingerprint("sandbox", "Contact", "");
        let v1 = URL_SAFE_NO_PAD.encode(format!("1|{fp}|1764000000000|003Gb0000000001AAA"));
        let pos = Position {
            ms: 1_764_000_000_000,
            id: "003Gb0000000001AAA".into(),
        };
        assert_eq!(decode(&fp, &v1), Ok((SourceKind::Poll, pos)));
    }

    #[test]
    fn garbage_is_malformed() {
        let fp = fingerprint("sandbox", "Contact", "");
        for bad in [
            "",
            "!!!",
            "eA",
            &URL_SAFE_NO_PAD.encode("3|x|1|"),
            &URL_SAFE_NO_PAD.encode(format!("2|{fp}|q|1|")),
            &URL_SAFE_NO_PAD.encode(format!("2|{fp}|1|")),
            &URL_SAFE_NO_PAD.encode(format!("1|{fp}|abc|")),
            &URL_SAFE_NO_PAD.encode(format!("1|{fp}|1|a'b")),
            &URL_SAFE_NO_PAD.encode(format!("1|{fp}|1||")),
        ] {
            assert_eq!(decode(&fp, bad), Err(CursorError::Malformed), "{bad}");
        }
    }

    #[test]
    fn an_empty_id_sorts_before_every_record_of_that_time() {
        let t = Position {
            ms: 5,
            id: String::new(),
        };
        let r = Position {
            ms: 5,
            id: "003".into(),
        };
        let earlier = Position {
            ms: 4,
            id: "zzz".into(),
        };
        assert!(earlier < t && t < r);
    }
}
