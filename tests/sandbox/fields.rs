//! Field metadata in the sandbox org: values stored and refused per field type
//! with Salesforce's error codes and messages, and describe reporting the sizes
//! and values every write is checked against.

use crate::support::{Org, assert_error, message};
use serde_json::{Value, json};
use sfgate::sandbox::{SandboxConfig, Seed};

/// Describe's entry for `field` of `sobject`.
async fn describe(org: &Org, sobject: &str, field: &str) -> Value {
    let r = org.get(&format!("/sobjects/{sobject}/describe")).await;
    r.body["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|f| f["name"] == field)
        .unwrap_or_else(|| panic!("{sobject}.{field} in describe"))
        .clone()
}

#[tokio::test]
async fn a_datetime_into_a_date_field_is_salesforces_json_parser_error() {
    let org = Org::start().await;
    // The case, with Salesforce's exact message.
    let r = org
        .post(
            "/sobjects/Contact/",
            &json!({"LastName": "DateProbe", "Birthdate": "2020-04-30T13:19:18.000000+02:00"}),
        )
        .await;
    assert_error(&r, 400, "JSON_PARSER_ERROR", None);
    assert_eq!(
        message(&r),
        "Cannot deserialize instance of date from VALUE_STRING value 2020-04-30T13:19:18.000000+02:00 or request may be missing a required field"
    );
    // Every other form that is not yyyy-MM-dd, on create and on update.
    let id = org
        .create(
            "Contact",
            json!({"LastName": "DateProbe", "Birthdate": "2020-04-30"}),
        )
        .await;
    for bad in [
        json!("2020-04-30T00:00:00Z"),
        json!("2020-04-30T13:19:18.000+0000"),
        json!("2020-04-30+02:00"),
        json!("2020-02-30"),
        json!("+2020-04-30"),
        json!("30/04/2020"),
        json!(20200430),
    ] {
        let r = org
            .patch(
                &format!("/sobjects/Contact/{id}"),
                &json!({ "Birthdate": bad }),
            )
            .await;
        assert_error(&r, 400, "JSON_PARSER_ERROR", None);
        let r = org
            .post(
                "/sobjects/Opportunity/",
                &json!({"Name": "D", "StageName": "Prospecting", "CloseDate": bad}),
            )
            .await;
        assert_error(&r, 400, "JSON_PARSER_ERROR", None);
    }
    let r = org.get(&format!("/sobjects/Contact/{id}")).await;
    assert_eq!(r.body["Birthdate"], "2020-04-30");
}

#[tokio::test]
async fn an_empty_text_value_is_stored_as_null() {
    let org = Org::start().await;
    let id = org
        .create(
            "Contact",
            json!({"LastName": "Blank", "Department": "Sales", "Email": "", "Phone": "", "LeadSource": ""}),
        )
        .await;
    let r = org
        .patch(
            &format!("/sobjects/Contact/{id}"),
            &json!({"Department": "", "Title": ""}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = org.get(&format!("/sobjects/Contact/{id}")).await;
    for f in ["Department", "Title", "Email", "Phone", "LeadSource"] {
        assert_eq!(r.body[f], Value::Null, "{f}: {}", r.text);
    }
    let r = org
        .get(&format!(
            "/query?q=SELECT+Id+FROM+Contact+WHERE+Department+=+null+AND+Id+=+'{id}'"
        ))
        .await;
    assert_eq!(r.body["totalSize"], 1, "{}", r.text);
    // An empty value for a required text field is a missing one.
    let r = org
        .patch(&format!("/sobjects/Contact/{id}"), &json!({"LastName": ""}))
        .await;
    assert_error(&r, 400, "REQUIRED_FIELD_MISSING", Some(&["LastName"]));
}

#[tokio::test]
async fn text_longer_than_its_field_is_string_too_long() {
    let org = Org::start().await;
    let company = "C".repeat(300);
    let r = org
        .post(
            "/sobjects/Lead/",
            &json!({"LastName": "Long", "Company": company}),
        )
        .await;
    assert_error(&r, 400, "STRING_TOO_LONG", Some(&["Company"]));
    assert_eq!(
        message(&r),
        format!("Company: data value too large: {company} (max length=255)")
    );
    // At the limit it is stored; characters count, not bytes.
    org.create(
        "Lead",
        json!({"LastName": "Long", "Company": "é".repeat(255)}),
    )
    .await;
    let id = org.create("Contact", json!({"LastName": "Long"})).await;
    for (field, len) in [
        ("FirstName", 40),
        ("LastName", 80),
        ("Title", 128),
        ("Department", 80),
        ("Email", 80),
        ("Phone", 40),
        ("MailingCity", 40),
        ("Description", 32_000),
        ("LeadSource", 255),
    ] {
        let too_long = if field == "Email" {
            format!("{}@example.com", "a".repeat(len))
        } else {
            "9".repeat(len + 1)
        };
        let r = org
            .patch(
                &format!("/sobjects/Contact/{id}"),
                &json!({ field: too_long }),
            )
            .await;
        assert_error(&r, 400, "STRING_TOO_LONG", Some(&[field]));
        assert!(
            message(&r).ends_with(&format!("(max length={len})")),
            "{field}: {}",
            message(&r)
        );
    }
    // A 900 KB Description (a Long Text Area of 32,000).
    let r = org
        .patch(
            &format!("/sobjects/Contact/{id}"),
            &json!({"Description": "x".repeat(900 * 1024)}),
        )
        .await;
    assert_error(&r, 400, "STRING_TOO_LONG", Some(&["Description"]));
    // Topic names hold 99 characters.
    let r = org
        .post("/sobjects/Topic/", &json!({"Name": "t".repeat(100)}))
        .await;
    assert_error(&r, 400, "STRING_TOO_LONG", Some(&["Name"]));
}

#[tokio::test]
async fn emails_picklists_and_numbers_are_checked_as_salesforce_checks_them() {
    let org = Org::start().await;
    for bad in [
        "not-an-email",
        "a b@example.com",
        "a@b@example.com",
        "a@example",
        "a@.com",
    ] {
        let r = org
            .post(
                "/sobjects/Contact/",
                &json!({"LastName": "E", "Email": bad}),
            )
            .await;
        assert_error(&r, 400, "INVALID_EMAIL_ADDRESS", Some(&["Email"]));
        assert_eq!(message(&r), format!("Email: invalid email address: {bad}"));
    }
    // A restricted picklist refuses other values; unrestricted ones keep them.
    let r = org
        .post(
            "/sobjects/Contact/",
            &json!({"LastName": "P", "Preferred_Channel__c": "Fax"}),
        )
        .await;
    assert_error(
        &r,
        400,
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        Some(&["Preferred_Channel__c"]),
    );
    assert_eq!(
        message(&r),
        "Preferred Channel: bad value for restricted picklist field: Fax"
    );
    let id = org
        .create(
            "Contact",
            json!({"LastName": "P", "Preferred_Channel__c": "SMS", "LeadSource": "Podcast",
                   "Languages__c": "Japanese;English;;English; Spanish"}),
        )
        .await;
    let r = org.get(&format!("/sobjects/Contact/{id}")).await;
    assert_eq!(r.body["Preferred_Channel__c"], "SMS");
    assert_eq!(r.body["LeadSource"], "Podcast");
    // A multi-select picklist keeps each value once, in the picklist's order.
    assert_eq!(r.body["Languages__c"], "English;Spanish;Japanese");

    // Numbers: rounded to the field's scale, refused beyond its precision.
    let opp = |extra: Value| {
        let mut body = json!({"Name": "N", "StageName": "Prospecting", "CloseDate": "2026-12-31"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let id = org
        .create(
            "Opportunity",
            opp(json!({"Amount": 12.345, "Probability": "35.5"})),
        )
        .await;
    let r = org.get(&format!("/sobjects/Opportunity/{id}")).await;
    assert_eq!(r.body["Amount"].to_string(), "12.35");
    assert_eq!(r.body["Probability"].to_string(), "36");
    for (field, value) in [
        ("Amount", json!("12345678901234567")),
        ("Amount", json!(1e17)),
        ("Probability", json!(1000)),
    ] {
        let r = org
            .post("/sobjects/Opportunity/", &opp(json!({ field: value })))
            .await;
        assert_error(&r, 400, "NUMBER_OUTSIDE_VALID_RANGE", Some(&[field]));
        assert!(
            message(&r).contains("value outside of valid range on numeric field"),
            "{}",
            message(&r)
        );
    }
    let r = org
        .post(
            "/sobjects/Account/",
            &json!({"Name": "Big", "NumberOfEmployees": 123_456_789}),
        )
        .await;
    assert_error(
        &r,
        400,
        "NUMBER_OUTSIDE_VALID_RANGE",
        Some(&["NumberOfEmployees"]),
    );
    assert_eq!(
        message(&r),
        "Employees: value outside of valid range on numeric field: 123456789"
    );
    let r = org
        .post(
            "/sobjects/Account/",
            &json!({"Name": "Half", "NumberOfEmployees": 2.5}),
        )
        .await;
    assert_error(&r, 400, "JSON_PARSER_ERROR", None);
}

#[tokio::test]
async fn describe_reports_the_metadata_writes_are_checked_against() {
    let org = Org::start().await;
    let f = describe(&org, "Lead", "Company").await;
    assert_eq!(
        (&f["type"], &f["length"], &f["nillable"], &f["createable"]),
        (&json!("string"), &json!(255), &json!(false), &json!(true))
    );
    let f = describe(&org, "Opportunity", "Amount").await;
    assert_eq!(
        (&f["type"], &f["precision"], &f["scale"], &f["length"]),
        (&json!("currency"), &json!(18), &json!(2), &json!(0))
    );
    let f = describe(&org, "Opportunity", "Probability").await;
    assert_eq!(
        (&f["type"], &f["precision"], &f["scale"]),
        (&json!("percent"), &json!(3), &json!(0))
    );
    let f = describe(&org, "Account", "NumberOfEmployees").await;
    assert_eq!((&f["type"], &f["digits"]), (&json!("int"), &json!(8)));
    let f = describe(&org, "Contact", "Description").await;
    assert_eq!(
        (&f["type"], &f["length"]),
        (&json!("textarea"), &json!(32000))
    );
    let f = describe(&org, "Lead", "Status").await;
    assert_eq!(f["type"], "picklist");
    assert_eq!(f["restrictedPicklist"], false);
    assert_eq!(f["defaultedOnCreate"], true);
    assert_eq!(f["defaultValue"], "Open - Not Contacted");
    let values: Vec<&Value> = f["picklistValues"].as_array().unwrap().iter().collect();
    assert_eq!(values[0]["value"], "Open - Not Contacted");
    assert_eq!(values[0]["defaultValue"], true);
    assert_eq!(values[0]["active"], true);
    assert_eq!(values.len(), 4);
    let f = describe(&org, "Contact", "Preferred_Channel__c").await;
    assert_eq!(
        (&f["restrictedPicklist"], &f["custom"]),
        (&json!(true), &json!(true))
    );
    let f = describe(&org, "Contact", "Languages__c").await;
    assert_eq!(
        (&f["type"], &f["length"]),
        (&json!("multipicklist"), &json!(4099))
    );
    let f = describe(&org, "Contact", "AccountId").await;
    assert_eq!(
        (
            &f["type"],
            &f["referenceTo"],
            &f["relationshipName"],
            &f["label"]
        ),
        (
            &json!("reference"),
            &json!(["Account"]),
            &json!("Account"),
            &json!("Account ID")
        )
    );
    let f = describe(&org, "Contact", "CreatedDate").await;
    assert_eq!(
        (&f["createable"], &f["updateable"], &f["defaultedOnCreate"]),
        (&json!(false), &json!(false), &json!(true))
    );
    let f = describe(&org, "Topic", "Name").await;
    assert_eq!(f["length"], 99);
}

#[tokio::test]
async fn seeded_custom_fields_declare_and_enforce_the_same_attributes() {
    let seed: Seed = serde_json::from_value(json!({"objects": [{"name": "Ticket__c", "fields": [
        {"name": "Code__c", "type": "string", "length": 10},
        {"name": "Notes__c", "type": "textarea", "length": 131072},
        {"name": "Score__c", "type": "double", "precision": 5, "scale": 1},
        {"name": "Fee__c", "type": "currency"},
        {"name": "Seats__c", "type": "int", "digits": 3},
        {"name": "Tier__c", "type": "picklist", "values": ["Gold", "Silver"], "default": "Silver", "restricted": true},
        {"name": "Tags__c", "type": "multipicklist", "values": ["a", "b", "c"], "restricted": true}
    ]}]}))
    .expect("seed");
    let org = Org::with(SandboxConfig {
        seed: Some(seed),
        ..SandboxConfig::default()
    })
    .await;
    let f = describe(&org, "Ticket__c", "Code__c").await;
    assert_eq!(f["length"], 10);
    let f = describe(&org, "Ticket__c", "Score__c").await;
    assert_eq!((&f["precision"], &f["scale"]), (&json!(5), &json!(1)));
    let f = describe(&org, "Ticket__c", "Fee__c").await;
    assert_eq!((&f["precision"], &f["scale"]), (&json!(18), &json!(2)));
    let f = describe(&org, "Ticket__c", "Tier__c").await;
    assert_eq!(f["restrictedPicklist"], true);
    assert_eq!(f["defaultValue"], "Silver");

    let id = org
        .create(
            "Ticket__c",
            json!({"Code__c": "0123456789", "Score__c": 1234.44}),
        )
        .await;
    let r = org.get(&format!("/sobjects/Ticket__c/{id}")).await;
    assert_eq!(r.body["Tier__c"], "Silver", "the picklist's default");
    assert_eq!(r.body["Score__c"].to_string(), "1234.4");
    for (body, code, field) in [
        (
            json!({"Code__c": "01234567890"}),
            "STRING_TOO_LONG",
            "Code__c",
        ),
        (
            json!({"Score__c": 12345}),
            "NUMBER_OUTSIDE_VALID_RANGE",
            "Score__c",
        ),
        (
            json!({"Seats__c": 1000}),
            "NUMBER_OUTSIDE_VALID_RANGE",
            "Seats__c",
        ),
        (
            json!({"Tier__c": "Bronze"}),
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            "Tier__c",
        ),
        (
            json!({"Tags__c": "a;d"}),
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            "Tags__c",
        ),
    ] {
        let r = org.post("/sobjects/Ticket__c/", &body).await;
        assert_error(&r, 400, code, Some(&[field]));
    }
    // A seed declaring sizes that do not apply is refused at start.
    for bad in [
        json!({"name": "X__c", "type": "string", "precision": 3}),
        json!({"name": "X__c", "type": "double", "length": 3}),
        json!({"name": "X__c", "type": "currency", "precision": 19}),
        json!({"name": "X__c", "type": "string", "values": ["a"]}),
        json!({"name": "X__c", "type": "picklist", "values": ["a"], "default": "b"}),
    ] {
        let seed: Seed =
            serde_json::from_value(json!({"objects": [{"name": "Account", "fields": [bad]}]}))
                .expect("seed parses");
        let built = sfgate::sandbox::Sandbox::new(SandboxConfig {
            seed: Some(seed),
            ..SandboxConfig::default()
        });
        assert!(built.is_err(), "{bad} should be refused");
    }
}
