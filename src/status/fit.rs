//! Every status small enough for standard gRPC clients: grpc-core and grpc-java keep
//! response metadata under 8 KiB (a soft limit), and a status travels there twice — its
//! message in `grpc-message` (percent-encoded: up to 3 bytes per byte) and, with its
//! details, in `grpc-status-details-bin` (base64: 4 bytes per 3). A status over that limit
//! reaches the client as `RESOURCE_EXHAUSTED "Stream removed"` instead of itself.
//!
//! So every status is built here ([`status`]), with:
//!
//! - every line of every text at most [`LINE_CHARS`] characters: a longer one (caller text
//!   echoed back: a query, a field name, a value) keeps its start and end around a
//!   `[... N characters cut ...]` marker. Where Salesforce points a caret at a column of
//!   the echoed query, the cut keeps the window around the caret and moves the caret with it;
//! - the message at most [`MESSAGE_BYTES`], each detail text at most [`DETAIL_BYTES`], each
//!   `ErrorInfo` metadata value at most [`LINE_CHARS`] characters;
//! - at most [`MAX_VIOLATIONS`] violations of each kind, the last one saying how many more
//!   there were, and the encoded details (message included) at most [`DETAILS_BYTES`].
//!
//! With these, a status takes at most about 2.3 KiB in `grpc-message` and 3 KiB in
//! `grpc-status-details-bin`, whatever was sent.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, PreconditionViolation, QuotaViolation, StatusExt};

/// The longest line of text kept whole, in characters.
pub(crate) const LINE_CHARS: usize = 256;
/// The longest status message, in bytes.
pub(crate) const MESSAGE_BYTES: usize = 768;
/// The longest description of one violation, in bytes.
pub(crate) const DETAIL_BYTES: usize = 512;
/// The most violations of one kind kept.
pub(crate) const MAX_VIOLATIONS: usize = 10;
/// The largest encoded `google.rpc.Status` (message and details), in bytes.
pub(crate) const DETAILS_BYTES: usize = 2048;

/// Characters of a long line kept after the cut marker.
const TAIL_CHARS: usize = 48;
/// The bytes of each detail text when the details are still over budget.
const TIGHT_BYTES: usize = 160;
/// Characters kept on each side of a caret's column.
const CARET_WINDOW: usize = 100;

/// The status with `code`, `message` and `details`, cut to the limits above.
pub(crate) fn status(code: Code, message: impl Into<String>, details: ErrorDetails) -> Status {
    let message = text(&message.into(), MESSAGE_BYTES);
    let mut details = fit_details(details, DETAIL_BYTES, LINE_CHARS);
    let mut tight = false;
    loop {
        let status = Status::with_error_details(code, message.clone(), details.clone());
        if status.details().len() <= DETAILS_BYTES {
            return status;
        }
        if drop_one(&mut details) {
            continue;
        }
        if tight {
            return status;
        }
        // One violation of each kind left and still too large (long non-ASCII texts):
        // shorter texts still say which field and why.
        details = fit_details(details, TIGHT_BYTES, TIGHT_BYTES / 4);
        tight = true;
    }
}

/// `text` with every line at most [`LINE_CHARS`] characters and the whole at most
/// `max_bytes` bytes.
pub(crate) fn text(text: &str, max_bytes: usize) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let caret = lines.get(i + 1).and_then(|next| caret_column(next));
        match caret {
            Some(column) if line.chars().count() > LINE_CHARS => {
                let (cut, column) = around(line, column);
                out.push(cut);
                out.push(format!("{}^", " ".repeat(column)));
                i += 2;
            }
            _ => {
                out.push(line_cut(line));
                i += 1;
            }
        }
    }
    truncate(out.join("\n"), max_bytes)
}

/// `text` without the query Salesforce echoes above a caret (and the caret), on one line:
/// for a status message whose details already carry the echo, so the caller's text is said
/// once. `"\nSELECT …\n    ^\nERROR at Row:1:Column:5\nunexpected token: <EOF>"` becomes
/// `"ERROR at Row:1:Column:5: unexpected token: <EOF>"`.
pub(crate) fn without_echo(text: &str) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut kept = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines
            .get(i + 1)
            .is_some_and(|next| caret_column(next).is_some())
        {
            i += 2;
            continue;
        }
        let line = lines[i].trim();
        if !line.is_empty() {
            kept.push(line);
        }
        i += 1;
    }
    kept.join(": ")
}

