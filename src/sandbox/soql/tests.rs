//! Tests of the SOQL engine over a small org of Accounts and Contacts.

use serde_json::{Value, json};
use time::macros::datetime;

use super::{DataSource, QueryOutput, Record, SoqlError, execute};
use crate::sandbox::relationships::{ChildRelationship, children_of};
use crate::sandbox::schema::{FieldDef, FieldType, ObjectDef};

// === test org ===

pub(super) fn field(name: &str, ftype: FieldType) -> FieldDef {
    FieldDef {
        name: name.into(),
        label: name.into(),
        ftype,
        nillable: true,
        createable: true,
        updateable: true,
        reference_to: Vec::new(),
        relationship_name: None,
        attrs: Default::default(),
    }
}

pub(super) fn lookup(name: &str, to: &[&str], rel: &str) -> FieldDef {
    FieldDef {
        reference_to: to.iter().map(|s| s.to_string()).collect(),
        relationship_name: Some(rel.into()),
        ..field(name, FieldType::Reference)
    }
}

pub(super) fn object(name: &str, prefix: &str, extra: Vec<FieldDef>) -> ObjectDef {
    let mut fields = vec![
        field("Id", FieldType::Id),
        field("IsDeleted", FieldType::Boolean),
        field("CreatedDate", FieldType::DateTime),
        field("LastModifiedDate", FieldType::DateTime),
        field("SystemModstamp", FieldType::DateTime),
        lookup("CreatedById", &["User"], "CreatedBy"),
    ];
    fields.extend(extra);
    ObjectDef {
        name: name.into(),
        label: name.into(),
        label_plural: format!("{name}s"),
        key_prefix: prefix.into(),
        custom: false,
        fields,
    }
}

/// An 18-character Id whose 15-character head has mixed case.
pub(super) fn id(prefix: &str, n: u32) -> String {
    crate::sandbox::ids::to18(&format!("{prefix}xY{n:010}"))
}

pub(super) struct Org {
    pub(super) objects: Vec<ObjectDef>,
    pub(super) records: Vec<(usize, Record)>,
}

impl DataSource for Org {
    fn object(&self, name: &str) -> Option<&ObjectDef> {
        self.objects
            .iter()
            .find(|o| o.name.eq_ignore_ascii_case(name))
    }

    fn scan(&self, sobject: &str, visit: &mut dyn FnMut(&Record)) {
        for (o, r) in &self.records {
            if self.objects.get(*o).is_some_and(|d| d.name == sobject) {
                visit(r);
            }
        }
    }

    fn get(&self, id18: &str) -> Option<(&ObjectDef, &Record)> {
        let (o, r) = self.records.iter().find(|(_, r)| r["Id"] == id18)?;
        Some((self.objects.get(*o)?, r))
    }

    fn child_relationships(&self, parent: &str) -> Vec<ChildRelationship> {
        children_of(&self.objects, parent)
    }
}

pub(super) fn record(id: String, created: &str, deleted: bool, fields: Value) -> Record {
    let mut r = Record::new();
    r.insert("Id".into(), json!(id));
    r.insert("IsDeleted".into(), json!(deleted));
    r.insert("CreatedDate".into(), json!(created));
    r.insert("LastModifiedDate".into(), json!(created));
    r.insert("SystemModstamp".into(), json!(created));
    r.insert("CreatedById".into(), json!(id_user()));
    if let Value::Object(m) = fields {
        r.extend(m);
    }
    r
}

pub(super) fn id_user() -> String {
    id("005", 1)
}

pub(super) fn org() -> Org {
    let account = object(
        "Account",
        "001",
        vec![
            field("Name", FieldType::String),
            field("Industry", FieldType::Picklist),
            field("NumberOfEmployees", FieldType::Int),
            field("AnnualRevenue", FieldType::Currency),
            field("Active__c", FieldType::Boolean),
            field("Founded__c", FieldType::Date),
            lookup("OwnerId", &["User"], "Owner"),
            lookup("ParentId", &["Account"], "Parent"),
            field("Tags__c", FieldType::MultiPicklist),
        ],
    );
    let user = object(
        "User",
        "005",
        vec![
            field("Name", FieldType::String),
            field("Email", FieldType::Email),
        ],
    );
    let contact = object(
        "Contact",
        "003",
        vec![
            field("LastName", FieldType::String),
            field("FirstName", FieldType::String),
            field("Email", FieldType::Email),
            lookup("AccountId", &["Account"], "Account"),
            lookup("OwnerId", &["User", "Group"], "Owner"),
            field("Score__c", FieldType::Double),
            field("Birthdate", FieldType::Date),
        ],
    );
    let a = |n, created, deleted, f| (0, record(id("001", n), created, deleted, f));
    let c = |n, created, deleted, f| (1, record(id("003", n), created, deleted, f));
    let records = vec![
        a(
            1,
            "2024-03-13T08:00:00.000+0000",
            false,
            json!({"Name": "Acme", "Industry": "Tech",
            "NumberOfEmployees": 100, "AnnualRevenue": 1500000.5, "Active__c": true,
            "Founded__c": "2001-05-04"}),
        ),
        a(
            2,
            "2024-03-12T23:59:59.000+0000",
            false,
            json!({"Name": "Globex", "Industry": null,
            "NumberOfEmployees": 5, "AnnualRevenue": 10, "Active__c": false, "Founded__c": null}),
        ),
        a(
            3,
            "2024-03-01T00:00:00.000+0000",
            false,
            json!({"Name": "O'Brien & Co",
            "Industry": "Finance", "NumberOfEmployees": null, "Active__c": true,
            "Founded__c": "2010-01-01"}),
        ),
        a(
            4,
            "2024-03-13T09:00:00.000+0000",
            true,
            json!({"Name": "Deleted Inc",
            "Industry": "Tech", "NumberOfEmployees": 7, "Active__c": false}),
        ),
        a(
            5,
            "2024-03-14T00:00:00.000+0000",
            false,
            json!({"Name": "100% Pure_Juice",
            "Industry": "food", "NumberOfEmployees": 20, "Active__c": false}),
        ),
        a(
            6,
            "2024-03-13T23:59:59.000+0000",
            false,
            json!({"Name": "back\\slash",
            "Industry": "tech", "NumberOfEmployees": 20, "Active__c": false}),
        ),
        c(
            1,
            "2024-03-13T10:00:00.000+0000",
            false,
            json!({"LastName": "Smith",
            "FirstName": "Ann", "Email": "ann@acme.com", "AccountId": id("001", 1),
            "Score__c": 3.5, "Birthdate": "1990-01-02"}),
        ),
        c(
            2,
            "2024-03-13T10:00:00.000+0000",
            false,
            json!({"LastName": "smith",
            "FirstName": "Bob", "AccountId": id("001", 2), "Score__c": -1,
            "Birthdate": "2024-03-13"}),
        ),
        c(
            3,
            "2024-03-10T00:00:00.000+0000",
            false,
            json!({"LastName": "Jones",
            "FirstName": null, "AccountId": null, "Score__c": null}),
        ),
        c(
            4,
            "2024-03-11T00:00:00.000+0000",
            true,
            json!({"LastName": "Zed",
            "AccountId": id("001", 4)}),
        ),
        c(
            5,
            "2024-03-12T00:00:00.000+0000",
            false,
            json!({"LastName": "Ärger",
            "AccountId": id("001", 3), "Score__c": 0.25}),
        ),
    ];
    // Owners, parents (O'Brien → Globex → Acme; back\slash → O'Brien) and
    // tags, set after the fact so the rows above read as before.
    let mut records = records;
    let owner = id_user();
    let set = |records: &mut Vec<(usize, Record)>, n: usize, k: &str, v: Value| {
        if let Some((_, r)) = records.get_mut(n) {
            r.insert(k.to_owned(), v);
        }
    };
    set(&mut records, 0, "OwnerId", json!(owner));
    set(&mut records, 1, "OwnerId", json!(owner));
    set(&mut records, 1, "ParentId", json!(id("001", 1)));
    set(&mut records, 2, "ParentId", json!(id("001", 2)));
    set(&mut records, 5, "ParentId", json!(id("001", 3)));
    set(&mut records, 0, "Tags__c", json!("Red;Green"));
    set(&mut records, 1, "Tags__c", json!("green"));
    set(&mut records, 2, "Tags__c", json!("Blue;Red;Yellow"));
    records.push((
        2,
        record(
            owner,
            "2024-01-01T00:00:00.000+0000",
            false,
            json!({"Name": "Una Owner", "Email": "una@example.com"}),
        ),
    ));
    Org {
        objects: vec![account, contact, user],
        records,
    }
}

