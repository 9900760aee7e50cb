//! Aggregate queries: functions, GROUP BY, HAVING, aliases, result shape and
//! errors, over the test org of `tests` (live Accounts: Acme Tech 100,
//! Globex no industry 5, O'Brien Finance no count, 100% food 20, back\slash
//! tech 20; Deleted Inc is in the recycle bin).

use serde_json::{Value, json};

use super::tests::{column, error, org, query, run_on};

fn agg(fields: Value) -> Value {
    let mut row = json!({"attributes": {"type": "AggregateResult"}});
    if let (Value::Object(r), Value::Object(f)) = (&mut row, fields) {
        r.extend(f);
    }
    row
}

#[test]
fn group_by_counts_per_group_case_blind_in_first_seen_order() {
    let out = query("SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry");
    assert_eq!(
        out.rows,
        [
            agg(json!({"Industry": "Tech", "expr0": 2})),
            agg(json!({"Industry": null, "expr0": 1})),
            agg(json!({"Industry": "Finance", "expr0": 1})),
            agg(json!({"Industry": "food", "expr0": 1})),
        ]
    );
    assert_eq!(out.total_size, 4);
    assert!(out.single_batch);
}

#[test]
fn aliases_name_columns_and_only_unaliased_aggregates_are_numbered() {
    let out = query(
        "SELECT Industry ind, COUNT(Id) n, MAX(NumberOfEmployees), MIN(NumberOfEmployees) \
         FROM Account WHERE Industry != null GROUP BY Industry ORDER BY COUNT(Id) DESC, Industry",
    );
    assert_eq!(
        out.rows,
        [
            agg(json!({"ind": "Tech", "n": 2, "expr0": 100, "expr1": 20})),
            agg(json!({"ind": "Finance", "n": 1, "expr0": null, "expr1": null})),
            agg(json!({"ind": "food", "n": 1, "expr0": 20, "expr1": 20})),
        ]
    );
}

#[test]
fn without_group_by_there_is_one_row_even_over_nothing() {
    let out = query(
        "SELECT COUNT(Id), SUM(NumberOfEmployees), AVG(NumberOfEmployees), MIN(Name), \
         MAX(CreatedDate), COUNT_DISTINCT(Industry), COUNT(Industry) FROM Account",
    );
    assert_eq!(
        out.rows,
        [agg(json!({
            "expr0": 5, "expr1": 145, "expr2": 36.25, "expr3": "100% Pure_Juice",
            "expr4": "2024-03-14T00:00:00.000+0000", "expr5": 3, "expr6": 4,
        }))]
    );
    let out =
        query("SELECT COUNT(Id), SUM(AnnualRevenue), MAX(Name) FROM Account WHERE Name = 'nobody'");
    assert_eq!(
        out.rows,
        [agg(json!({"expr0": 0, "expr1": null, "expr2": null}))]
    );
    let out =
        query("SELECT Industry, COUNT(Id) FROM Account WHERE Name = 'nobody' GROUP BY Industry");
    assert_eq!((out.total_size, out.rows.len()), (0, 0));
}

#[test]
fn sums_are_exact_decimals() {
    // Contacts' scores: 3.5, -1 and 0.25 (Jones has none).
    let out = query("SELECT SUM(Score__c), AVG(Score__c) FROM Contact");
    assert_eq!(out.rows[0]["expr0"], json!(2.75));
    assert_eq!(out.rows[0]["expr1"], json!(2.75 / 3.0));
    let out = query("SELECT SUM(AnnualRevenue) total FROM Account");
    assert_eq!(out.rows[0]["total"], json!(1500010.5));
}

