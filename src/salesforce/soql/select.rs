//! The queries of a "new records" feed: select lists that always position a record
//! (`Id`, `CreatedDate`), and the `CreatedDate` windows a trigger reads.

use time::OffsetDateTime;

use crate::salesforce::datetime::soql_datetime;

/// The fields to select: `Id` and `CreatedDate`, which position every record, then the
/// requested ones not already there (compared ignoring case, as Salesforce does).
pub fn select_list(fields: &[String]) -> String {
    let mut out: Vec<&str> = vec!["Id", "CreatedDate"];
    for f in fields {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(f)) {
            out.push(f);
        }
    }
    out.join(", ")
}

/// The records of `sobject` (with `fields`) matching the condition `bound` (its values bound) created in
/// the whole seconds from `after` to `upto`, both included, in `(CreatedDate, Id)` order. Its
/// length does not depend on the bounds (datetimes always render to the same length), so a
/// check of one window's length holds for every window.
pub fn created_between(
    sobject: &str,
    fields: &[String],
    bound: &str,
    after: OffsetDateTime,
    upto: OffsetDateTime,
) -> String {
    format!(
        "SELECT {} FROM {sobject} WHERE {}CreatedDate >= {} AND CreatedDate <= {} ORDER BY CreatedDate, Id",
        select_list(fields),
        condition(bound),
        soql_datetime(after),
        soql_datetime(upto),
    )
}

/// The records of `sobject` (with `fields`) matching the condition `bound` (its values bound) created in
/// the second `at`.
pub fn created_at(sobject: &str, fields: &[String], bound: &str, at: OffsetDateTime) -> String {
    format!(
        "SELECT {} FROM {sobject} WHERE {}CreatedDate = {}",
        select_list(fields),
        condition(bound),
        soql_datetime(at),
    )
}

/// A bound condition, parenthesised so its `OR`s stay inside, and joined with `AND`; nothing
/// for an empty one.
fn condition(bound: &str) -> String {
    if bound.trim().is_empty() {
        String::new()
    } else {
        format!("({bound}) AND ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_select_list_always_positions_events() {
        assert_eq!(select_list(&[]), "Id, CreatedDate");
        assert_eq!(
            select_list(&["email".into(), "Id".into(), "LastName".into()]),
            "Id, CreatedDate, email, LastName"
        );
        assert_eq!(condition(""), "");
        assert_eq!(condition("A = 1 OR B = 2"), "(A = 1 OR B = 2) AND ");
    }

    #[test]
    fn a_window_is_whole_seconds_in_order_and_its_length_does_not_depend_on_its_bounds() {
        let t = |s| OffsetDateTime::from_unix_timestamp(s).unwrap();
        let fields = ["Email".to_owned()];
        let window = created_between("Lead", &fields, "A = 1", t(0), t(1_700_000_000));
        assert_eq!(
            window,
            "SELECT Id, CreatedDate, Email FROM Lead WHERE (A = 1) AND \
             CreatedDate >= 1970-01-01T00:00:00Z AND CreatedDate <= 2023-11-14T22:13:20Z \
             ORDER BY CreatedDate, Id"
        );
        assert_eq!(
            window.len(),
            created_between("Lead", &fields, "A = 1", t(5), t(6)).len()
        );
        assert_eq!(
            created_at("Contact", &[], "", t(0)),
            "SELECT Id, CreatedDate FROM Contact WHERE CreatedDate = 1970-01-01T00:00:00Z"
        );
    }
}
