//! The README's error table ("Errors") checked against the code, both ways: every gateway
//! reason it names is a [`Reason`], every [`Reason`] is in it, and every Salesforce
//! `errorCode` it names has a group of its own in the mapping (none falls to the default
//! unnoticed).
//!
//! The table mixes the three vocabularies in backticks; each UPPER_SNAKE_CASE word is a gRPC
//! code, a gateway reason, a Salesforce `errorCode`, or one of the few other words listed in
//! [`OTHER_WORDS`]. A word that is none of these (a reason renamed in the code and not in the
//! README, a typo) fails the test.

use std::collections::BTreeSet;

use super::{ErrorCode, Reason};

const README: &str = include_str!("../../README.md");

/// UPPER_SNAKE_CASE words of the table that are neither codes nor reasons: a
/// `PreconditionFailure` type, the health status a revoked grant turns its connection to,
/// SOQL's `IN`.
const OTHER_WORDS: &[&str] = &["VALIDATION_RULE", "NOT_SERVING", "IN"];

/// gRPC's status codes, as the table writes them.
const GRPC_CODES: &[&str] = &[
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// The rows of the table under `## Errors`.
fn table() -> Vec<&'static str> {
    let section = README
        .split("\n## Errors\n")
        .nth(1)
        .expect("the README has an Errors section");
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---"))
        .skip(1) // the header
        .collect()
}

/// The backticked UPPER_SNAKE_CASE words of `text`.
fn words(text: &str) -> BTreeSet<&str> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|w| w.len() > 1 && w.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
        .collect()
}

#[test]
fn the_readme_error_table_and_the_code_name_the_same_reasons() {
    let rows = table();
    assert!(rows.len() > 30, "the table was found: {} rows", rows.len());
    let named: BTreeSet<&str> = rows.iter().flat_map(|row| words(row)).collect();
    let reasons: BTreeSet<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();

    let missing: Vec<&str> = reasons.difference(&named).copied().collect();
    assert!(
        missing.is_empty(),
        "gateway reasons missing from the README's error table: {missing:?}"
    );
    let unknown: Vec<&str> = named
        .iter()
        .copied()
        .filter(|w| {
            !reasons.contains(w)
                && !GRPC_CODES.contains(w)
                && !OTHER_WORDS.contains(w)
                && ErrorCode::of(w) == ErrorCode::Other
        })
        .collect();
    assert!(
        unknown.is_empty(),
        "words of the README's error table that are no gateway reason, gRPC code or \
         Salesforce errorCode the mapping names: {unknown:?}"
    );
}

#[test]
fn every_salesforce_row_names_codes_the_mapping_groups() {
    // The condition column of a Salesforce row lists Salesforce's own errorCodes.
    let mut seen = 0;
    for row in table() {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        if cells.get(1) != Some(&"Salesforce") {
            continue;
        }
        for code in words(cells[2]) {
            seen += 1;
            assert_ne!(
                ErrorCode::of(code),
                ErrorCode::Other,
                "{code} is in the README's table but in no group of the mapping"
            );
        }
    }
    assert!(seen > 20, "{seen} Salesforce codes found");
}
