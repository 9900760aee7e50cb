//! Rows of the mapping table, each from the error the client returns.

use tonic_types::StatusExt;

use super::*;
use crate::status::DOMAIN_SALESFORCE;

fn api(http: u16, code: &str, message: &str, fields: &[&str]) -> sf::Error {
    sf::Error::Api {
        status: http::StatusCode::from_u16(http).unwrap(),
        errors: vec![sf::ApiError {
            error_code: code.into(),
            message: message.into(),
            fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        }],
    }
}

fn reason(s: &Status) -> (Code, String, String) {
    let info = s
        .get_error_details()
        .error_info()
        .cloned()
        .expect("ErrorInfo");
    (s.code(), info.reason, info.domain)
}

#[test]
fn rows_of_the_table_not_reachable_through_the_sandbox() {
    let ctx = Context::new("acme")
        .sobject("Opportunity")
        .record("006000000000001AAA");
    let s = from_salesforce(
        api(
            400,
            "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            "Amount must be positive",
            &["Amount"],
        ),
        &ctx,
    );
    assert_eq!(
        reason(&s),
        (
            Code::FailedPrecondition,
            "FIELD_CUSTOM_VALIDATION_EXCEPTION".into(),
            DOMAIN_SALESFORCE.into()
        )
    );
    let pf = s
        .get_error_details()
        .precondition_failure()
        .cloned()
        .unwrap();
    assert_eq!(
        (
            pf.violations[0].r#type.as_str(),
            pf.violations[0].subject.as_str()
        ),
        ("VALIDATION_RULE", "Amount")
    );

    let s = from_salesforce(
        api(
            500,
            "UNKNOWN_EXCEPTION",
            "An unexpected error occurred",
            &[],
        ),
        &ctx,
    );
    assert_eq!(s.code(), Code::Unknown);
    let s = from_salesforce(
        api(400, "INSUFFICIENT_ACCESS_OR_READONLY", "no access", &[]),
        &ctx,
    );
    assert_eq!(s.code(), Code::PermissionDenied);
    let s = from_salesforce(
        api(
            405,
            "METHOD_NOT_ALLOWED",
            "HTTP Method 'PUT' not allowed",
            &[],
        ),
        &ctx,
    );
    assert_eq!(s.code(), Code::Internal);
    let s = from_salesforce(
        api(400, "INVALID_QUERY_LOCATOR", "invalid query locator", &[]),
        &ctx,
    );
    assert_eq!(
        s.get_error_details()
            .bad_request()
            .unwrap()
            .field_violations[0]
            .field,
        "page_token"
    );
    let s = from_salesforce(
        api(
            403,
            "REQUEST_LIMIT_EXCEEDED",
            "ConcurrentRequests (Concurrent API Requests) Limit exceeded.",
            &[],
        ),
        &ctx,
    );
    assert_eq!(s.code(), Code::ResourceExhausted);
    assert_eq!(
        s.get_error_details().retry_info().unwrap().retry_delay,
        Some(RETRY_CONCURRENCY)
    );
}

#[test]
fn no_answer_without_a_json_body_is_unknown() {
    for http in 300..600u16 {
        let Ok(status) = http::StatusCode::from_u16(http) else {
            continue;
        };
        for ctx in [
            Context::new("acme").query(),
            Context::new("acme").sobject("Lead").create(),
            Context::new("acme").uri_field("topic_name"),
        ] {
            let error = sf::Error::Status {
                status,
                path: "/services/data/v62.0/query".into(),
            };
            let s = from_salesforce(error, &ctx);
            assert_ne!(s.code(), Code::Unknown, "HTTP {http}");
            let info = s.get_error_details().error_info().cloned().unwrap();
            assert_eq!(info.metadata["httpStatus"], http.to_string());
            if s.code() == Code::InvalidArgument {
                let bad = s.get_error_details().bad_request().cloned().unwrap();
                assert_eq!(bad.field_violations.len(), 1, "HTTP {http}");
            }
        }
    }
    let s = from_salesforce(
        sf::Error::Status {
            status: http::StatusCode::URI_TOO_LONG,
            path: String::new(),
        },
        &Context::new("acme").uri_field("topic_name"),
    );
    let bad = s.get_error_details().bad_request().cloned().unwrap();
    assert_eq!(bad.field_violations[0].field, "topic_name");
}

