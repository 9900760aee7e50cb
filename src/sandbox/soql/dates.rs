//! Date and datetime literals, and date literals (`TODAY`, `LAST_N_DAYS:n`) as
//! ranges of whole UTC days.
//!
//! Stored datetimes are `YYYY-MM-DDThh:mm:ss.000+0000` in UTC and dates are
//! `YYYY-MM-DD`, so both compare correctly as text; every literal is brought to
//! that form once, before the scan.

use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

/// `YYYY-MM-DD` (the lexer has checked the shape) to a real calendar date.
pub(crate) fn parse_date(text: &str) -> Option<Date> {
    let year: i32 = text.get(0..4)?.parse().ok()?;
    let month: u8 = text.get(5..7)?.parse().ok()?;
    let day: u8 = text.get(8..10)?.parse().ok()?;
    if text.len() != 10 {
        return None;
    }
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// A datetime literal (`…Z`, `…±hh:mm`, `…±hhmm`, optional fraction) in the
/// stored form, converted to UTC.
pub(crate) fn parse_datetime(text: &str) -> Option<String> {
    let date = parse_date(text.get(0..10)?)?;
    if !matches!(text.get(10..11)?, "T" | "t") {
        return None;
    }
    let hour: u8 = text.get(11..13)?.parse().ok()?;
    let minute: u8 = text.get(14..16)?.parse().ok()?;
    let second: u8 = text.get(17..19)?.parse().ok()?;
    let mut rest = text.get(19..)?;
    let mut millis = 0u16;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        // Stored values carry milliseconds; finer digits cannot matter to them.
        let mut ms = String::from(frac.get(..digits.min(3))?);
        while ms.len() < 3 {
            ms.push('0');
        }
        millis = ms.parse().ok()?;
        rest = frac.get(digits..)?;
    }
    let offset = parse_zone(rest)?;
    let time = Time::from_hms_milli(hour, minute, second, millis).ok()?;
    let utc = PrimitiveDateTime::new(date, time)
        .assume_offset(offset)
        .to_offset(UtcOffset::UTC);
    if !(1..=9999).contains(&utc.year()) {
        return None;
    }
    Some(stamp(utc.date(), utc.time()))
}

/// `Z`, `±hh:mm` or `±hhmm` (the lexer has checked the shape).
fn parse_zone(text: &str) -> Option<UtcOffset> {
    if text.eq_ignore_ascii_case("z") {
        return Some(UtcOffset::UTC);
    }
    let sign: i8 = match text.get(0..1)? {
        "+" => 1,
        "-" => -1,
        _ => return None,
    };
    let (hh, mm) = match text.len() {
        6 if text.get(3..4)? == ":" => (text.get(1..3)?, text.get(4..6)?),
        5 => (text.get(1..3)?, text.get(3..5)?),
        _ => return None,
    };
    let hours: i8 = hh.parse().ok()?;
    let minutes: i8 = mm.parse().ok()?;
    if hours > 23 || minutes > 59 {
        return None;
    }
    UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()
}

/// The stored form of a UTC instant.
fn stamp(date: Date, time: Time) -> String {
    format!(
        "{}T{:02}:{:02}:{:02}.{:03}+0000",
        day(date),
        time.hour(),
        time.minute(),
        time.second(),
        time.millisecond()
    )
}

/// The stored form of a date.
pub(crate) fn day(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// The text bounds of whole days `first..=last`: `(start, end)` with `start`
/// inclusive and `end` exclusive, for a date field or a datetime field.
pub(crate) fn bounds(first: Date, last: Date, datetime: bool) -> Option<(String, String)> {
    let after = last.next_day()?;
    Some(if datetime {
        (stamp(first, Time::MIDNIGHT), stamp(after, Time::MIDNIGHT))
    } else {
        (day(first), day(after))
    })
}

/// The date literals taking `:n` (`LAST_N_DAYS:7`).
pub(crate) fn takes_n(name: &str) -> bool {
    ["LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO"]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name))
}

/// The days a date literal covers, or `None` if `name` is not a supported one.
/// Weeks start on Sunday (the en_US locale); everything is in UTC, the
/// sandbox's time zone.
pub(crate) fn literal_days(name: &str, n: u32, now: OffsetDateTime) -> Option<(Date, Date)> {
    let today = now.to_offset(UtcOffset::UTC).date();
    let plus = |d: Date, k: i64| d.checked_add(Duration::days(k));
    let sunday = plus(today, -i64::from(today.weekday().number_days_from_sunday()))?;
    debug_assert_eq!(sunday.weekday(), Weekday::Sunday);
    let month_start = |y: i32, m: Month| Date::from_calendar_date(y, m, 1).ok();
    let (y, m) = (today.year(), today.month());
    let this_month = month_start(y, m)?;
    let next_month = if m == Month::December {
        month_start(y.checked_add(1)?, Month::January)?
    } else {
        month_start(y, m.next())?
    };
    let last_month = this_month.previous_day()?.replace_day(1).ok()?;
    let year = |y: i32| {
        Some((
            Date::from_calendar_date(y, Month::January, 1).ok()?,
            Date::from_calendar_date(y, Month::December, 31).ok()?,
        ))
    };
    let n = i64::from(n);
    Some(match name.to_ascii_uppercase().as_str() {
        "TODAY" => (today, today),
        "YESTERDAY" => (plus(today, -1)?, plus(today, -1)?),
        "TOMORROW" => (plus(today, 1)?, plus(today, 1)?),
        // LAST_N_DAYS includes today (so LAST_N_DAYS:1 is yesterday and
        // today); NEXT_N_DAYS starts tomorrow.
        "LAST_N_DAYS" => (plus(today, -n)?, today),
        "NEXT_N_DAYS" => (plus(today, 1)?, plus(today, n)?),
        "LAST_90_DAYS" => (plus(today, -90)?, today),
        "NEXT_90_DAYS" => (plus(today, 1)?, plus(today, 90)?),
        "N_DAYS_AGO" => (plus(today, -n)?, plus(today, -n)?),
        "THIS_WEEK" => (sunday, plus(sunday, 6)?),
        "LAST_WEEK" => (plus(sunday, -7)?, plus(sunday, -1)?),
        "NEXT_WEEK" => (plus(sunday, 7)?, plus(sunday, 13)?),
        "THIS_MONTH" => (this_month, next_month.previous_day()?),
        "LAST_MONTH" => (last_month, this_month.previous_day()?),
        "NEXT_MONTH" => {
            let after = next_month
                .checked_add(Duration::days(31))?
                .replace_day(1)
                .ok()?;
            (next_month, after.previous_day()?)
        }
        "THIS_YEAR" => year(y)?,
        "LAST_YEAR" => year(y.checked_sub(1)?)?,
        "NEXT_YEAR" => year(y.checked_add(1)?)?,
        _ => return None,
    })
}
