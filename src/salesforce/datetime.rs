//! Salesforce's date and datetime text: one parser for every form Salesforce emits
//! or accepts, and the SOQL literals sfgate writes.
//!
//! Salesforce emits datetimes as `2024-05-01T10:00:00.000+0000` (REST JSON) and
//! `2024-05-01T10:00:00.000Z` (Connect), and accepts `Z`, `±hh:mm` and `±hhmm`
//! offsets with or without fractional seconds, in JSON bodies and in SOQL
//! (<https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_dateformats.htm>,
//! <https://developer.salesforce.com/docs/platform/api-rest/guide/intro-valid-date-formats.html>).
//! A date is `yyyy-MM-dd` ("specifying an offset for date is not supported", same
//! page): four digits of year, no sign, a day the calendar has.

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// `YYYY-MM-DDThh:mm:ss[.f…]` then `±hh:mm` or `±hhmm`.
const WITH_OFFSET: &[BorrowedFormatItem<'_>] = format_description!(
    version = 2,
    "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]\
     [first [[offset_hour sign:mandatory]:[offset_minute]] [[offset_hour sign:mandatory][offset_minute]]]"
);

/// `YYYY-MM-DDThh:mm:ss[.f…]Z`.
const ZULU: &[BorrowedFormatItem<'_>] = format_description!(
    version = 2,
    "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]Z"
);