#[test]
fn duplicates_carry_the_existing_record_id() {
    let ctx = Context::new("acme").sobject("Lead");
    let s = from_salesforce(
        api(
            400,
            "DUPLICATE_VALUE",
            "duplicate value found: Ext__c duplicates value on record with id: 00Q58000003tW4u",
            &[],
        ),
        &ctx,
    );
    assert_eq!(s.code(), Code::AlreadyExists);
    let info = s.get_error_details().error_info().cloned().unwrap();
    assert_eq!(info.metadata["duplicateId"], "00Q58000003tW4u");
    assert_eq!(info.metadata["connection"], "acme");
}

#[test]
fn a_failed_lookup_of_sfgates_own_is_not_the_callers_bad_argument() {
    let ctx = Context::new("acme")
        .sobject("Contact")
        .record("003000000000001AAA");
    let lookup = |sobject, e| sf::Error::Lookup {
        sobject,
        source: Box::new(e),
    };
    let s = from_salesforce(
        lookup(
            "Topic",
            api(
                400,
                "INVALID_TYPE",
                "sObject type 'Topic' is not supported",
                &[],
            ),
        ),
        &ctx,
    );
    assert_eq!(s.code(), Code::FailedPrecondition);
    let d = s.get_error_details();
    assert!(d.bad_request().is_none());
    assert_eq!(
        d.precondition_failure().unwrap().violations[0].subject,
        "Topic"
    );
    assert_eq!(d.error_info().unwrap().metadata["lookupSobject"], "Topic");
    let s = from_salesforce(
        lookup(
            "sobjects",
            api(403, "INSUFFICIENT_ACCESS", "no access", &[]),
        ),
        &ctx,
    );
    assert_eq!(s.code(), Code::PermissionDenied);
    assert!(s.message().contains("global describe"), "{s:?}");
    // Transient failures map as for any call.
    let s = from_salesforce(
        lookup("Topic", api(503, "SERVER_UNAVAILABLE", "down", &[])),
        &ctx,
    );
    assert_eq!(s.code(), Code::Unavailable);
    let s = from_salesforce(lookup("Topic", sf::Error::DeadlineExceeded), &ctx);
    assert_eq!(s.code(), Code::DeadlineExceeded);
}

#[test]
fn salesforce_fields_that_stand_for_a_request_field_are_named_as_it() {
    let ctx = Context::new("acme").renamed(&[("Id", "id"), ("Name", "topic_name")]);
    let s = from_salesforce(api(400, "MALFORMED_ID", "bad id", &["Id"]), &ctx);
    assert_eq!(
        s.get_error_details()
            .bad_request()
            .unwrap()
            .field_violations[0]
            .field,
        "id"
    );
    let s = from_salesforce(
        api(400, "STRING_TOO_LONG", "too long", &["Name", "Other"]),
        &ctx,
    );
    let fields: Vec<_> = s
        .get_error_details()
        .bad_request()
        .unwrap()
        .field_violations
        .iter()
        .map(|v| v.field.clone())
        .collect();
    assert_eq!(fields, ["topic_name", "fields.Other"]);
}

#[test]
fn every_status_has_exactly_one_error_info_and_a_reason_in_the_aip_format() {
    let ctx = Context::new("acme").query();
    for e in [
        api(400, "MALFORMED_QUERY", "unexpected token", &[]),
        api(400, "SOMETHING_NEW", "new", &["A"]),
        api(
            404,
            "NOT_FOUND",
            "The requested resource does not exist",
            &[],
        ),
        api(503, "SERVER_UNAVAILABLE", "down", &[]),
        sf::Error::DeadlineExceeded,
        sf::Error::ConnectionBusy {
            waited: Duration::from_millis(200),
        },
    ] {
        let s = from_salesforce(e, &ctx);
        let info = s
            .get_error_details()
            .error_info()
            .cloned()
            .expect("ErrorInfo");
        assert!(info.reason.len() <= 63);
        assert!(
            info.reason
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_'),
            "{}",
            info.reason
        );
    }
}