#[test]
fn having_filters_groups_by_aggregates_and_grouped_fields() {
    let industries = |q: &str| column(&query(q), "Industry");
    assert_eq!(
        industries("SELECT Industry FROM Account GROUP BY Industry HAVING COUNT(Id) > 1"),
        ["Tech"]
    );
    assert_eq!(
        industries(
            "SELECT Industry FROM Account GROUP BY Industry \
             HAVING MAX(NumberOfEmployees) >= 20 AND Industry != 'tech'"
        ),
        ["food"]
    );
    assert_eq!(
        industries(
            "SELECT Industry FROM Account GROUP BY Industry \
             HAVING (Industry = null OR COUNT_DISTINCT(Name) = 2) ORDER BY Industry NULLS LAST"
        ),
        ["Tech", "null"]
    );
}

#[test]
fn group_by_parent_paths_and_windows() {
    let out = query(
        "SELECT Account.Name, COUNT(Id) FROM Contact GROUP BY Account.Name \
         ORDER BY Account.Name NULLS LAST LIMIT 2 OFFSET 1",
    );
    assert_eq!(
        out.rows,
        [
            agg(json!({"Name": "Globex", "expr0": 1})),
            agg(json!({"Name": "O'Brien & Co", "expr0": 1})),
        ]
    );
    let out =
        query("SELECT Active__c, COUNT(Id) FROM Account GROUP BY Active__c ORDER BY Active__c");
    assert_eq!(column(&out, "Active__c"), ["false", "true"]);
    assert_eq!(column(&out, "expr0"), ["3", "2"]);
    let out = run_on(&org(), "SELECT COUNT(Id) FROM Account", true).unwrap();
    assert_eq!(out.rows[0]["expr0"], 6);
}

#[test]
fn aggregate_errors_are_salesforces() {
    let cases = [
        (
            "SELECT Name, COUNT(Id) FROM Account GROUP BY Industry",
            "Field must be grouped or aggregated: Name",
        ),
        (
            "SELECT Name, COUNT(Id) FROM Account",
            "Field must be grouped or aggregated: Name",
        ),
        (
            "SELECT Name, COUNT(Id) FROM Account GROUP BY Industry ORDER BY CreatedDate",
            "Ordered field must be grouped or aggregated: CreatedDate",
        ),
        (
            "SELECT Industry FROM Account GROUP BY Industry HAVING Name = 'x'",
            "Field must be grouped or aggregated: Name",
        ),
        (
            "SELECT SUM(Name) FROM Account",
            "field Name does not support aggregate operator SUM",
        ),
        (
            "SELECT AVG(CreatedDate) FROM Account",
            "field CreatedDate does not support aggregate operator AVG",
        ),
        (
            "SELECT COUNT(Active__c) FROM Account",
            "field Active__c does not support aggregate operator COUNT",
        ),
        (
            "SELECT MAX(Tags__c) FROM Account",
            "field Tags__c does not support aggregate operator MAX",
        ),
        (
            "SELECT AnnualRevenue FROM Account GROUP BY AnnualRevenue",
            "field 'AnnualRevenue' can not be grouped in a query call",
        ),
        (
            "SELECT COUNT(Id) FROM Account GROUP BY CreatedDate",
            "field 'CreatedDate' can not be grouped in a query call",
        ),
        (
            "SELECT Name n FROM Account",
            "only aggregate expressions use field aliasing",
        ),
        (
            "SELECT COUNT(Id) c, MAX(Name) C FROM Account",
            "duplicate alias: C",
        ),
        (
            "SELECT MAX(Name) FROM Account LIMIT 1",
            "unexpected token: '1'",
        ),
        (
            "SELECT COUNT() FROM Account GROUP BY Industry",
            "unexpected token: 'GROUP BY'",
        ),
        (
            "SELECT Industry, (SELECT LastName FROM Contacts) FROM Account GROUP BY Industry",
            "unexpected token: '('",
        ),
        (
            "SELECT FIELDS(STANDARD), COUNT(Id) FROM Account",
            "unexpected token: 'FIELDS'",
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
    let e = error("SELECT Industry FROM Account GROUP BY Industry HAVING COUNT(Id) > 'x'");
    assert_eq!(e.error_code, "INVALID_FIELD");
    let e = error("SELECT COUNT(Nope) FROM Account");
    assert_eq!(e.error_code, "INVALID_FIELD");
}
