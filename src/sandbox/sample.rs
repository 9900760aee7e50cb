//! The sample data loaded into a new sandbox unless switched off.

use serde_json::{Map, Value};

use super::seed::{Seed, SeedRecord};

/// The sample data: a few Accounts, Contacts with phone numbers, and Leads,
/// so the first query a new user types returns rows.
pub fn sample() -> Seed {
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
            json!({"FirstName": "Ada", "LastName": "Lovelace", "Email": "ada@acme.example", "Phone": "+14155550100", "Title": "CTO", "AccountId": "@acme"}),
        ),
        rec(
            "Contact",
            None,
            json!({"FirstName": "Grace", "LastName": "Hopper", "Email": "grace@acme.example", "Phone": "+14155550101", "Title": "VP Engineering", "AccountId": "@acme"}),
        ),
        rec(
            "Contact",
            None,
            json!({"FirstName": "Hank", "LastName": "Scorpio", "Email": "hank@globex.example", "Phone": "+13125550102", "Title": "CEO", "AccountId": "@globex"}),
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
        records,
        ..Seed::default()
    }
}
