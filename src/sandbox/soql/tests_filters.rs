//! Semi-joins, anti-joins and multi-select picklists (`INCLUDES`,
//! `EXCLUDES`, set equality), over the test org of `tests` (Account tags:
//! Acme `Red;Green`, Globex `green`, O'Brien `Blue;Red;Yellow`, the rest none).

use super::execute;
use super::tests::{Counting, NOW, accounts, column, error, last_names, org, query};

// === semi-joins and anti-joins ===

#[test]
fn semi_joins_keep_records_the_subquery_points_at() {
    assert_eq!(
        accounts("Id IN (SELECT AccountId FROM Contact WHERE LastName LIKE 's%')"),
        ["Acme", "Globex"]
    );
    assert_eq!(
        last_names("AccountId IN (SELECT Id FROM Account WHERE Industry = 'tech')"),
        ["Smith"]
    );
    // Two joins and a plain condition, in parentheses too.
    assert_eq!(
        accounts(
            "(Id IN (SELECT AccountId FROM Contact)) AND Id NOT IN \
             (SELECT AccountId FROM Contact WHERE Score__c < 0) AND Name != 'Acme'"
        ),
        ["O'Brien & Co"]
    );
}

#[test]
fn anti_joins_keep_the_rest_including_nulls() {
    // The deleted Contact Zed points at the deleted Account: neither counts.
    assert_eq!(
        accounts("Id NOT IN (SELECT AccountId FROM Contact)"),
        ["100% Pure_Juice", "back\\slash"]
    );
    assert_eq!(
        last_names("AccountId NOT IN (SELECT Id FROM Account WHERE Industry = 'tech')"),
        ["smith", "Jones", "Ärger"]
    );
}

#[test]
fn semi_join_errors_are_salesforces() {
    let cases = [
        (
            "SELECT Id FROM Account WHERE Name = 'x' OR Id IN (SELECT AccountId FROM Contact)",
            "Semi join sub-selects are not allowed with the 'OR' operator",
        ),
        (
            "SELECT Id FROM Account WHERE NOT Id IN (SELECT AccountId FROM Contact)",
            "Semi join sub-selects are not allowed with the 'NOT' operator",
        ),
        (
            "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE \
             AccountId IN (SELECT Id FROM Account))",
            "Nesting of semi join sub-selects is not supported",
        ),
        (
            "SELECT Id FROM Account WHERE Id IN (SELECT ParentId FROM Account)",
            "The inner and outer selects should not be on the same object type",
        ),
        (
            "SELECT Id FROM Account WHERE Name IN (SELECT lastname FROM Contact)",
            "semi join sub selects can only query id fields, cannot use: 'LastName'",
        ),
        (
            "SELECT Id FROM Account WHERE Name IN (SELECT AccountId FROM Contact)",
            "semi join sub selects can only query id fields, cannot use: 'Name'",
        ),
        (
            "SELECT Id FROM Contact WHERE AccountId IN (SELECT Owner.Id FROM Account)",
            "inner select field cannot have more than one level of relationships",
        ),
        (
            "SELECT Id FROM Account WHERE Id IN (SELECT AccountId, Id FROM Contact)",
            "unexpected token: 'Id'",
        ),
        (
            "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact LIMIT 5)",
            "unexpected token: '5'",
        ),
        (
            "SELECT Industry FROM Account GROUP BY Industry HAVING Industry IN (SELECT Name FROM Contact)",
            "unexpected token: '('",
        ),
    ];
    for (q, text) in cases {
        let e = error(q);
        assert_eq!(e.error_code, "MALFORMED_QUERY", "{q}");
        assert!(
            e.message.ends_with(&format!("\n{text}")),
            "{q}: {}",
            e.message
        );
    }
}

/// A semi-join on `Id` is a lookup after the subquery's own scan.
#[test]
fn a_semi_join_on_id_scans_only_the_subquery() {
    let data = Counting {
        org: org(),
        scans: std::cell::Cell::new(0),
    };
    let q = "SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact) ORDER BY Name";
    let out = execute(q, &data, false, NOW, "60.0").unwrap();
    assert_eq!(column(&out, "Name"), ["Acme", "Globex", "O'Brien & Co"]);
    assert_eq!(data.scans.get(), 1);
}

// === multi-select picklists ===

#[test]
fn includes_matches_any_entry_and_semicolons_mean_all_of() {
    assert_eq!(
        accounts("Tags__c INCLUDES ('red')"),
        ["Acme", "O'Brien & Co"]
    );
    assert_eq!(
        accounts("Tags__c INCLUDES ('Red;Green', 'Yellow')"),
        ["Acme", "O'Brien & Co"]
    );
    assert_eq!(accounts("Tags__c includes ('green; red')"), ["Acme"]);
    assert_eq!(
        accounts("Tags__c INCLUDES ('Purple', '')"),
        Vec::<String>::new()
    );
}

#[test]
fn excludes_keeps_records_without_them_including_empty_ones() {
    assert_eq!(
        accounts("Tags__c EXCLUDES ('Red')"),
        ["Globex", "100% Pure_Juice", "back\\slash"]
    );
    assert_eq!(
        accounts("Tags__c EXCLUDES ('red;yellow', 'GREEN')"),
        ["100% Pure_Juice", "back\\slash"]
    );
}

#[test]
fn equality_on_a_multi_select_picklist_compares_sets() {
    assert_eq!(accounts("Tags__c = 'Green;Red'"), ["Acme"]);
    assert_eq!(accounts("Tags__c = 'Red'"), Vec::<String>::new());
    assert_eq!(
        accounts("Tags__c != 'GREEN'"),
        ["Acme", "O'Brien & Co", "100% Pure_Juice", "back\\slash"]
    );
    assert_eq!(
        accounts("Tags__c = null"),
        ["100% Pure_Juice", "back\\slash"]
    );
    let out = query("SELECT Tags__c FROM Account WHERE Name = 'Acme'");
    assert_eq!(out.rows[0]["Tags__c"], "Red;Green");
}

#[test]
fn multi_select_operators_are_checked_against_the_field_type() {
    let cases = [
        (
            "Name INCLUDES ('a')",
            "invalid operator on string field: Name",
        ),
        (
            "Industry EXCLUDES ('a')",
            "invalid operator on picklist field: Industry",
        ),
        (
            "Tags__c LIKE 'R%'",
            "invalid operator on multipicklist field: Tags__c",
        ),
        (
            "Tags__c IN ('Red')",
            "invalid operator on multipicklist field: Tags__c",
        ),
        (
            "Tags__c > 'Red'",
            "invalid operator on multipicklist field: Tags__c",
        ),
    ];
    for (cond, text) in cases {
        let q = format!("SELECT Id FROM Account WHERE {cond}");
        let e = error(&q);
        assert_eq!(e.error_code, "MALFORMED_QUERY", "{q}");
        assert!(
            e.message.ends_with(&format!("\n{text}")),
            "{q}: {}",
            e.message
        );
    }
    let e = error("SELECT Id FROM Account WHERE Tags__c INCLUDES (1)");
    assert_eq!(e.error_code, "INVALID_FIELD");
    assert!(
        e.message.ends_with("value of filter criterion for field 'Tags__c' must be of type string and should be enclosed in quotes"),
        "{}",
        e.message
    );
}
