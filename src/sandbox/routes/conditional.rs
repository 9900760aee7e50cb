//! `If-Modified-Since` on describe: 304 Not Modified, no body, when nothing
//! changed since the date given.
//!
//! Salesforce takes the date "in EEE, dd MMM yyyy HH:mm:ss z format"
//! (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/sobject_describe_with_ifmodified_header.htm>),
//! and its own example has a one-digit day (`Wed, 3 Jul 2013 19:43:31 GMT`), so
//! the day may have one or two digits; the weekday is not checked. The zone is
//! `GMT`, `UTC`, `UT` or `Z`, or an offset (`+0200`, `GMT+02:00`). As HTTP
//! says for conditional requests (RFC 9110 §13.1.3), a value that is not such
//! a date is ignored and the full answer sent.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// 304 when `headers` carry an `If-Modified-Since` no earlier than
/// `last_modified` (compared to the millisecond: a change later in the same
/// second as the date counts as a change).
pub(super) fn not_modified(headers: &HeaderMap, last_modified: OffsetDateTime) -> Option<Response> {
    let since = headers
        .get(header::IF_MODIFIED_SINCE)?
        .to_str()
        .ok()
        .and_then(parse_http_date)?;
    (last_modified <= since).then(|| StatusCode::NOT_MODIFIED.into_response())
}

/// Parses `Wed, 3 Jul 2013 19:43:31 GMT` (weekday optional, day of one or two
/// digits, a zone name or offset).
pub(super) fn parse_http_date(s: &str) -> Option<OffsetDateTime> {
    let mut parts = s.split_whitespace().peekable();
    // The weekday, when present, ends with a comma.
    if parts.peek().is_some_and(|p| p.ends_with(',')) {
        parts.next();
    }
    let day: u8 = parts.next()?.parse().ok()?;
    let month = month(parts.next()?)?;
    let year: i32 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':');
    let mut num = || hms.next().and_then(|n| n.parse::<u8>().ok());
    let (h, m, sec) = (num()?, num()?, num()?);
    let offset = zone(parts.next()?)?;
    if parts.next().is_some() || !(1000..=9999).contains(&year) {
        return None;
    }
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms(h, m, sec).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_offset(offset))
}

fn month(s: &str) -> Option<Month> {
    const NAMES: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let i = NAMES.iter().position(|n| n.eq_ignore_ascii_case(s))?;
    Month::try_from(u8::try_from(i + 1).ok()?).ok()
}

fn zone(s: &str) -> Option<UtcOffset> {
    let rest = ["GMT", "UTC", "UT", "Z"]
        .iter()
        .find_map(|z| s.strip_prefix(z))
        .unwrap_or(s);
    if rest.is_empty() {
        return Some(UtcOffset::UTC);
    }
    let sign: i8 = match rest.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = rest[1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i8 = digits[..2].parse().ok()?;
    let m: i8 = digits[2..].parse().ok()?;
    UtcOffset::from_hms(sign * h, sign * m, 0).ok()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn salesforce_and_http_forms_parse() {
        let t = datetime!(2013-07-03 19:43:31 UTC);
        for s in [
            "Wed, 3 Jul 2013 19:43:31 GMT",
            "Wed, 03 Jul 2013 19:43:31 GMT",
            "3 Jul 2013 19:43:31 GMT",
            "Mon, 3 jul 2013 19:43:31 UTC",
            "Wed, 3 Jul 2013 21:43:31 +0200",
            "Wed, 3 Jul 2013 21:43:31 GMT+02:00",
        ] {
            assert_eq!(parse_http_date(s), Some(t), "{s}");
        }
    }

    #[test]
    fn anything_else_is_not_a_date() {
        for s in [
            "",
            "yesterday",
            "Wed, 32 Jul 2013 19:43:31 GMT",
            "Wed, 3 Jux 2013 19:43:31 GMT",
            "Wed, 3 Jul 2013 24:00:00 GMT",
            "Wed, 3 Jul 2013 19:43 GMT",
            "Wed, 3 Jul 2013 19:43:31 PST",
            "Wed, 3 Jul 2013 19:43:31 GMT extra",
            "2013-07-03T19:43:31Z",
        ] {
            assert_eq!(parse_http_date(s), None, "{s}");
        }
    }

    #[test]
    fn a_change_later_in_the_same_second_is_a_change() {
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_MODIFIED_SINCE,
            "Wed, 3 Jul 2013 19:43:31 GMT".parse().unwrap(),
        );
        assert!(not_modified(&h, datetime!(2013-07-03 19:43:31 UTC)).is_some());
        assert!(not_modified(&h, datetime!(2013-07-03 19:00:00 UTC)).is_some());
        assert!(not_modified(&h, datetime!(2013-07-03 19:43:31.001 UTC)).is_none());
        assert!(not_modified(&HeaderMap::new(), datetime!(2000-01-01 0:00 UTC)).is_none());
        h.insert(header::IF_MODIFIED_SINCE, "garbage".parse().unwrap());
        assert!(not_modified(&h, datetime!(2000-01-01 0:00 UTC)).is_none());
    }
}
