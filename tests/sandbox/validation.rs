//! Validation rules from a seed: a save that breaks one is refused with
//! `FIELD_CUSTOM_VALIDATION_EXCEPTION`, as an org with active rules does.

use crate::support::{Org, assert_error, message};
use reqwest::StatusCode;
use serde_json::json;
use sfgate::sandbox::SandboxConfig;

async fn org_with_rules() -> Org {
    let seed = json!({"objects": [
        {"name": "Lead", "validationRules": [
            {"name": "Reachable", "errorCondition": "Email = null AND Phone = null",
             "errorMessage": "A lead needs an email or a phone", "errorDisplayField": "Phone"}]},
        {"name": "Opportunity", "validationRules": [
            {"name": "No_Negative_Amounts", "errorCondition": "Amount < 0",
             "errorMessage": "Amount cannot be negative"}]}
    ]});
    // The sample Leads would break the rule: rules apply to seeded records too.
    Org::with(SandboxConfig {
        seed: Some(serde_json::from_value(seed).unwrap()),
        sample_data: false,
        ..Default::default()
    })
    .await
}

#[tokio::test]
async fn a_create_breaking_a_rule_is_refused_naming_the_display_field() {
    let org = org_with_rules().await;
    let r = org
        .post(
            "/sobjects/Lead/",
            &json!({"LastName": "Nowhere", "Company": "Acme"}),
        )
        .await;
    assert_error(
        &r,
        400,
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        Some(&["Phone"]),
    );
    assert_eq!(message(&r), "A lead needs an email or a phone");
    let count = org
        .get("/query?q=SELECT+COUNT()+FROM+Lead+WHERE+LastName+=+'Nowhere'")
        .await;
    assert_eq!(count.body["totalSize"], 0, "nothing was saved");

    let r = org
        .post(
            "/sobjects/Lead/",
            &json!({"LastName": "Reachable", "Company": "Acme", "Phone": "+14155550100"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[tokio::test]
async fn an_update_is_checked_on_the_record_as_it_would_be_saved() {
    let org = org_with_rules().await;
    let id = org
        .create(
            "Lead",
            json!({"LastName": "Both", "Company": "Acme", "Phone": "1", "Email": "a@b.co"}),
        )
        .await;
    let path = format!("/sobjects/Lead/{id}");
    // Clearing one of the two leaves the record valid.
    let r = org.patch(&path, &json!({"Phone": null})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    // Clearing the other breaks the rule: refused, and the record unchanged.
    let r = org.patch(&path, &json!({"Email": null})).await;
    assert_error(
        &r,
        400,
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        Some(&["Phone"]),
    );
    let r = org.get(&path).await;
    assert_eq!(r.body["Email"], "a@b.co");
}

#[tokio::test]
async fn a_rule_without_a_display_field_reports_no_fields() {
    let org = org_with_rules().await;
    let r = org
        .post(
            "/sobjects/Opportunity/",
            &json!({"Name": "Refund", "StageName": "Prospecting", "CloseDate": "2026-12-01", "Amount": -5}),
        )
        .await;
    assert_error(&r, 400, "FIELD_CUSTOM_VALIDATION_EXCEPTION", Some(&[]));
    assert_eq!(message(&r), "Amount cannot be negative");
}
