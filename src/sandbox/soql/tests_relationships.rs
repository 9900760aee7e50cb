//! Parent paths through up to five lookups, child relationship subqueries
//! and FIELDS(), over the test org of `tests`.

use serde_json::{Value, json};

use super::tests::{column, error, id, id_user, org, query, run_on};

fn url(ty: &str, id: &str) -> String {
    format!("/services/data/v60.0/sobjects/{ty}/{id}")
}

// === parent paths ===

#[test]
fn parent_paths_nest_each_level_with_its_own_attributes() {
    let out = query(
        "SELECT LastName, Account.Name, Account.Owner.Name, Account.Owner.Email FROM Contact \
         WHERE FirstName = 'Ann'",
    );
    let user = id_user();
    let want = json!({
        "attributes": {"type": "Account", "url": url("Account", &id("001", 1))},
        "Name": "Acme",
        "Owner": {
            "attributes": {"type": "User", "url": url("User", &user)},
            "Name": "Una Owner",
            "Email": "una@example.com",
        },
    });
    assert_eq!(out.rows[0]["Account"], want);
}

#[test]
fn an_empty_lookup_on_the_way_is_null_at_that_level() {
    let q = "SELECT LastName, Account.Name, Account.Owner.Name FROM Contact ORDER BY LastName";
    let out = query(q);
    let by_name = |n: &str| {
        out.rows
            .iter()
            .find(|r| r["LastName"] == n)
            .cloned()
            .unwrap_or(Value::Null)
    };
    // Ärger's Account (O'Brien) has no Owner; Jones has no Account.
    assert_eq!(by_name("Ärger")["Account"]["Name"], "O'Brien & Co");
    assert_eq!(by_name("Ärger")["Account"]["Owner"], Value::Null);
    assert_eq!(by_name("Jones")["Account"], Value::Null);
    assert_eq!(by_name("smith")["Account"]["Owner"]["Name"], "Una Owner");
}

#[test]
fn five_lookups_are_followed_and_a_sixth_is_refused() {
    // Ärger → O'Brien → Globex → Acme → its Owner → that user's CreatedBy.
    let path = "Account.Parent.Parent.Owner.CreatedBy.Name";
    let out = query(&format!(
        "SELECT {path} FROM Contact WHERE LastName = 'Ärger'"
    ));
    let a = &out.rows[0]["Account"];
    assert_eq!(a["Parent"]["attributes"]["type"], "Account");
    let user = &a["Parent"]["Parent"]["Owner"];
    assert_eq!(user["attributes"]["url"], url("User", &id_user()));
    assert_eq!(user["CreatedBy"]["Name"], "Una Owner");
    // The same path in WHERE and ORDER BY.
    let out = query(&format!(
        "SELECT LastName FROM Contact WHERE {path} = 'una owner' ORDER BY {path}"
    ));
    assert_eq!(column(&out, "LastName"), ["Ärger"]);
    let e = error("SELECT Account.Parent.Parent.Parent.Owner.CreatedBy.Name FROM Contact");
    assert_eq!(e.error_code, "MALFORMED_QUERY");
    assert!(
        e.message.ends_with(
            "SOQL statements cannot query relationships that are more than 5 levels away from \
             the root entity object: Account.Parent.Parent.Parent.Owner.CreatedBy.Name"
        ),
        "{}",
        e.message
    );
}

#[test]
fn deep_paths_filter_and_sort() {
    let names = |q: &str| column(&query(q), "LastName");
    assert_eq!(
        names("SELECT LastName FROM Contact WHERE Account.Parent.Owner.Name = 'Una Owner'"),
        ["smith", "Ärger"]
    );
    assert_eq!(
        names(
            "SELECT LastName FROM Contact WHERE Account.Parent.Name != null ORDER BY Account.Parent.Name DESC"
        ),
        ["Ärger", "smith"]
    );
    assert_eq!(
        names("SELECT LastName FROM Contact WHERE contact.account.owner.email LIKE 'una@%'"),
        ["Smith", "smith"]
    );
}

// === child relationship subqueries ===

#[test]
fn child_rows_nest_as_a_query_result_or_null() {
    let out = query(
        "SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName) FROM Account \
         WHERE Name IN ('Acme', '100% Pure_Juice') ORDER BY Name",
    );
    let contact = id("003", 1);
    assert_eq!(
        out.rows[1]["Contacts"],
        json!({"totalSize": 1, "done": true, "records": [
            {"attributes": {"type": "Contact", "url": url("Contact", &contact)}, "LastName": "Smith"}
        ]})
    );
    assert_eq!(out.rows[0]["Name"], "100% Pure_Juice");
    assert_eq!(out.rows[0]["Contacts"], Value::Null);
}

