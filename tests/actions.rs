//! The six actions end to end: gRPC client → sfgate → sandbox org over HTTP.

mod common;

use common::{authed, create, fields, query, str_field, value};
use serde_json::json;
use sfgate::pb::*;

#[tokio::test]
async fn caller_lookup_by_phone_binds_the_value_and_finds_the_contact() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    let id = create(
        &mut client,
        "Contact",
        json!({"FirstName": "Ada", "LastName": "O'Hara", "Phone": "+1 (415) 555-0199"}),
    )
    .await;
    assert_eq!(id.len(), 18);
    assert!(id.starts_with("003"), "{id}");

    let found = query(
        &mut client,
        "SELECT Id, Name, LastName FROM Contact WHERE Phone = :phone",
        json!({"phone": "+1 (415) 555-0199"}),
    )
    .await;
    assert_eq!(found.total_size, 1);
    assert!(found.done);
    assert!(found.next_page_token.is_empty());
    let record = &found.records[0];
    assert_eq!(str_field(record, "Id"), Some(id.as_str()));
    assert_eq!(str_field(record, "LastName"), Some("O'Hara"));

    // A name with a quote binds as one literal.
    let by_name = query(
        &mut client,
        "SELECT Id FROM Contact WHERE LastName = :name",
        json!({"name": "O'Hara"}),
    )
    .await;
    assert_eq!(by_name.total_size, 1);
}

#[tokio::test]
async fn injection_through_params_cannot_widen_a_query() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    create(&mut client, "Contact", json!({"LastName": "Target"})).await;
    for attack in [
        "x' OR Name != 'y",
        "x\\' OR Name != \\'y",
        "' OR LastName != null OR LastName = '",
        "x%' OR LastName LIKE '%",
    ] {
        let r = query(
            &mut client,
            "SELECT Id FROM Contact WHERE LastName = :name",
            json!({ "name": attack }),
        )
        .await;
        assert_eq!(r.total_size, 0, "{attack:?} must match nothing");
    }
}