// === helpers ===

/// Wednesday 2024-03-13, noon UTC: the week runs Sunday 10th to Saturday 16th.
pub(super) const NOW: time::OffsetDateTime = datetime!(2024-03-13 12:00:00 UTC);

pub(super) fn run_on(org: &Org, soql: &str, all_rows: bool) -> Result<QueryOutput, SoqlError> {
    execute(soql, org, all_rows, NOW, "60.0")
}

pub(super) fn query(soql: &str) -> QueryOutput {
    match run_on(&org(), soql, false) {
        Ok(out) => out,
        Err(e) => panic!("{soql}: {} {}", e.error_code, e.message),
    }
}

pub(super) fn error(soql: &str) -> SoqlError {
    match run_on(&org(), soql, false) {
        Ok(out) => panic!("{soql}: expected an error, got {:?}", out.rows),
        Err(e) => e,
    }
}

/// The values of `key` in each row, in order, as text (`null` for null).
pub(super) fn column(out: &QueryOutput, key: &str) -> Vec<String> {
    out.rows
        .iter()
        .map(|r| match &r[key] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

/// Names of the Accounts matching `where_`, in scan order.
pub(super) fn accounts(where_: &str) -> Vec<String> {
    column(
        &query(&format!("SELECT Name FROM Account WHERE {where_}")),
        "Name",
    )
}

pub(super) fn last_names(where_: &str) -> Vec<String> {
    column(
        &query(&format!("SELECT LastName FROM Contact WHERE {where_}")),
        "LastName",
    )
}

// === select, shape, count ===

#[test]
fn rows_carry_attributes_and_selected_fields_in_canonical_case() {
    let out = query("select id, NAME, industry from account where name = 'Globex'");
    assert_eq!(out.sobject, "Account");
    assert_eq!(out.total_size, 1);
    let want = json!({
        "attributes": {"type": "Account", "url": format!("/services/data/v60.0/sobjects/Account/{}", id("001", 2))},
        "Id": id("001", 2), "Name": "Globex", "Industry": null,
    });
    assert_eq!(out.rows, vec![want]);
}

#[test]
fn keywords_are_case_insensitive_and_whitespace_free_form() {
    let out = query("sElEcT Name\n  FrOm   ACCOUNT\twhere NumberOfEmployees=5");
    assert_eq!(column(&out, "Name"), ["Globex"]);
}

#[test]
fn count_gives_total_size_and_no_rows() {
    let out = query("SELECT COUNT() FROM Account");
    assert_eq!((out.total_size, out.rows.len()), (5, 0));
    assert_eq!(
        query("select count() from Account where Industry = 'tech'").total_size,
        2
    );
    assert_eq!(query("SELECT COUNT() FROM Account LIMIT 3").total_size, 3);
    assert_eq!(
        error("SELECT COUNT() FROM Account ORDER BY Name").error_code,
        "MALFORMED_QUERY"
    );
}

#[test]
fn query_all_includes_deleted_records_and_query_does_not() {
    let org = org();
    let all = run_on(
        &org,
        "SELECT Name FROM Account WHERE Industry = 'Tech'",
        true,
    )
    .unwrap();
    assert_eq!(column(&all, "Name"), ["Acme", "Deleted Inc", "back\\slash"]);
    let live = run_on(
        &org,
        "SELECT Name FROM Account WHERE Industry = 'Tech'",
        false,
    )
    .unwrap();
    assert_eq!(column(&live, "Name"), ["Acme", "back\\slash"]);
    let count = run_on(&org, "SELECT COUNT() FROM Contact", true).unwrap();
    assert_eq!(count.total_size, 5);
}

#[test]
fn duplicate_field_is_refused() {
    let e = error("SELECT Name, Id, name FROM Account");
    assert_eq!(e.error_code, "MALFORMED_QUERY");
    assert!(
        e.message.ends_with("duplicate field selected: name"),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("ERROR at Row:1:Column:18"),
        "{}",
        e.message
    );
}

// === operators ===

#[test]
fn text_equality_and_in_ignore_case() {
    assert_eq!(accounts("Name = 'ACME'"), ["Acme"]);
    assert_eq!(accounts("Industry = 'TECH'"), ["Acme", "back\\slash"]);
    assert_eq!(
        accounts("Name IN ('acme', 'GLOBEX', 'nobody')"),
        ["Acme", "Globex"]
    );
    assert_eq!(last_names("LastName = 'ärger'"), ["Ärger"]);
    // A long list is searched, not scanned: every member must still be found.
    let mut many: Vec<String> = (0..60).map(|n| format!("'name {n}'")).collect();
    many.extend([
        "'GLOBEX'".into(),
        "'zzz'".into(),
        "'aCmE'".into(),
        "'B'".into(),
    ]);
    let list = many.join(", ");
    assert_eq!(accounts(&format!("Name IN ({list})")), ["Acme", "Globex"]);
    assert_eq!(accounts(&format!("Name NOT IN ({list})")).len(), 3);
}

#[test]
fn not_equal_and_not_in_include_nulls() {
    let want = ["Globex", "O'Brien & Co", "100% Pure_Juice"];
    assert_eq!(accounts("Industry != 'Tech'"), want);
    assert_eq!(accounts("Industry <> 'Tech'"), want);
    assert_eq!(accounts("Industry NOT IN ('Tech')"), want);
    assert_eq!(
        accounts("Industry NOT IN ('Tech', null)"),
        ["O'Brien & Co", "100% Pure_Juice"]
    );
    assert_eq!(
        accounts("Industry IN ('Finance', null)"),
        ["Globex", "O'Brien & Co"]
    );
}

#[test]
fn null_tests() {
    assert_eq!(accounts("Industry = null"), ["Globex"]);
    assert_eq!(accounts("Industry != NULL").len(), 4);
    assert_eq!(accounts("NumberOfEmployees = null"), ["O'Brien & Co"]);
    assert_eq!(
        error("SELECT Id FROM Account WHERE Name < null").error_code,
        "MALFORMED_QUERY"
    );
}

#[test]
fn number_comparisons() {
    assert_eq!(accounts("NumberOfEmployees > 20"), ["Acme"]);
    assert_eq!(
        accounts("NumberOfEmployees >= 20"),
        ["Acme", "100% Pure_Juice", "back\\slash"]
    );
    assert_eq!(accounts("NumberOfEmployees < 20"), ["Globex"]);
    assert_eq!(accounts("NumberOfEmployees <= 5"), ["Globex"]);
    assert_eq!(
        accounts("NumberOfEmployees = 20.0"),
        ["100% Pure_Juice", "back\\slash"]
    );
    assert_eq!(accounts("AnnualRevenue > 1500000.25"), ["Acme"]);
    assert_eq!(last_names("Score__c < 0"), ["smith"]);
    assert_eq!(last_names("Score__c = -1"), ["smith"]);
    assert_eq!(last_names("Score__c >= -1.5"), ["Smith", "smith", "Ärger"]);
    assert_eq!(last_names("Score__c IN (0.25, 3.5)"), ["Smith", "Ärger"]);
}

#[test]
fn text_order_comparisons_ignore_case() {
    assert_eq!(accounts("Name > 'globex'"), ["O'Brien & Co"]);
    assert_eq!(accounts("Name < 'B'"), ["Acme", "100% Pure_Juice"]);
    assert_eq!(accounts("Name <= 'ACME'"), ["Acme", "100% Pure_Juice"]);
}

#[test]
fn boolean_literals_any_case() {
    assert_eq!(accounts("Active__c = TRUE"), ["Acme", "O'Brien & Co"]);
    assert_eq!(accounts("Active__c = false").len(), 3);
    assert_eq!(accounts("Active__c != true").len(), 3);
    // Booleans are never null: `= null` is false and `!= null` is true.
    assert_eq!(accounts("Active__c = null").len(), 3);
    assert_eq!(accounts("Active__c != null"), ["Acme", "O'Brien & Co"]);
    assert_eq!(accounts("Active__c IN (null)").len(), 3);
    let e = error("SELECT Id FROM Account WHERE Active__c > true");
    assert_eq!(e.error_code, "MALFORMED_QUERY");
}

#[test]
fn like_wildcards_and_escapes() {
    assert_eq!(accounts("Name LIKE 'ac%'"), ["Acme"]);
    assert_eq!(accounts("Name LIKE '%CO'"), ["O'Brien & Co"]);
    assert_eq!(accounts("Name LIKE '_lobex'"), ["Globex"]);
    assert_eq!(accounts("Name LIKE 'g_bex'"), Vec::<String>::new());
    assert_eq!(accounts("Name LIKE '%'").len(), 5);
    assert_eq!(
        accounts("Name LIKE '100\\% Pure\\_Juice'"),
        ["100% Pure_Juice"]
    );
    assert_eq!(accounts("Name LIKE '%\\_%'"), ["100% Pure_Juice"]);
    assert_eq!(accounts("Name LIKE '%\\%%'"), ["100% Pure_Juice"]);
    // An unescaped `_` is a wildcard: it matches the space in "O'Brien & Co" too.
    assert_eq!(accounts("Name LIKE '%n_&%'"), ["O'Brien & Co"]);
    assert_eq!(accounts("Name LIKE '%a%a%'"), ["back\\slash"]);
    assert_eq!(accounts("Name LIKE '%a%a%a%'"), Vec::<String>::new());
    assert_eq!(accounts("Name LIKE 'b%\\\\%'"), ["back\\slash"]);
    assert_eq!(last_names("LastName LIKE 'är%'"), ["Ärger"]);
    assert_eq!(last_names("FirstName LIKE '%'"), ["Smith", "smith"]);
    let e = error("SELECT Id FROM Account WHERE NumberOfEmployees LIKE '1%'");
    assert_eq!(e.error_code, "MALFORMED_QUERY");
}

#[test]
fn string_escapes_decode_and_injection_stays_one_literal() {
    assert_eq!(accounts("Name = 'O\\'Brien & Co'"), ["O'Brien & Co"]);
    assert_eq!(accounts("Name = 'back\\\\slash'"), ["back\\slash"]);
    assert_eq!(
        accounts("Name = 'x\\' OR Name != \\'y'"),
        Vec::<String>::new()
    );
    assert_eq!(accounts("Name = '\\u0041cme'"), ["Acme"]);
    assert_eq!(accounts("Name != 'a\\n\\t\\r\\b\\f\\\"'").len(), 5);
    // A record whose name is the injection text is the one and only match.
    let mut org = org();
    let name = "x' OR Name != 'y";
    let fields = json!({"Name": name, "Industry": "a\nb\t\"c\"\\"});
    org.records.push((
        0,
        record(id("001", 9), "2024-01-01T00:00:00.000+0000", false, fields),
    ));
    let soql = "SELECT Name FROM Account WHERE Name = 'x\\' OR Name != \\'y'";
    assert_eq!(column(&run_on(&org, soql, false).unwrap(), "Name"), [name]);
    let soql = "SELECT Name FROM Account WHERE Industry = 'A\\nB\\T\\\"C\\\"\\\\'";
    assert_eq!(column(&run_on(&org, soql, false).unwrap(), "Name"), [name]);
}

#[test]
fn illegal_escape_is_refused_with_salesforce_text() {
    let e = error("SELECT Id FROM Contact WHERE FirstName = 'Anne\\-Marie'");
    assert_eq!(e.error_code, "MALFORMED_QUERY");
    assert!(
        e.message.ends_with(
            "Invalid string literal 'Anne\\-Marie'. Illegal character sequence '\\-' in string literal."
        ),
        "{}",
        e.message
    );
    assert!(e.message.contains("Row:1:Column:42"), "{}", e.message);
}

#[test]
fn unterminated_string_is_refused() {
    let e = error("SELECT Id FROM Account WHERE Name = 'abc");
    assert_eq!(e.error_code, "MALFORMED_QUERY");
    assert_eq!(
        e.message,
        "line 1:40 mismatched character '<EOF>' expecting '''"
    );
}

// === logic ===

#[test]
fn and_or_not_with_parentheses() {
    assert_eq!(
        accounts("Name = 'Acme' OR (Industry = 'Finance' AND Active__c = true)"),
        ["Acme", "O'Brien & Co"]
    );
    assert_eq!(
        accounts("(Name = 'Acme' OR Industry = 'Finance') AND Active__c = false"),
        Vec::<String>::new()
    );
    assert_eq!(
        accounts("NOT Name = 'Acme' AND Industry = 'tech'"),
        ["back\\slash"]
    );
    assert_eq!(accounts("NOT (Name = 'Acme' OR Industry = null)").len(), 3);
    assert_eq!(accounts("NOT NOT Name = 'Acme'"), ["Acme"]);
    assert_eq!(accounts("((Name = 'Acme'))"), ["Acme"]);
    assert_eq!(
        accounts("Name = 'Acme' OR Name = 'Globex' OR Name = 'none'").len(),
        2
    );
}

#[test]
fn mixing_and_or_without_parentheses_is_refused() {
    let e = error("SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'");
    assert_eq!(e.error_code, "MALFORMED_QUERY");
    assert!(
        e.message
            .ends_with("ERROR at Row:1:Column:56\nunexpected token: 'OR'"),
        "{}",
        e.message
    );
    let e = error("SELECT Id FROM Account WHERE Name = 'a' OR Name = 'b' AND Name = 'c'");
    assert!(
        e.message.ends_with("unexpected token: 'AND'"),
        "{}",
        e.message
    );
}

// === dates ===

#[test]
fn datetime_literals_in_every_zone_form() {
    assert_eq!(accounts("CreatedDate = 2024-03-13T08:00:00Z"), ["Acme"]);
    assert_eq!(accounts("CreatedDate = 2024-03-13T08:00:00.000Z"), ["Acme"]);
    assert_eq!(
        accounts("CreatedDate = 2024-03-13T09:00:00+01:00"),
        ["Acme"]
    );
    assert_eq!(
        accounts("CreatedDate = 2024-03-13T03:00:00-05:00"),
        ["Acme"]
    );
    assert_eq!(
        accounts("CreatedDate = 2024-03-13T08:00:00.0004Z"),
        ["Acme"]
    );
    assert_eq!(
        accounts("CreatedDate > 2024-03-13T08:00:00Z"),
        ["100% Pure_Juice", "back\\slash"]
    );
    assert_eq!(
        accounts("CreatedDate <= 2024-03-12T23:59:59Z"),
        ["Globex", "O'Brien & Co"]
    );
    assert_eq!(
        super::dates::parse_datetime("2024-01-01T00:30:00.5+01:00").as_deref(),
        Some("2023-12-31T23:30:00.500+0000")
    );
    assert_eq!(super::dates::parse_datetime("2024-02-30T00:00:00Z"), None);
    assert_eq!(
        super::dates::parse_datetime("2024-01-01T00:00:00+1:00"),
        None
    );
}

/// Every form Salesforce writes or accepts, including its own output form
/// `…000+0000` (`+hhmm`, no colon) and fractions of any length.
#[test]
fn datetime_literals_in_salesforce_output_form() {
    for lit in [
        "2024-03-13T08:00:00.000+0000",
        "2024-03-13T08:00:00+0000",
        "2024-03-13T09:30:00.000+0130",
        "2024-03-13T03:00:00-0500",
        "2024-03-13T08:00:00.000000Z",
        "2024-03-13T08:00:00.123456789-00:00",
    ] {
        let want: &[&str] = if lit.contains(".123") { &[] } else { &["Acme"] };
        assert_eq!(accounts(&format!("CreatedDate = {lit}")), want, "{lit}");
    }
    assert_eq!(
        accounts("CreatedDate > 2024-03-13T08:00:00.123456789-00:00"),
        ["100% Pure_Juice", "back\\slash"]
    );
    assert_eq!(
        super::dates::parse_datetime("2020-03-17T21:04:32.000+0000"),
        super::dates::parse_datetime("2020-03-17T21:04:32Z")
    );
}

/// A datetime that stops fitting the grammar is refused by the lexer at the
/// first character that does not fit, as in Salesforce's real answers.
#[test]
fn malformed_datetimes_are_lexer_errors_at_the_character() {
    let cases = [
        // No zone: the captured `…T04:17:54` → `<EOF>`.
        ("CreatedDate < 2016-07-31T04:17:54", 62, "<EOF>"),
        // A `+` a URL decoded as a space.
        (
            "CreatedDate = 2020-03-17T21:04:32.000 0000 AND Name = 'x'",
            66,
            " ",
        ),
        ("CreatedDate = 2020-03-17T21:04:32.000+1:00", 68, ":"),
        ("CreatedDate = 2020-03-17T21:04:32+05:3", 67, "<EOF>"),
        ("CreatedDate = 2020-03-17T21:04Z", 59, "Z"),
        ("CreatedDate = 2020-03-17T21:04:32.Z", 63, "Z"),
        ("CreatedDate = 2020-03-17Tnoon", 54, "n"),
        ("CreatedDate = 2020-03-17T21:04:32 AND Name = 'x'", 62, " "),
    ];
    for (cond, col, ch) in cases {
        let q = format!("SELECT Id FROM Account WHERE {cond}");
        let e = error(&q);
        assert_eq!(e.error_code, "MALFORMED_QUERY", "{q}");
        let want = format!(
            "\n{q}\n{}^\nERROR at Row:1:Column:{col}\nline 1:{col} no viable alternative at character '{ch}'",
            " ".repeat(col - 1)
        );
        assert_eq!(e.message, want, "{q}");
    }
}

#[test]
fn date_field_literals() {
    assert_eq!(accounts("Founded__c = 2001-05-04"), ["Acme"]);
    assert_eq!(accounts("Founded__c > 2001-05-04"), ["O'Brien & Co"]);
    assert_eq!(accounts("Founded__c = null").len(), 3);
    assert_eq!(last_names("Birthdate = TODAY"), ["smith"]);
    assert_eq!(last_names("Birthdate < TODAY"), ["Smith"]);
    assert_eq!(last_names("Birthdate = LAST_N_DAYS:3"), ["smith"]);
    assert_eq!(
        error("SELECT Id FROM Account WHERE Founded__c = 2024-02-30").error_code,
        "MALFORMED_QUERY"
    );
}

#[test]
fn date_literals_are_whole_utc_days() {
    assert_eq!(accounts("CreatedDate = TODAY"), ["Acme", "back\\slash"]);
    assert_eq!(accounts("CreatedDate = yesterday"), ["Globex"]);
    assert_eq!(accounts("CreatedDate = TOMORROW"), ["100% Pure_Juice"]);
    assert_eq!(accounts("CreatedDate > TODAY"), ["100% Pure_Juice"]);
    assert_eq!(
        accounts("CreatedDate >= TODAY"),
        ["Acme", "100% Pure_Juice", "back\\slash"]
    );
    assert_eq!(accounts("CreatedDate < TODAY"), ["Globex", "O'Brien & Co"]);
    assert_eq!(
        accounts("CreatedDate <= TODAY"),
        ["Acme", "Globex", "O'Brien & Co", "back\\slash"]
    );
    assert_eq!(accounts("CreatedDate != TODAY").len(), 3);
    assert_eq!(
        accounts("CreatedDate = LAST_N_DAYS:1"),
        ["Acme", "Globex", "back\\slash"]
    );
    assert_eq!(accounts("CreatedDate = LAST_N_DAYS:12").len(), 4);
    assert_eq!(accounts("CreatedDate = NEXT_N_DAYS:1"), ["100% Pure_Juice"]);
    assert_eq!(accounts("CreatedDate = N_DAYS_AGO:12"), ["O'Brien & Co"]);
    assert_eq!(accounts("CreatedDate = LAST_90_DAYS").len(), 4);
    assert_eq!(accounts("CreatedDate = NEXT_90_DAYS").len(), 1);
    assert_eq!(accounts("CreatedDate = THIS_WEEK").len(), 4);
    assert_eq!(accounts("CreatedDate = LAST_WEEK"), Vec::<String>::new());
    assert_eq!(accounts("CreatedDate = THIS_MONTH").len(), 5);
    assert_eq!(
        last_names("CreatedDate = THIS_WEEK AND CreatedDate < TODAY"),
        ["Jones", "Ärger"]
    );
    assert_eq!(
        error("SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS: 3").error_code,
        "MALFORMED_QUERY"
    );
    assert_eq!(
        error("SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS").error_code,
        "MALFORMED_QUERY"
    );
    assert_eq!(
        error("SELECT Id FROM Account WHERE CreatedDate = LAST_9_DAYS").error_code,
        "MALFORMED_QUERY"
    );
    let e = error("SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:99999999999");
    assert_eq!(e.error_code, "MALFORMED_QUERY");
}

#[test]
fn wrong_literal_types_are_invalid_field() {
    let cases = [
        (
            "CreatedDate > '2024-01-01'",
            "CreatedDate",
            "dateTime and should not",
        ),
        (
            "CreatedDate > 2024-01-01",
            "CreatedDate",
            "dateTime and should not",
        ),
        (
            "Founded__c = 2024-01-01T00:00:00Z",
            "Founded__c",
            "date and should not",
        ),
        (
            "NumberOfEmployees = '5'",
            "NumberOfEmployees",
            "int and should not",
        ),
        (
            "AnnualRevenue = true",
            "AnnualRevenue",
            "double and should not",
        ),
        ("Active__c = 'true'", "Active__c", "boolean and should not"),
        ("Name = 5", "Name", "string and should"),
        ("Name = TODAY", "Name", "string and should"),
    ];
    for (cond, field, kind) in cases {
        let e = error(&format!("SELECT Id FROM Account WHERE {cond}"));
        assert_eq!(e.error_code, "INVALID_FIELD", "{cond}");
        let want = format!(
            "value of filter criterion for field '{field}' must be of type {kind} be enclosed in quotes"
        );
        assert!(e.message.ends_with(&want), "{cond}: {}", e.message);
    }
    let e = error("SELECT Id FROM Account WHERE CreatedDate > '2024-01-01'");
    assert!(
        e.message.contains("ERROR at Row:1:Column:44\n"),
        "{}",
        e.message
    );
}

// === ids ===

#[test]
fn fifteen_char_ids_match_case_sensitively_and_eighteen_without_case() {
    let full = id("001", 1);
    let short = &full[..15];
    assert_eq!(accounts(&format!("Id = '{short}'")), ["Acme"]);
    assert_eq!(
        accounts(&format!("Id = '{}'", short.to_lowercase())),
        Vec::<String>::new()
    );
    assert_eq!(
        accounts(&format!("Id = '{}'", full.to_lowercase())),
        ["Acme"]
    );
    assert_eq!(
        accounts(&format!("Id IN ('{short}', '{}')", id("001", 2))),
        ["Acme", "Globex"]
    );
    assert_eq!(last_names(&format!("AccountId = '{short}'")), ["Smith"]);
    assert_eq!(
        last_names(&format!("AccountId != '{short}'")),
        ["smith", "Jones", "Ärger"]
    );
    let e = error("SELECT Id FROM Account WHERE Id = '001abc'");
    assert_eq!(e.error_code, "MALFORMED_QUERY");
    assert!(
        e.message.ends_with("invalid ID field: 001abc"),
        "{}",
        e.message
    );
    assert_eq!(
        error("SELECT Id FROM Account WHERE Id = 5").error_code,
        "INVALID_FIELD"
    );
}

#[test]
fn trigger_cursor_query_pages_by_created_date_then_id() {
    let t = "2024-03-13T10:00:00Z";
    let soql = format!(
        "SELECT Id, LastName FROM Contact WHERE CreatedDate > {t} OR (CreatedDate = {t} AND Id > '{}') ORDER BY CreatedDate, Id LIMIT 200",
        id("003", 1)
    );
    assert_eq!(column(&query(&soql), "LastName"), ["smith"]);
    let from_start = "SELECT LastName FROM Contact WHERE CreatedDate > 2024-01-01T00:00:00Z ORDER BY CreatedDate, Id";
    assert_eq!(
        column(&query(from_start), "LastName"),
        ["Jones", "Ärger", "Smith", "smith"]
    );
}

// === order, limit, offset ===

#[test]
fn order_by_several_keys_with_null_placement() {
    let names = |order: &str| {
        column(
            &query(&format!("SELECT Name FROM Account ORDER BY {order}")),
            "Name",
        )
    };
    // Text sorts without regard to case; ASC puts nulls first.
    assert_eq!(
        names("Industry, Name"),
        [
            "Globex",
            "O'Brien & Co",
            "100% Pure_Juice",
            "Acme",
            "back\\slash"
        ]
    );
    assert_eq!(
        names("Industry DESC, Name DESC"),
        [
            "back\\slash",
            "Acme",
            "100% Pure_Juice",
            "O'Brien & Co",
            "Globex"
        ]
    );
    assert_eq!(
        names("Industry ASC NULLS LAST, Name"),
        [
            "O'Brien & Co",
            "100% Pure_Juice",
            "Acme",
            "back\\slash",
            "Globex"
        ]
    );
    assert_eq!(
        names("Industry DESC NULLS FIRST, Name"),
        [
            "Globex",
            "Acme",
            "back\\slash",
            "100% Pure_Juice",
            "O'Brien & Co"
        ]
    );
    assert_eq!(
        names("NumberOfEmployees DESC, Name ASC"),
        [
            "Acme",
            "100% Pure_Juice",
            "back\\slash",
            "Globex",
            "O'Brien & Co"
        ]
    );
    assert_eq!(
        names("Active__c, CreatedDate DESC"),
        [
            "100% Pure_Juice",
            "back\\slash",
            "Globex",
            "Acme",
            "O'Brien & Co"
        ]
    );
    assert_eq!(
        names("Founded__c DESC"),
        [
            "O'Brien & Co",
            "Acme",
            "Globex",
            "100% Pure_Juice",
            "back\\slash"
        ]
    );
}

#[test]
fn limit_and_offset_apply_after_sorting() {
    let names = |tail: &str| {
        column(
            &query(&format!("SELECT Name FROM Account ORDER BY Name {tail}")),
            "Name",
        )
    };
    assert_eq!(
        names(""),
        [
            "100% Pure_Juice",
            "Acme",
            "back\\slash",
            "Globex",
            "O'Brien & Co"
        ]
    );
    assert_eq!(names("LIMIT 2"), ["100% Pure_Juice", "Acme"]);
    assert_eq!(names("LIMIT 2 OFFSET 2"), ["back\\slash", "Globex"]);
    assert_eq!(names("OFFSET 4"), ["O'Brien & Co"]);
    assert_eq!(names("LIMIT 0"), Vec::<String>::new());
    assert_eq!(names("OFFSET 9"), Vec::<String>::new());
    let out = query("SELECT Name FROM Account LIMIT 2 OFFSET 1");
    assert_eq!(
        (out.total_size, column(&out, "Name")),
        (2, vec!["Globex".to_owned(), "O'Brien & Co".to_owned()])
    );
    let e = error("SELECT Name FROM Account OFFSET 2001");
    assert_eq!(e.error_code, "NUMBER_OUTSIDE_VALID_RANGE");
    assert!(
        e.message.ends_with("Maximum SOQL offset allowed is 2000"),
        "{}",
        e.message
    );
    assert_eq!(
        error("SELECT Name FROM Account OFFSET 1 LIMIT 1").error_code,
        "MALFORMED_QUERY"
    );
    assert_eq!(
        error("SELECT Name FROM Account LIMIT -1").error_code,
        "MALFORMED_QUERY"
    );
    assert_eq!(
        error("SELECT Name FROM Account LIMIT 1.5").error_code,
        "MALFORMED_QUERY"
    );
    assert_eq!(
        error("SELECT Name FROM Account LIMIT +1").error_code,
        "MALFORMED_QUERY"
    );
}

// === parent fields ===

#[test]
fn parent_fields_nest_under_the_relationship() {
    let out = query(
        "SELECT LastName, Account.Name, account.INDUSTRY FROM Contact ORDER BY LastName DESC",
    );
    let acme = id("001", 1);
    assert_eq!(out.rows[0]["LastName"], "Ärger");
    assert_eq!(
        out.rows[1]["Account"],
        json!({
            "attributes": {"type": "Account", "url": format!("/services/data/v60.0/sobjects/Account/{acme}")},
            "Name": "Acme", "Industry": "Tech",
        })
    );
    assert_eq!(out.rows[2]["Account"]["Industry"], Value::Null);
    assert_eq!(out.rows[3]["LastName"], "Jones");
    assert_eq!(out.rows[3]["Account"], Value::Null);
}

#[test]
fn parent_fields_filter_and_sort() {
    assert_eq!(last_names("Account.Name = 'acme'"), ["Smith"]);
    assert_eq!(
        last_names("Account.Name != 'acme'"),
        ["smith", "Jones", "Ärger"]
    );
    assert_eq!(last_names("Account.Active__c = true"), ["Smith", "Ärger"]);
    let out = query("SELECT LastName FROM Contact ORDER BY Account.Name DESC NULLS LAST");
    assert_eq!(
        column(&out, "LastName"),
        ["Ärger", "smith", "Smith", "Jones"]
    );
    assert_eq!(
        column(
            &query("SELECT contact.lastname FROM Contact WHERE LastName = 'Jones'"),
            "LastName"
        ),
        ["Jones"]
    );
}

#[test]
fn bad_relationships_are_refused() {
    let e = error("SELECT Foo.Name FROM Contact");
    assert_eq!(e.error_code, "INVALID_FIELD");
    assert!(e.message.ends_with("Didn't understand relationship 'Foo' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."), "{}", e.message);
    assert_eq!(
        error("SELECT Owner.Name FROM Contact").error_code,
        "MALFORMED_QUERY"
    );
    assert_eq!(
        error("SELECT Account.Owner.Nope FROM Contact").error_code,
        "INVALID_FIELD"
    );
    assert_eq!(
        error("SELECT Account.Nope FROM Contact").error_code,
        "INVALID_FIELD"
    );
}

// === errors ===

#[test]
fn unknown_field_has_salesforce_text_and_caret() {
    let e = error("select Id, LastName,SF_date__c from Contact");
    assert_eq!(e.error_code, "INVALID_FIELD");
    assert_eq!(
        e.message,
        "\nselect Id, LastName,SF_date__c from Contact\n                    ^\nERROR at Row:1:Column:21\nNo such column 'SF_date__c' on entity 'Contact'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
    );
}

#[test]
fn caret_uses_the_line_of_a_multi_line_query() {
    let e = error("SELECT Id\nFROM Account\nWHERE Nope = 1");
    assert_eq!(e.message.lines().nth(1), Some("WHERE Nope = 1"));
    assert!(
        e.message
            .contains("\n      ^\nERROR at Row:3:Column:7\nNo such column 'Nope'"),
        "{}",
        e.message
    );
}

#[test]
fn caret_columns_count_characters_and_survive_crlf() {
    let e = error("SELECT Id\r\nFROM Nope");
    assert_eq!(e.message.lines().nth(1), Some("FROM Nope"));
    assert!(
        e.message.contains("\n     ^\nERROR at Row:2:Column:6\n"),
        "{}",
        e.message
    );
    let e = error("SELECT Id FROM Contact WHERE LastName = 'Ärger' AND Nope = 1");
    assert!(
        e.message.contains("ERROR at Row:1:Column:53\n"),
        "{}",
        e.message
    );
}

#[test]
fn unknown_object_is_invalid_type() {
    let e = error("SELECT Id FROM Chapter");
    assert_eq!(e.error_code, "INVALID_TYPE");
    assert_eq!(
        e.message,
        "\nSELECT Id FROM Chapter\n               ^\nERROR at Row:1:Column:16\nsObject type 'Chapter' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
    );
}

#[test]
fn empty_query_is_refused() {
    for q in ["", "   ", "\n\t"] {
        let e = error(q);
        assert_eq!(
            (e.error_code, e.message.as_str()),
            ("MALFORMED_QUERY", "SOQL statements cannot be empty or null")
        );
    }
}

#[test]
fn objects_named_like_keywords_can_be_queried() {
    let mut org = org();
    org.objects.push(object(
        "Order",
        "801",
        vec![field("Name", FieldType::String)],
    ));
    let at = org.objects.len() - 1;
    let order = |n| {
        (
            at,
            record(
                id("801", n),
                "2024-01-01T00:00:00.000+0000",
                false,
                json!({"Name": format!("O{n}")}),
            ),
        )
    };
    org.records.extend([order(2), order(1)]);
    let out = run_on(&org, "SELECT Name FROM Order ORDER BY Name LIMIT 5", false).unwrap();
    assert_eq!(column(&out, "Name"), ["O1", "O2"]);
}

#[test]
fn soql_outside_the_subset_is_malformed() {
    let cases = [
        ("SELECT CALENDAR_YEAR(CreatedDate) FROM Account", "("),
        ("SELECT toLabel(Industry) FROM Account", "("),
        (
            "SELECT Industry FROM Account GROUP BY ROLLUP(Industry)",
            "(",
        ),
        ("SELECT Id FROM Account WHERE Id IN (SELECT Id)", ")"),
        ("SELECT Id FROM Account ORDER BY MAX(Name)", "MAX"),
        ("SELECT FIELDS(SOME) FROM Account", "SOME"),
        ("SELECT Id FROM Account HAVING COUNT(Id) > 1", "HAVING"),
        ("SELECT Id FROM Account WHERE COUNT(Id) > 1", "("),
        (
            "SELECT TYPEOF Owner WHEN User THEN Name END FROM Contact",
            "TYPEOF",
        ),
        ("SELECT Id FROM Account FOR UPDATE", "FOR"),
        ("SELECT Id FROM Account WITH SECURITY_ENFORCED", "WITH"),
        ("SELECT Id FROM Account USING SCOPE mine", "USING"),
        ("SELECT Id FROM Account a", "a"),
        ("SELECT FROM Account", "FROM"),
        ("SELECT Id, COUNT() FROM Account", "("),
        ("SELECT Id FROM Account WHERE Name == 'x'", "="),
        ("SELECT Id FROM Account WHERE Name", "<EOF>"),
        ("SELECT Id FROM Account WHERE Name IN ()", ")"),
        ("SELECT Id FROM Account WHERE Name = bare", "bare"),
        ("SELECT Id FROM Account ORDER Name", "Name"),
        ("SELECT Id FROM Account WHERE Name NOT LIKE 'a%'", "NOT"),
        ("SELECT Id FROM", "<EOF>"),
        ("Id FROM Account", "Id"),
    ];
    for (q, token) in cases {
        let e = error(q);
        assert_eq!(e.error_code, "MALFORMED_QUERY", "{q}");
        assert!(
            e.message
                .ends_with(&format!("\nunexpected token: '{token}'")),
            "{q}: {}",
            e.message
        );
    }
}

#[test]
fn characters_no_token_starts_with_are_lexer_errors() {
    let e = error("SELECT Id from $casecomment WHERE isdeleted = false");
    assert_eq!(e.error_code, "MALFORMED_QUERY");
    assert_eq!(e.message, "line 1:15 unexpected token: '$'");
    let e = error("SELECT Id FROM Account;");
    assert_eq!(e.message, "line 1:22 unexpected token: ';'");
    let e = error("SELECT Id FROM Account WHERE Name = :name");
    assert_eq!(
        e.message,
        "\nSELECT Id FROM Account WHERE Name = :name\n                                    ^\nERROR at Row:1:Column:37\nunexpected token: ':'"
    );
}

#[test]
fn impossible_dates_are_invalid_not_unexpected() {
    let e = error("SELECT Id FROM Account WHERE SystemModstamp > 2020-12-12t12:12:00-25:00");
    assert_eq!(e.error_code, "MALFORMED_QUERY");
    assert!(
        e.message
            .ends_with("Column:47\nInvalid datetime: 2020-12-12t12:12:00-25:00"),
        "{}",
        e.message
    );
    let e = error("SELECT Id FROM Account WHERE Founded__c = 2020-02-30");
    assert!(
        e.message.ends_with("\nInvalid date: 2020-02-30"),
        "{}",
        e.message
    );
    // A lowercase `t` and `z` are accepted, as Salesforce does.
    assert_eq!(accounts("CreatedDate = 2024-03-13t08:00:00z"), ["Acme"]);
}

#[test]
fn deep_nesting_is_too_complicated_not_a_crash() {
    let deep = format!(
        "SELECT Id FROM Account WHERE {}Name = 'a'{}",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    assert_eq!(error(&deep).error_code, "QUERY_TOO_COMPLICATED");
    let nots = format!(
        "SELECT Id FROM Account WHERE {}Name = 'a'",
        "NOT ".repeat(5000)
    );
    assert_eq!(error(&nots).error_code, "QUERY_TOO_COMPLICATED");
}

// === garbage ===

#[test]
fn every_truncation_of_a_valid_query_errors_or_answers_without_panicking() {
    let full = "SELECT Id, Name, Account.Name FROM Contact WHERE (Name LIKE 'a\\%b%' OR CreatedDate > 2024-01-01T10:00:00.000+01:00) AND Score__c IN (1, -2.5) AND Birthdate = LAST_N_DAYS:30 ORDER BY Account.Name DESC NULLS LAST, Id LIMIT 10 OFFSET 5";
    let org = org();
    let mut answered = 0;
    for (cut, _) in full.char_indices().chain([(full.len(), ' ')]) {
        if run_on(&org, &full[..cut], false).is_ok() {
            answered += 1;
        }
    }
    // Only cuts at a clause boundary form a whole query; most must be errors.
    assert!(answered < 20, "{answered}");
    // The uncut query uses a field Contact lacks, so it must be refused by name.
    let e = run_on(&org, full, false).unwrap_err();
    assert_eq!(e.error_code, "INVALID_FIELD");
}

#[test]
fn random_bytes_and_token_soup_never_panic() {
    let org = org();
    let alphabet: Vec<&str> = vec![
        "SELECT",
        "FROM",
        "WHERE",
        "Id",
        "Name",
        "Account",
        "Contact",
        ".",
        ",",
        "(",
        ")",
        "=",
        "!=",
        "<>",
        "<",
        ">=",
        "'",
        "\\",
        "'x'",
        "'\\'",
        "LIKE",
        "IN",
        "NOT",
        "AND",
        "OR",
        "null",
        "TRUE",
        "1",
        "-2.5",
        "2024-01-01",
        "2024-01-01T00:00:00Z",
        "TODAY",
        "LAST_N_DAYS",
        ":",
        "5",
        "ORDER",
        "BY",
        "DESC",
        "NULLS",
        "LAST",
        "LIMIT",
        "OFFSET",
        "COUNT()",
        "GROUP",
        "HAVING",
        "COUNT",
        "SUM",
        "MAX",
        "c",
        "INCLUDES",
        "EXCLUDES",
        "Tags__c",
        "FIELDS",
        "STANDARD",
        "ALL",
        "(SELECT",
        "Contacts",
        "AccountId",
        "Account.Parent.Owner.Name",
        "2024-01-01T00:00:00.000+0000",
        "2024-01-01T00",
        "é",
        "\n",
        "%",
        "\u{0}",
    ];
    // A fixed linear congruential generator: reproducible, no extra dependency.
    let mut seed: u64 = 0x5eed;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    for _ in 0..6000 {
        let n = next() % 20;
        let soup: Vec<&str> = (0..n).map(|_| alphabet[next() % alphabet.len()]).collect();
        let _ = run_on(&org, &soup.join(" "), next() % 2 == 0);
        let bytes: Vec<u8> = (0..next() % 40).map(|_| (next() % 256) as u8).collect();
        let text = String::from_utf8_lossy(&bytes);
        let e = run_on(&org, &text, false);
        assert!(e.is_err(), "{text:?}");
    }
}

#[test]
fn deeply_nested_subqueries_are_too_complicated_not_a_stack_overflow() {
    for q in [
        format!("SELECT {}", "(SELECT ".repeat(5000)),
        format!(
            "SELECT Id FROM Account WHERE {}",
            "Id IN (SELECT AccountId FROM Contact WHERE ".repeat(5000)
        ),
    ] {
        assert_eq!(error(&q).error_code, "QUERY_TOO_COMPLICATED");
    }
}

// === id lookups ===

#[test]
fn checksum_matches_known_salesforce_ids() {
    let known = [
        ("001D000000IqhSL", "IAZ"),
        ("003RO0000035WQg", "YAM"),
        ("a00D0000008pQSN", "IA2"),
        ("005D0000001QX8W", "IAW"),
        ("AbCdEfGhIjKlMnO", "VKV"),
        ("aaaaaaaaaaaaaaa", "AAA"),
    ];
    for (id15, suffix) in known {
        assert_eq!(crate::sandbox::ids::to18(id15)[15..], *suffix, "{id15}");
    }
}

/// Counts scans, to show which queries are answered by Id lookups.
pub(super) struct Counting {
    pub(super) org: Org,
    pub(super) scans: std::cell::Cell<usize>,
}

impl DataSource for Counting {
    fn object(&self, name: &str) -> Option<&ObjectDef> {
        self.org.object(name)
    }

    fn scan(&self, sobject: &str, visit: &mut dyn FnMut(&Record)) {
        self.scans.set(self.scans.get() + 1);
        self.org.scan(sobject, visit);
    }

    fn get(&self, id18: &str) -> Option<(&ObjectDef, &Record)> {
        self.org.get(id18)
    }

    fn child_relationships(&self, parent: &str) -> Vec<ChildRelationship> {
        self.org.child_relationships(parent)
    }
}

#[test]
fn id_filters_are_lookups_not_scans_and_keep_every_rule() {
    let data = Counting {
        org: org(),
        scans: std::cell::Cell::new(0),
    };
    let names = |soql: &str, all_rows: bool| {
        let out = execute(soql, &data, all_rows, NOW, "60.0").unwrap();
        column(&out, "Name")
    };
    let acme = id("001", 1);
    let cases: Vec<(String, bool, Vec<&str>)> = vec![
        (format!("Id = '{acme}'"), false, vec!["Acme"]),
        (format!("Id = '{}'", &acme[..15]), false, vec!["Acme"]),
        (
            format!("Id = '{}'", acme.to_lowercase()),
            false,
            vec!["Acme"],
        ),
        (
            format!("Id = '{}'", acme[..15].to_lowercase()),
            false,
            vec![],
        ),
        (
            format!("Id IN ('{acme}', '{acme}', '{}', null)", id("001", 2)),
            false,
            vec!["Acme", "Globex"],
        ),
        (
            format!("Id = '{acme}' AND Industry = 'Finance'"),
            false,
            vec![],
        ),
        (format!("Id = '{}'", id("001", 4)), false, vec![]),
        (
            format!("Id = '{}'", id("001", 4)),
            true,
            vec!["Deleted Inc"],
        ),
        (format!("Id = '{}'", id("003", 1)), false, vec![]),
    ];
    for (cond, all_rows, want) in cases {
        let got = names(
            &format!("SELECT Name FROM Account WHERE {cond} ORDER BY Name"),
            all_rows,
        );
        assert_eq!(got, want, "{cond}");
    }
    assert_eq!(data.scans.get(), 0);
    let either = names(
        &format!("SELECT Name FROM Account WHERE Id = '{acme}' OR Name = 'Globex'"),
        false,
    );
    assert_eq!(either, ["Acme", "Globex"]);
    assert_eq!(data.scans.get(), 1);
}

// === many rows ===

#[test]
fn sorted_windows_agree_with_a_full_sort() {
    let mut org = org();
    let mut seed: u64 = 7;
    for n in 100..400u32 {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        let score = (seed >> 40) % 50;
        let fields = if score.is_multiple_of(7) {
            json!({"LastName": format!("L{n}"), "Score__c": null})
        } else {
            json!({"LastName": format!("L{n}"), "Score__c": score})
        };
        org.records.push((
            1,
            record(id("003", n), "2024-01-01T00:00:00.000+0000", false, fields),
        ));
    }
    let all = run_on(
        &org,
        "SELECT LastName, Score__c FROM Contact ORDER BY Score__c DESC, LastName",
        false,
    )
    .unwrap();
    assert_eq!(all.total_size, 304);
    let scores: Vec<Option<f64>> = all.rows.iter().map(|r| r["Score__c"].as_f64()).collect();
    let first_null = scores.iter().position(Option::is_none).unwrap();
    assert!(
        scores[first_null..].iter().all(Option::is_none),
        "nulls last for DESC"
    );
    assert!(scores[..first_null].windows(2).all(|w| w[0] >= w[1]));
    for (limit, offset) in [(1, 0), (10, 0), (10, 5), (50, 250), (7, 300), (1000, 0)] {
        let soql = format!(
            "SELECT LastName, Score__c FROM Contact ORDER BY Score__c DESC, LastName LIMIT {limit} OFFSET {offset}"
        );
        let page = run_on(&org, &soql, false).unwrap();
        let want: Vec<Value> = all.rows.iter().skip(offset).take(limit).cloned().collect();
        assert_eq!(page.rows, want, "LIMIT {limit} OFFSET {offset}");
    }
}