#[test]
fn child_subqueries_filter_sort_limit_and_read_parents() {
    let out = query(
        "SELECT Name, (SELECT Name FROM ChildAccounts), \
         (SELECT LastName, Account.Owner.Name FROM Contacts WHERE LastName LIKE 's%' LIMIT 1) \
         FROM Account WHERE Name = 'Globex'",
    );
    let row = &out.rows[0];
    assert_eq!(row["ChildAccounts"]["records"][0]["Name"], "O'Brien & Co");
    assert_eq!(row["Contacts"]["totalSize"], 1);
    assert_eq!(
        row["Contacts"]["records"][0]["Account"]["Owner"]["Name"],
        "Una Owner"
    );
    // A relationship name in any case comes back as a real org spells it.
    let out = query(
        "SELECT Name, (SELECT LastName FROM contacts WHERE LastName = 'nobody') FROM Account WHERE Name = 'Acme'",
    );
    assert_eq!(out.rows[0]["Contacts"], Value::Null);
    assert!(out.rows[0].get("contacts").is_none());
}

#[test]
fn query_all_includes_deleted_children() {
    let q = "SELECT Name, (SELECT LastName FROM Contacts) FROM Account WHERE Name = 'Deleted Inc'";
    let out = run_on(&org(), q, true).unwrap();
    assert_eq!(out.rows[0]["Contacts"]["records"][0]["LastName"], "Zed");
    assert!(query(q).rows.is_empty());
}

#[test]
fn bad_child_subqueries_are_refused_as_salesforce_does() {
    let e = error("SELECT Name, (SELECT LastName FROM Contactz) FROM Account");
    assert_eq!(e.error_code, "INVALID_TYPE");
    assert!(e.message.contains("ERROR at Row:1:Column:36\nDidn't understand relationship 'Contactz' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name."), "{}", e.message);
    let cases = [
        (
            "SELECT Name, (SELECT Id, (SELECT Id FROM ChildAccounts) FROM ChildAccounts) FROM Account",
            "SOQL statements cannot query aggregate relationships more than 1 level away from the root entity object.",
        ),
        (
            "SELECT Name, (SELECT COUNT(Id) FROM Contacts) FROM Account",
            "only root queries support aggregate expressions",
        ),
        (
            "SELECT Name, (SELECT COUNT() FROM Contacts) FROM Account",
            "only root queries support aggregate expressions",
        ),
        (
            "SELECT Name, (SELECT LastName FROM Contacts), (SELECT FirstName FROM Contacts) FROM Account",
            "duplicate field selected: Contacts",
        ),
        (
            "SELECT Name, (SELECT Nope FROM Contacts) FROM Account",
            "No such column 'Nope' on entity 'Contact'",
        ),
    ];
    for (q, text) in cases {
        let e = error(q);
        assert!(e.message.contains(text), "{q}: {}", e.message);
    }
}

// === FIELDS() ===

#[test]
fn fields_standard_selects_every_standard_field() {
    let out = query("SELECT FIELDS(STANDARD) FROM Contact WHERE FirstName = 'Ann'");
    let keys: Vec<&String> = out.rows[0].as_object().unwrap().keys().collect();
    let org = org();
    let mut want: Vec<&str> = org.objects[1]
        .fields
        .iter()
        .map(|f| f.name.as_str())
        .filter(|n| !n.ends_with("__c"))
        .chain(["attributes"])
        .collect();
    want.sort_unstable();
    assert_eq!(keys, want);
    // Mixed with other fields and in a subquery.
    let out = query(
        "SELECT Active__c, FIELDS(STANDARD), (SELECT FIELDS(STANDARD) FROM Contacts) FROM Account \
         WHERE Name = 'Acme'",
    );
    assert_eq!(out.rows[0]["Active__c"], true);
    assert!(out.rows[0].get("Founded__c").is_none());
    assert_eq!(out.rows[0]["Contacts"]["records"][0]["LastName"], "Smith");
    assert!(
        out.rows[0]["Contacts"]["records"][0]
            .get("Score__c")
            .is_none()
    );
}

#[test]
fn fields_all_and_custom_need_a_limit_of_at_most_200() {
    for q in [
        "SELECT FIELDS(ALL) FROM Contact",
        "SELECT FIELDS(CUSTOM) FROM Contact LIMIT 201",
        "SELECT Name, (SELECT FIELDS(ALL) FROM Contacts) FROM Account LIMIT 10",
    ] {
        let e = error(q);
        assert_eq!(
            (e.error_code, e.message.as_str()),
            (
                "MALFORMED_QUERY",
                "The SOQL FIELDS function must have a LIMIT of at most 200"
            ),
            "{q}"
        );
    }
    let out = query("SELECT FIELDS(CUSTOM) FROM Contact WHERE FirstName = 'Ann' LIMIT 200");
    let keys: Vec<&String> = out.rows[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["Score__c", "attributes"]);
    let out = query("SELECT FIELDS(ALL) FROM Contact WHERE FirstName = 'Ann' LIMIT 1");
    assert_eq!(out.rows[0]["Score__c"], 3.5);
    assert_eq!(out.rows[0]["LastName"], "Smith");
    let e = error("SELECT Id, FIELDS(ALL) FROM Contact LIMIT 200");
    assert!(
        e.message.ends_with("\nduplicate field selected: Id"),
        "{}",
        e.message
    );
}
