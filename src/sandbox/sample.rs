//! The sample data loaded into a new sandbox unless switched off.

use serde_json::{Map, Value};

use super::seed::{Seed, SeedField, SeedObject, SeedRecord};

/// Two custom fields on Contact, as many orgs have: `Preferred_Channel__c`, a
/// restricted picklist (`Phone`, `Email`, `SMS`), and `Languages__c`, a
/// multi-select picklist (`English`, `Spanish`, `French`, `German`,
/// `Japanese`, `Mandarin`).
fn contact_fields() -> SeedObject {
    let pick =
        |name: &str, label: &str, ftype: &str, values: &[&str], restricted: bool| SeedField {
            name: name.to_owned(),
            ftype: ftype.to_owned(),
            label: Some(label.to_owned()),
            required: false,
            external_id: false,
            reference_to: Vec::new(),
            relationship_name: None,
            length: None,
            digits: None,
            precision: None,
            scale: None,
            values: values.iter().map(|v| (*v).to_owned()).collect(),
            default: None,
            restricted,
        };
    SeedObject {
        name: "Contact".to_owned(),
        label: None,
        label_plural: None,
        fields: vec![
            pick(
                "Preferred_Channel__c",
                "Preferred Channel",
                "picklist",
                &["Phone", "Email", "SMS"],
                true,
            ),
            pick(
                "Languages__c",
                "Languages",
                "multipicklist",
                &[
                    "English", "Spanish", "French", "German", "Japanese", "Mandarin",
                ],
                false,
            ),
        ],
        validation_rules: Vec::new(),
    }
}

/// The sample data: a few Accounts, Contacts with phone numbers, and Leads,
/// so the first query a new user types returns rows; and the custom fields of
/// [`contact_fields`], which some of them use.
pub(super) fn sample() -> Seed {
    let rec = |ty: &str, reference: Option<&str>, fields: Value| SeedRecord {
        sobject: ty.to_owned(),
        reference: reference.map(str::to_owned),
        fields: match fields {
            Value::Object(m) => m,
            _ => Map::new(),
        },
    };
    use serde_json::json;
    let records = vec![
        rec(
            "Account",
            Some("acme"),
            json!({"Name": "Acme Corporation", "Industry": "Manufacturing", "Phone": "+14155550199", "BillingCity": "San Francisco", "BillingCountry": "USA", "NumberOfEmployees": 250}),
        ),
        rec(
            "Account",
            Some("globex"),
            json!({"Name": "Globex", "Industry": "Energy", "Phone": "+13125550142", "BillingCity": "Chicago", "BillingCountry": "USA"}),
        ),
        rec(
            "Account",
            Some("initech"),
            json!({"Name": "Initech", "Industry": "Technology", "Phone": "+15125550123", "BillingCity": "Austin", "BillingCountry": "USA"}),
        ),
        rec(
            "Contact",
            None,
            json!({"FirstName": "Ada", "LastName": "Lovelace", "Email": "ada@acme.example", "Phone": "+14155550100", "Title": "CTO", "AccountId": "@acme", "Preferred_Channel__c": "Email", "Languages__c": "English;French"}),
        ),
        rec(
            "Contact",
            None,
            json!({"FirstName": "Grace", "LastName": "Hopper", "Email": "grace@acme.example", "Phone": "+14155550101", "Title": "VP Engineering", "AccountId": "@acme", "Preferred_Channel__c": "Phone", "Languages__c": "English"}),
        ),
        rec(
            "Contact",
            None,
            json!({"FirstName": "Hank", "LastName": "Scorpio", "Email": "hank@globex.example", "Phone": "+13125550102", "Title": "CEO", "AccountId": "@globex", "Languages__c": "Spanish;English;German"}),
        ),
        rec(
            "Contact",
            None,
            json!({"FirstName": "Peter", "LastName": "Gibbons", "Email": "peter@initech.example", "Phone": "+15125550103", "AccountId": "@initech"}),
        ),
        rec(
            "Lead",
            None,
            json!({"FirstName": "Linus", "LastName": "Torvalds", "Company": "Kernel Labs", "Email": "linus@kernel.example", "Phone": "+15035550104", "LeadSource": "Web"}),
        ),
        rec(
            "Lead",
            None,
            json!({"FirstName": "Margaret", "LastName": "Hamilton", "Company": "Apollo Systems", "Email": "margaret@apollo.example", "Phone": "+16175550105", "LeadSource": "Phone Inquiry"}),
        ),
        rec(
            "Lead",
            None,
            json!({"LastName": "Nakamoto", "Company": "Chain Co", "Status": "Working - Contacted"}),
        ),
    ];
    Seed {
        objects: vec![contact_fields()],
        records,
        ..Seed::default()
    }
}
