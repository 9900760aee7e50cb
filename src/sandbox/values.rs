//! Salesforce's date and datetime text forms.

use time::{Date, Month, OffsetDateTime, Time, UtcOffset};

/// `YYYY-MM-DDThh:mm:ss.SSS+0000` in UTC, the form every datetime is stored and sent in.
pub fn format_datetime(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+0000",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// A system stamp: whole seconds, so millis are always `.000` as in real orgs.
pub fn system_stamp(t: OffsetDateTime) -> String {
    format_datetime(t.replace_millisecond(0).unwrap_or(t))
}

/// `YYYY-MM-DD`.
pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<Date> {
    let (y, rest) = s.split_at_checked(4)?;
    let rest = rest.strip_prefix('-')?;
    let (m, rest) = rest.split_at_checked(2)?;
    let d = rest.strip_prefix('-')?;
    if d.len() != 2 {
        return None;
    }
    let month = Month::try_from(u8::try_from(digits(m)?).ok()?).ok()?;
    Date::from_calendar_date(
        i32::try_from(digits(y)?).ok()?,
        month,
        u8::try_from(digits(d)?).ok()?,
    )
    .ok()
}

/// Parses `YYYY-MM-DDThh:mm:ss[.fff][Z|±hh:mm|±hhmm]` (no zone means UTC), the
/// forms Salesforce accepts in a JSON body.
pub fn parse_datetime(s: &str) -> Option<OffsetDateTime> {
    let date = parse_date(s.get(..10)?)?;
    let rest = s.get(10..)?.strip_prefix('T')?;
    let hms = rest.get(..8)?;
    let mut zone = rest.get(8..)?;
    let mut parts = hms.split(':');
    let (h, m, sec) = (parts.next()?, parts.next()?, parts.next()?);
    if h.len() != 2 || m.len() != 2 || sec.len() != 2 {
        return None;
    }
    let mut millis = 0u16;
    if let Some(frac) = zone.strip_prefix('.') {
        let end = frac
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(frac.len());
        let f = frac.get(..end)?;
        if f.is_empty() {
            return None;
        }
        let ms = format!("{:0<3}", f.get(..f.len().min(3))?);
        millis = u16::try_from(digits(&ms)?).ok()?;
        zone = frac.get(end..)?;
    }
    let time = Time::from_hms_milli(
        u8::try_from(digits(h)?).ok()?,
        u8::try_from(digits(m)?).ok()?,
        u8::try_from(digits(sec)?).ok()?,
        millis,
    )
    .ok()?;
    let offset = match zone {
        "" | "Z" => UtcOffset::UTC,
        z => {
            let sign: i8 = match z.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let body = z.get(1..)?.replace(':', "");
            if body.len() != 4 {
                return None;
            }
            let hh = i8::try_from(digits(body.get(..2)?)?).ok()?;
            let mm = i8::try_from(digits(body.get(2..)?)?).ok()?;
            UtcOffset::from_hms(sign * hh, sign * mm, 0).ok()?
        }
    };
    Some(date.with_time(time).assume_offset(offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_round_trip_in_salesforce_form() {
        for (input, want) in [
            ("2024-03-01T10:20:30Z", "2024-03-01T10:20:30.000+0000"),
            (
                "2024-03-01T10:20:30.5+01:00",
                "2024-03-01T09:20:30.500+0000",
            ),
            (
                "2024-03-01T10:20:30.123-0200",
                "2024-03-01T12:20:30.123+0000",
            ),
            (
                "2024-03-01T10:20:30.000+0000",
                "2024-03-01T10:20:30.000+0000",
            ),
            ("2024-03-01T10:20:30", "2024-03-01T10:20:30.000+0000"),
        ] {
            let t = parse_datetime(input).map(format_datetime);
            assert_eq!(t.as_deref(), Some(want), "{input}");
        }
        for bad in [
            "",
            "2024-13-01T00:00:00Z",
            "2024-03-01",
            "x",
            "2024-03-01T1:2:3Z",
        ] {
            assert!(parse_datetime(bad).is_none(), "{bad}");
        }
        assert!(parse_date("2024-02-30").is_none());
        assert_eq!(
            parse_date("2024-02-29").map(format_date).as_deref(),
            Some("2024-02-29")
        );
    }
}