/// One line, its middle cut if it is over [`LINE_CHARS`] characters.
fn line_cut(line: &str) -> String {
    line_cut_at(line, LINE_CHARS)
}

/// One line, its middle cut if it is over `max` characters (at least twice the tail).
fn line_cut_at(line: &str, max: usize) -> String {
    let n = line.chars().count();
    if n <= max {
        return line.to_owned();
    }
    let tail = TAIL_CHARS.min(max / 2);
    let head = max - tail;
    let start: String = line.chars().take(head).collect();
    let end: String = line.chars().skip(n - tail).collect();
    format!("{start}[... {} characters cut ...]{end}", n - head - tail)
}

/// The column of a line that is spaces and one `^` (Salesforce's pointer into the query
/// line above it), counted in characters.
fn caret_column(line: &str) -> Option<usize> {
    let trimmed = line.trim_end();
    let column = trimmed.len().checked_sub(1)?;
    (trimmed.ends_with('^') && trimmed[..column].bytes().all(|b| b == b' ')).then_some(column)
}

/// The part of `line` around character `column`, with markers where it was cut, and the
/// column's new place.
fn around(line: &str, column: usize) -> (String, usize) {
    let chars: Vec<char> = line.chars().collect();
    let column = column.min(chars.len());
    let from = column.saturating_sub(CARET_WINDOW);
    let to = (column + CARET_WINDOW).min(chars.len());
    let mut out = String::new();
    if from > 0 {
        out.push_str(&format!("[... {from} characters cut ...]"));
    }
    let moved = out.chars().count() + (column - from);
    out.extend(&chars[from..to]);
    if to < chars.len() {
        out.push_str(&format!("[... {} characters cut ...]", chars.len() - to));
    }
    (out, moved)
}

/// `text` cut to `max_bytes` (at a character boundary), with a marker saying so.
fn truncate(text: String, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text;
    }
    let marker = format!("[... {} bytes cut]", text.len());
    let mut end = max_bytes.saturating_sub(marker.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{marker}", &text[..end])
}