const DATE: &[BorrowedFormatItem<'_>] = format_description!("[year]-[month]-[day]");

/// The most fractional-second digits taken (nanoseconds); more would be cut silently.
const MAX_FRACTION_DIGITS: usize = 9;

/// Parses a datetime in any form Salesforce emits or accepts: `Z`, `±hh:mm` or
/// `±hhmm`, with or without 1 to 9 fractional-second digits. `None` for anything
/// else, including a signed or five-digit year and a day the calendar lacks.
pub fn parse_datetime(text: &str) -> Option<OffsetDateTime> {
    if !plain_year(text) || fraction_digits(text) > MAX_FRACTION_DIGITS {
        return None;
    }
    if let Ok(t) = OffsetDateTime::parse(text, WITH_OFFSET) {
        return Some(t);
    }
    PrimitiveDateTime::parse(text, ZULU)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// Parses a date `YYYY-MM-DD`: a four-digit year without sign and a real calendar
/// day (`2024-02-30` is `None`).
pub fn parse_date(text: &str) -> Option<Date> {
    if !plain_year(text) || text.len() != 10 {
        return None;
    }
    Date::parse(text, DATE).ok()
}

/// A UTC SOQL datetime literal, `2024-05-01T10:00:00Z`, with milliseconds
/// (`.250Z`) only when there are any. Sub-millisecond digits are not written:
/// Salesforce datetimes hold milliseconds.
pub fn soql_datetime(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    let (y, m, d) = (t.year(), u8::from(t.month()), t.day());
    let (hh, mi, ss, ms) = (t.hour(), t.minute(), t.second(), t.millisecond());
    if ms == 0 {
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mi:02}:{ss:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mi:02}:{ss:02}.{ms:03}Z")
    }
}

/// The earliest and latest dates Salesforce holds: "The earliest valid date is
/// 1700-01-01T00:00:00Z GMT … The latest valid date is 4000-12-31T00:00:00Z GMT"
/// (<https://developer.salesforce.com/docs/atlas.en-us.dataLoader.meta/dataLoader/data_loader_dates.htm>).
const EARLIEST: OffsetDateTime = time::macros::datetime!(1700-01-01 00:00 UTC);
const LATEST: OffsetDateTime = time::macros::datetime!(4000-12-31 00:00 UTC);

/// Whether Salesforce holds this date (1700-01-01 to 4000-12-31).
pub fn date_in_range(d: Date) -> bool {
    (EARLIEST.date()..=LATEST.date()).contains(&d)
}

/// Whether Salesforce holds this instant (1700-01-01T00:00:00Z to 4000-12-31T00:00:00Z).
pub fn datetime_in_range(t: OffsetDateTime) -> bool {
    (EARLIEST..=LATEST).contains(&t)
}

/// Whether `t` is a time Salesforce can hold exactly: whole milliseconds.
pub fn whole_milliseconds(t: OffsetDateTime) -> bool {
    t.nanosecond().is_multiple_of(1_000_000)
}

/// The text starts with four digits and a dash: no `+`/`-` sign, no fifth digit.
fn plain_year(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 5 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-'
}

/// How many digits follow the seconds' `.`, if any.
fn fraction_digits(text: &str) -> usize {
    text.get(19..)
        .and_then(|rest| rest.strip_prefix('.'))
        .map_or(0, |f| f.bytes().take_while(u8::is_ascii_digit).count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn every_form_salesforce_emits_or_accepts_parses_to_the_same_instant() {
        let want = datetime!(2020-03-17 21:04:32 UTC);
        for text in [
            "2020-03-17T21:04:32Z",
            "2020-03-17T21:04:32.000Z",
            "2020-03-17T21:04:32.000+0000",
            "2020-03-17T21:04:32+0000",
            "2020-03-17T21:04:32+00:00",
            "2020-03-17T21:04:32.000-00:00",
            "2020-03-17T23:04:32+02:00",
            "2020-03-17T23:04:32.000+0200",
            "2020-03-17T15:34:32-0530",
            "2020-03-17T15:34:32.0-05:30",
            "2020-03-17T21:04:32.000000000Z",
        ] {
            assert_eq!(parse_datetime(text), Some(want), "{text}");
        }
        assert_eq!(
            parse_datetime("2020-03-17T21:04:32.25+0000"),
            Some(datetime!(2020-03-17 21:04:32.25 UTC))
        );
    }

    #[test]
    fn anything_else_is_refused() {
        for text in [
            "",
            "yesterday",
            "2020-03-17",
            "2020-03-17T21:04:32",
            "2020-03-17 21:04:32Z",
            "2020-03-17T21:04Z",
            "2020-03-17T21:04:32.Z",
            "2020-03-17T21:04:32+0",
            "2020-03-17T21:04:32+000",
            "2020-03-17T21:04:32+00:0",
            "2020-02-30T21:04:32Z",
            "2020-03-17T24:00:00Z",
            "+2020-03-17T21:04:32Z",
            "-2020-03-17T21:04:32Z",
            "20200-03-17T21:04:32Z",
            "2020-03-17T21:04:32.1234567891Z",
            "2020-03-17T21:04:32Z trailing",
        ] {
            assert_eq!(parse_datetime(text), None, "{text}");
        }
    }

    #[test]
    fn dates_are_strict() {
        assert_eq!(parse_date("2024-02-29"), Some(date!(2024 - 02 - 29)));
        assert_eq!(parse_date("2024-05-01"), Some(date!(2024 - 05 - 01)));
        for text in [
            "2024-02-30",
            "2023-02-29",
            "+2024-05-01",
            "-2024-05-01",
            "20240-05-01",
            "2024-5-01",
            "2024-05-1",
            "2024-05-01T00:00:00Z",
            "2024-05-01 ",
            "May 1",
        ] {
            assert_eq!(parse_date(text), None, "{text}");
        }
    }

    #[test]
    fn soql_literals_are_utc_with_milliseconds_only_when_any() {
        assert_eq!(
            soql_datetime(datetime!(2024-05-01 12:00:00 +2)),
            "2024-05-01T10:00:00Z"
        );
        assert_eq!(
            soql_datetime(datetime!(2024-05-01 10:00:01.5 UTC)),
            "2024-05-01T10:00:01.500Z"
        );
        assert!(whole_milliseconds(datetime!(2024-05-01 10:00:01.5 UTC)));
        assert!(date_in_range(date!(1700 - 01 - 01)) && date_in_range(date!(4000 - 12 - 31)));
        assert!(!date_in_range(date!(1699 - 12 - 31)) && !date_in_range(date!(4001 - 01 - 01)));
        assert!(datetime_in_range(datetime!(1700-01-01 00:00 UTC)));
        assert!(!datetime_in_range(datetime!(1700-01-01 00:00 +1)));
        assert!(!datetime_in_range(datetime!(4000-12-31 00:00:01 UTC)));
        assert!(!whole_milliseconds(
            datetime!(2024-05-01 10:00:01.000_5 UTC)
        ));
    }
}