#[tokio::test]
async fn create_update_delete_round_trip_with_inferred_sobject() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    let id = create(
        &mut client,
        "Lead",
        json!({"LastName": "Doe", "Company": "Acme", "NumberOfEmployees": 42}),
    )
    .await;

    // The sObject is inferred from the key prefix; a 15-character Id is accepted.
    let updated = client
        .update_object(authed(UpdateObjectRequest {
            id: id[..15].to_owned(),
            fields: Some(fields(
                json!({"Company": "Acme Corp", "NumberOfEmployees": 43}),
            )),
            ..Default::default()
        }))
        .await
        .expect("update succeeds")
        .into_inner();
    assert_eq!(updated.id, id);
    assert_eq!(updated.sobject, "Lead");

    let r = query(
        &mut client,
        "SELECT Company, NumberOfEmployees FROM Lead WHERE Id = :id",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(str_field(&r.records[0], "Company"), Some("Acme Corp"));
    let employees = &r.records[0].fields["NumberOfEmployees"];
    assert_eq!(
        employees.kind,
        Some(prost_types::value::Kind::NumberValue(43.0))
    );

    let deleted = client
        .delete_object(authed(DeleteObjectRequest {
            sobject: "Lead".into(),
            id: id.clone(),
            ..Default::default()
        }))
        .await
        .expect("delete succeeds")
        .into_inner();
    assert_eq!(
        (deleted.id.as_str(), deleted.sobject.as_str()),
        (id.as_str(), "Lead")
    );

    let gone = query(
        &mut client,
        "SELECT Id FROM Lead WHERE Id = :id",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(gone.total_size, 0);
    let with_deleted = client
        .execute_soql_query(authed(ExecuteSoqlQueryRequest {
            query: format!("SELECT Id, IsDeleted FROM Lead WHERE Id = '{id}'"),
            include_deleted: true,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(with_deleted.total_size, 1);
    assert_eq!(
        with_deleted.records[0].fields["IsDeleted"].kind,
        Some(prost_types::value::Kind::BoolValue(true))
    );
}

#[tokio::test]
async fn adding_a_topic_twice_returns_the_same_assignment() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    let id = create(&mut client, "Contact", json!({"LastName": "Tagged"})).await;
    let add = |name: &str| AddTopicToObjectRequest {
        object_id: id.clone(),
        topic_name: name.into(),
        ..Default::default()
    };
    let first = client
        .add_topic_to_object(authed(add("Callback requested")))
        .await
        .expect("first assignment")
        .into_inner();
    assert!(first.created);
    assert!(first.topic_id.starts_with("0TO"), "{}", first.topic_id);
    assert_eq!(first.topic_assignment_id.len(), 18);

    // Same topic, different case: the existing topic and assignment come back.
    let second = client
        .add_topic_to_object(authed(add("callback requested")))
        .await
        .expect("second assignment")
        .into_inner();
    assert!(!second.created);
    assert_eq!(second.topic_id, first.topic_id);
    assert_eq!(second.topic_assignment_id, first.topic_assignment_id);

    let assignments = query(
        &mut client,
        "SELECT Id FROM TopicAssignment WHERE EntityId = :id",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(assignments.total_size, 1);
}

#[tokio::test]
async fn access_token_comes_from_the_cache() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    let first = client
        .get_access_token(authed(GetAccessTokenRequest::default()))
        .await
        .expect("token")
        .into_inner();
    assert_eq!(first.token_type, "Bearer");
    assert!(first.access_token.contains('!'), "org-prefixed session id");
    assert_eq!(first.instance_url, format!("http://{}", gw.sandbox_addr));
    let issued = first.issued_at.expect("issued_at");
    assert!(issued.seconds > 1_700_000_000);
    let expires = first
        .expire_time
        .expect("expire_time: the default 2 h lifetime");
    assert_eq!(expires.seconds - issued.seconds, 7200);

    let requests = gw.sandbox.auth().token_requests();
    let again = client
        .get_access_token(authed(GetAccessTokenRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.access_token, first.access_token);
    assert_eq!(
        gw.sandbox.auth().token_requests(),
        requests,
        "no upstream token call"
    );
}

#[tokio::test]
async fn paging_and_max_records_return_every_record_exactly_once() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    for i in 0..450 {
        create(
            &mut client,
            "Lead",
            json!({"LastName": format!("Page{i:03}"), "Company": "Paging Inc"}),
        )
        .await;
    }
    let request = |page_token: String, max_records: i32| ExecuteSoqlQueryRequest {
        query: "SELECT Id, LastName FROM Lead WHERE Company = :c ORDER BY LastName".into(),
        params: [("c".to_owned(), value(json!("Paging Inc")))].into(),
        page_size: 200,
        page_token,
        max_records,
        ..Default::default()
    };
    let names = |r: &ExecuteSoqlQueryResponse| -> Vec<String> {
        r.records
            .iter()
            .map(|r| str_field(r, "LastName").unwrap().to_owned())
            .collect()
    };

    // Plain paging: Salesforce-sized pages of 200.
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let r = client
            .execute_soql_query(authed(request(token, 0)))
            .await
            .expect("page")
            .into_inner();
        assert_eq!(r.total_size, 450);
        seen.extend(names(&r));
        pages += 1;
        if r.done {
            break;
        }
        token = r.next_page_token;
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..450).map(|i| format!("Page{i:03}")).collect();
    assert_eq!(seen, expected);

    // max_records 300 follows pages and cuts the second one short; the token
    // resumes right after the last record returned.
    let first = client
        .execute_soql_query(authed(request(String::new(), 300)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.records.len(), 300);
    assert!(!first.done);
    let rest = client
        .execute_soql_query(authed(request(first.next_page_token.clone(), 1000)))
        .await
        .unwrap()
        .into_inner();
    assert!(rest.done);
    let mut all = names(&first);
    all.extend(names(&rest));
    assert_eq!(all, expected);
}

#[tokio::test]
async fn count_query_reports_the_total() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    for i in 0..3 {
        create(
            &mut client,
            "Lead",
            json!({"LastName": format!("C{i}"), "Company": "Counted"}),
        )
        .await;
    }
    let r = query(
        &mut client,
        "SELECT COUNT() FROM Lead WHERE Company = :c",
        json!({"c": "Counted"}),
    )
    .await;
    assert_eq!(r.total_size, 3);
    assert!(r.records.is_empty());
}