/// The details with every text cut (detail texts to `max_bytes`, names and metadata to
/// `max_chars` characters) and at most [`MAX_VIOLATIONS`] violations of a kind.
fn fit_details(details: ErrorDetails, max_bytes: usize, max_chars: usize) -> ErrorDetails {
    let mut out = details.clone();
    let short = |s: &str| truncate(text(s, max_bytes), max_bytes);
    let one_line = |s: &str| truncate(line_cut_at(&s.replace('\n', " "), max_chars), max_bytes);
    if let Some(info) = details.error_info() {
        let metadata: HashMap<String, String> = info
            .metadata
            .iter()
            .map(|(k, v)| (k.clone(), one_line(v)))
            .collect();
        out.set_error_info(info.reason.clone(), info.domain.clone(), metadata);
    }
    if let Some(bad) = details.bad_request() {
        let (kept, more) = first(&bad.field_violations);
        let violations = kept
            .iter()
            .map(|v| FieldViolation::new(one_line(&v.field), short(&v.description)))
            .collect();
        out.set_bad_request(noted(violations, more, |v, more| {
            v.description = format!("{} (and {more} more invalid fields)", v.description);
        }));
    }
    if let Some(quota) = details.quota_failure() {
        let (kept, more) = first(&quota.violations);
        let violations = kept
            .iter()
            .map(|v| QuotaViolation::new(one_line(&v.subject), short(&v.description)))
            .collect();
        out.set_quota_failure(noted(violations, more, |v, more| {
            v.description = format!("{} (and {more} more)", v.description);
        }));
    }
    if let Some(failure) = details.precondition_failure() {
        let (kept, more) = first(&failure.violations);
        let violations = kept
            .iter()
            .map(|v| {
                PreconditionViolation::new(
                    one_line(&v.r#type),
                    one_line(&v.subject),
                    short(&v.description),
                )
            })
            .collect();
        out.set_precondition_failure(noted(violations, more, |v, more| {
            v.description = format!("{} (and {more} more)", v.description);
        }));
    }
    if let Some(resource) = details.resource_info() {
        out.set_resource_info(
            one_line(&resource.resource_type),
            one_line(&resource.resource_name),
            one_line(&resource.owner),
            short(&resource.description),
        );
    }
    out
}

/// The first [`MAX_VIOLATIONS`] of `all`, and how many more there are.
fn first<T>(all: &[T]) -> (&[T], usize) {
    let kept = &all[..all.len().min(MAX_VIOLATIONS)];
    (kept, all.len() - kept.len())
}

/// `violations`, the last told (by `note`) that `more` were left out, if any were.
fn noted<T>(mut violations: Vec<T>, more: usize, note: impl Fn(&mut T, usize)) -> Vec<T> {
    if more > 0
        && let Some(last) = violations.last_mut()
    {
        note(last, more);
    }
    violations
}

/// Drops the last violation of the longest list; `false` when none is left to drop.
fn drop_one(details: &mut ErrorDetails) -> bool {
    let bad = details
        .bad_request()
        .map_or(0, |b| b.field_violations.len());
    let quota = details.quota_failure().map_or(0, |q| q.violations.len());
    let precondition = details
        .precondition_failure()
        .map_or(0, |p| p.violations.len());
    let most = bad.max(quota).max(precondition);
    // Keep one of each kind: it names the field the caller must fix.
    if most <= 1 {
        return false;
    }
    if most == bad {
        let mut v = details
            .bad_request()
            .map(|b| b.field_violations.clone())
            .unwrap_or_default();
        v.pop();
        details.set_bad_request(v);
    } else if most == quota {
        let mut v = details
            .quota_failure()
            .map(|q| q.violations.clone())
            .unwrap_or_default();
        v.pop();
        details.set_quota_failure(v);
    } else {
        let mut v = details
            .precondition_failure()
            .map(|p| p.violations.clone())
            .unwrap_or_default();
        v.pop();
        details.set_precondition_failure(v);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_keeps_its_start_and_end_around_a_marker() {
        let line = format!(
            "no connection named \"{}\" is configured",
            "x".repeat(10_000)
        );
        let cut = text(&line, MESSAGE_BYTES);
        assert!(cut.starts_with("no connection named \"xxx"), "{cut}");
        assert!(cut.ends_with("x\" is configured"), "{cut}");
        assert!(cut.contains("characters cut"), "{cut}");
        assert!(cut.chars().count() <= LINE_CHARS + 40, "{}", cut.len());
        let short = "id: the record id checksum (last 3 characters) does not match";
        assert_eq!(text(short, MESSAGE_BYTES), short);
    }

    #[test]
    fn a_caret_keeps_pointing_at_its_column_in_a_cut_query() {
        let query = format!(
            "SELECT Id FROM Contact WHERE LastName IN ({}) AND",
            vec!["'Quinn'"; 500].join(", ")
        );
        let column = query.chars().count();
        let message = format!(
            "\n{query}\n{}^\nERROR at Row:1:Column:{}\nunexpected token: <EOF>",
            " ".repeat(column),
            column + 1
        );
        let cut = text(&message, DETAIL_BYTES);
        let lines: Vec<&str> = cut.split('\n').collect();
        let at = lines[2].len() - 1;
        assert!(lines[1].chars().count() < LINE_CHARS + 40, "{cut}");
        assert_eq!(lines[1].chars().nth(at - 1), Some('D'), "{cut}");
        assert!(cut.ends_with("unexpected token: <EOF>"), "{cut}");
    }

    #[test]
    fn the_echoed_query_is_left_out_of_a_summary() {
        let message = "\nSELECT Id FROM Contact WHERE\n                            ^\nERROR at Row:1:Column:29\nunexpected token: <EOF>";
        assert_eq!(
            without_echo(message),
            "ERROR at Row:1:Column:29: unexpected token: <EOF>"
        );
        assert_eq!(without_echo("plain text"), "plain text");
    }

    #[test]
    fn no_status_outgrows_the_budget_whatever_it_was_given() {
        let huge = "é".repeat(100_000);
        let mut d = ErrorDetails::new();
        d.set_error_info(
            "INVALID_FIELDS",
            "sfgate",
            HashMap::from([("fields".to_owned(), huge.clone())]),
        );
        for i in 0..50 {
            d.add_bad_request_violation(format!("fields.{huge}{i}"), huge.clone());
        }
        d.add_quota_failure_violation(huge.clone(), huge.clone());
        let s = status(Code::InvalidArgument, format!("{huge}\n{huge}"), d);
        assert!(s.message().len() <= MESSAGE_BYTES, "{}", s.message().len());
        assert!(s.details().len() <= DETAILS_BYTES, "{}", s.details().len());
        let bad = s.get_details_bad_request().expect("one violation at least");
        assert!(!bad.field_violations.is_empty());
        assert!(s.get_details_error_info().is_some());
    }
}
