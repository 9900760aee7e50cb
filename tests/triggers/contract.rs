//! The contract of `Subscribe`: new records in order, start points, resume,
//! heartbeats, bad input and shutdown.

use std::collections::HashSet;
use std::time::Duration;

use sfgate::pb::*;
use tonic::Code;
use tonic_types::StatusExt;

use crate::common::{self, authed, str_field};
use crate::support::*;

#[tokio::test]
async fn a_subscriber_hears_new_contacts_created_after_it_subscribed() {
    let gw = start(fast()).await;
    let mut sf = gw.client().await;
    let mut client = triggers(&gw).await;
    // Created before the subscription, in the same second or earlier: never delivered.
    let before = create(&mut sf, "Before").await;
    let trigger = subscribe_request::Trigger::NewContact(NewContactTrigger { fields: vec![] });
    let mut stream = subscribe(&mut client, request(trigger, None)).await;
    let mut created = Vec::new();
    for n in ["Ada", "Grace", "Edsger"] {
        created.push(create(&mut sf, n).await);
    }
    let got = events(&mut stream, 3).await;
    assert_eq!(ids(&got), created, "exactly the new ones, in order");
    assert!(!created.contains(&before));
    for (e, name) in got.iter().zip(["Ada", "Grace", "Edsger"]) {
        assert_eq!(e.trigger(), TriggerType::NewContact);
        assert_eq!(e.sobject, "Contact");
        let record = e.record.as_ref().expect("record");
        assert_eq!(str_field(record, "LastName"), Some(name));
        assert_eq!(str_field(record, "Email"), Some("x@example.com"));
        assert_eq!(str_field(record, "Id"), Some(e.record_id.as_str()));
        assert!(record.fields.contains_key("Phone"), "default fields");
        assert!(!record.fields.contains_key("attributes"));
        assert!(e.created_date.as_ref().is_some_and(|t| t.seconds > 0));
    }
    let cursors: HashSet<_> = got.iter().map(|e| e.cursor.clone()).collect();
    assert_eq!(cursors.len(), 3, "each event has its own cursor");
    // Cursors increase: resuming after the first gives the other two.
    let trigger = subscribe_request::Trigger::NewContact(NewContactTrigger { fields: vec![] });
    let mut again = subscribe(&mut client, request(trigger, resume(&got[0].cursor))).await;
    assert_eq!(ids(&events(&mut again, 2).await), created[1..]);
}

#[tokio::test]
async fn since_replays_from_a_time() {
    let gw = start(fast()).await;
    let mut sf = gw.client().await;
    let mut client = triggers(&gw).await;
    let t = tag("Since");
    let start = time::OffsetDateTime::now_utc().unix_timestamp();
    let first = create(&mut sf, &t).await;
    let since = Some(subscribe_request::Start::Since(prost_types::Timestamp {
        seconds: start,
        nanos: 0,
    }));
    let mut stream = subscribe(&mut client, request(tagged(&t), since)).await;
    let second = create(&mut sf, &t).await;
    assert_eq!(ids(&events(&mut stream, 2).await), [first, second]);
}

#[tokio::test]
async fn resuming_from_the_last_cursor_gives_exactly_the_missed_records() {
    let gw = start(fast()).await;
    let mut sf = gw.client().await;
    let mut client = triggers(&gw).await;
    let t = tag("Resume");
    let mut stream = subscribe(&mut client, request(tagged(&t), None)).await;
    let mut first = Vec::new();
    for _ in 0..3 {
        first.push(create(&mut sf, &t).await);
    }
    let got = events(&mut stream, 3).await;
    assert_eq!(ids(&got), first);
    drop(stream);

    let mut missed = Vec::new();
    for _ in 0..4 {
        missed.push(create(&mut sf, &t).await);
    }
    let last = got.last().expect("three events").cursor.clone();
    let mut stream = subscribe(&mut client, request(tagged(&t), resume(&last))).await;
    assert_eq!(ids(&events(&mut stream, 4).await), missed);
    // Nothing repeated after them: the next event is the next record.
    let sentinel = create(&mut sf, &t).await;
    assert_eq!(
        next_event(&mut stream, Duration::from_secs(20))
            .await
            .record_id,
        sentinel
    );
}

#[tokio::test]
async fn an_idle_stream_gets_heartbeats_whose_cursor_resumes() {
    let gw = start(fast()).await;
    let mut sf = gw.client().await;
    let mut client = triggers(&gw).await;
    let t = tag("Idle");
    let mut stream = subscribe(&mut client, request(tagged(&t), None)).await;
    let first = next_heartbeat(&mut stream).await;
    assert!(!first.cursor.is_empty());
    let id = create(&mut sf, &t).await;
    assert_eq!(
        next_event(&mut stream, Duration::from_secs(20))
            .await
            .record_id,
        id
    );
    // Once the feed has settled past the record, heartbeats carry a later cursor.
    let mut hb = next_heartbeat(&mut stream).await;
    let created = std::time::SystemTime::now();
    while hb.checked_until.as_ref().map_or(0, |t| t.seconds)
        <= created
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
            - 3
    {
        hb = next_heartbeat(&mut stream).await;
    }
    drop(stream);
    let later = create(&mut sf, &t).await;
    let mut resumed = subscribe(&mut client, request(tagged(&t), resume(&hb.cursor))).await;
    assert_eq!(
        next_event(&mut resumed, Duration::from_secs(20))
            .await
            .record_id,
        later
    );
}

/// A New Object trigger's `fields` take parent paths; each event's record
/// nests the parents (without Salesforce's `attributes`), or holds null when
/// the lookup is empty.
#[tokio::test]
async fn parent_paths_in_fields_arrive_as_nested_objects() {
    use prost_types::value::Kind;
    let gw = start(fast()).await;
    let mut sf = gw.client().await;
    let mut client = triggers(&gw).await;
    let acme = sf
        .execute_soql_query(authed(ExecuteSoqlQueryRequest {
            query: "SELECT Id FROM Account WHERE Name = 'Acme Corporation'".into(),
            ..Default::default()
        }))
        .await
        .expect("query succeeds")
        .into_inner();
    let acme = str_field(&acme.records[0], "Id").expect("Id").to_owned();
    let tag = tag("Nested");
    let trigger = subscribe_request::Trigger::NewObject(NewObjectTrigger {
        sobject: "Contact".into(),
        r#where: "LastName = :tag".into(),
        params: [("tag".to_owned(), common::value(serde_json::json!(tag)))].into(),
        fields: vec![
            "LastName".into(),
            "Account.Name".into(),
            "Account.Owner.Name".into(),
            "Account.Owner.CreatedBy.Email".into(),
        ],
    });
    let mut stream = subscribe(&mut client, request(trigger, None)).await;
    for account in [Some(acme.as_str()), None] {
        let mut f = serde_json::json!({"LastName": tag});
        if let Some(a) = account {
            f["AccountId"] = serde_json::json!(a);
        }
        sf.create_object(authed(CreateObjectRequest {
            sobject: "Contact".into(),
            fields: Some(common::fields(f)),
            ..Default::default()
        }))
        .await
        .expect("create succeeds");
    }
    let got = events(&mut stream, 2).await;
    let record = got[0].record.as_ref().expect("record");
    let Some(Kind::StructValue(account)) =
        record.fields.get("Account").and_then(|v| v.kind.clone())
    else {
        panic!("Account is an object: {record:?}")
    };
    assert_eq!(str_field(&account, "Name"), Some("Acme Corporation"));
    assert!(!account.fields.contains_key("attributes"), "{account:?}");
    let Some(Kind::StructValue(owner)) = account.fields.get("Owner").and_then(|v| v.kind.clone())
    else {
        panic!("Owner is an object: {account:?}")
    };
    assert_eq!(str_field(&owner, "Name"), Some("Sandbox Developer"));
    let Some(Kind::StructValue(by)) = owner.fields.get("CreatedBy").and_then(|v| v.kind.clone())
    else {
        panic!("CreatedBy is an object: {owner:?}")
    };
    assert_eq!(str_field(&by, "Email"), Some("dev@sandbox.local"));
    let orphan = got[1].record.as_ref().expect("record");
    let none = orphan.fields.get("Account").and_then(|v| v.kind.as_ref());
    assert!(matches!(none, Some(Kind::NullValue(_))), "{orphan:?}");

    // Paths Salesforce refuses are refused before the stream starts, naming the field.
    for (fields, field) in [
        (vec!["Account..Name"], "new_object.fields[0]"),
        (
            vec![
                "LastName",
                "Account.Parent.Parent.Parent.Parent.Parent.Name",
            ],
            "new_object.fields[1]",
        ),
        (vec!["Account.Nope"], "new_object.fields"),
    ] {
        let req = request(
            subscribe_request::Trigger::NewObject(NewObjectTrigger {
                sobject: "Contact".into(),
                r#where: String::new(),
                params: Default::default(),
                fields: fields.iter().map(|f| f.to_string()).collect(),
            }),
            None,
        );
        let err = client.subscribe(authed(req)).await.expect_err("refused");
        assert_eq!(err.code(), Code::InvalidArgument, "{fields:?}: {err:?}");
        let violations = err
            .get_details_bad_request()
            .expect("BadRequest")
            .field_violations;
        assert!(
            violations.iter().any(|v| v.field == field),
            "{field} expected in {violations:?}"
        );
    }
}

#[tokio::test]
async fn bad_requests_fail_before_the_stream_starts() {
    let gw = common::start_custom(sandbox(), |gw, _, _| {
        gw.triggers = fast();
        gw.api_keys.push(sfgate::caller::ApiKey::from_plain(
            "query-only",
            sfgate::caller::Caller {
                key_name: "query-only".into(),
                connections: None,
                default_connection: "sandbox".into(),
                permissions: [sfgate::caller::Permission::Query].into(),
            },
        ));
    })
    .await;
    let mut client = triggers(&gw).await;
    let bad = |sobject: &str, r#where: &str, fields: &[&str]| {
        request(
            subscribe_request::Trigger::NewObject(NewObjectTrigger {
                sobject: sobject.into(),
                r#where: r#where.into(),
                params: Default::default(),
                fields: fields.iter().map(|f| f.to_string()).collect(),
            }),
            None,
        )
    };
    let cases: Vec<(SubscribeRequest, &str)> = vec![
        (
            SubscribeRequest {
                trigger: None,
                ..Default::default()
            },
            "trigger",
        ),
        (bad("Con tact", "", &[]), "new_object.sobject"),
        (bad("", "", &[]), "new_object.sobject"),
        (
            bad("Contact", "", &["Id", "LastName", "Bad-Field"]),
            "new_object.fields[2]",
        ),
        (bad("Contact", "LastName = :x", &[]), "new_object.where"),
        (
            bad("Contact", "NoSuchField__c = 1", &[]),
            "new_object.where",
        ),
        (bad("Contact", "LastName = = 'x'", &[]), "new_object.where"),
        (bad("Contact", "", &["NoSuchField__c"]), "new_object.fields"),
        (bad("NoSuchThing__c", "", &[]), "new_object.sobject"),
        (
            request(
                subscribe_request::Trigger::NewContact(NewContactTrigger {
                    fields: vec!["Last Name".into()],
                }),
                None,
            ),
            "new_contact.fields[0]",
        ),
        (
            request(tagged("x"), resume("not a cursor")),
            "resume_cursor",
        ),
        (
            request(
                tagged("x"),
                Some(subscribe_request::Start::Since(prost_types::Timestamp {
                    seconds: 0,
                    nanos: -1,
                })),
            ),
            "since",
        ),
        (
            request(
                subscribe_request::Trigger::NewObject(NewObjectTrigger {
                    sobject: "Contact".into(),
                    r#where: String::new(),
                    params: [("x".to_owned(), common::value(serde_json::json!(1)))].into(),
                    fields: vec![],
                }),
                None,
            ),
            "new_object.params",
        ),
    ];
    for (req, field) in cases {
        let err = client
            .subscribe(authed(req.clone()))
            .await
            .expect_err(&format!("{req:?} should be refused"));
        assert_eq!(err.code(), Code::InvalidArgument, "{req:?}: {err:?}");
        let violations = err
            .get_details_bad_request()
            .expect("BadRequest")
            .field_violations;
        assert!(
            violations.iter().any(|v| v.field == field),
            "{field} expected in {violations:?}"
        );
    }

    // A cursor of another trigger is refused too.
    let mut stream = subscribe(&mut client, request(tagged("a"), None)).await;
    let hb = next_heartbeat(&mut stream).await;
    let err = client
        .subscribe(authed(request(tagged("b"), resume(&hb.cursor))))
        .await
        .expect_err("another trigger's cursor");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("resume_cursor"), "{err:?}");

    let err = client
        .subscribe(common::with_key(request(tagged("a"), None), "query-only"))
        .await
        .expect_err("needs the triggers permission");
    assert_eq!(err.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn shutdown_ends_streams_with_unavailable_and_a_resume_cursor() {
    let gw = start(fast()).await;
    let mut client = triggers(&gw).await;
    let mut stream = subscribe(&mut client, request(tagged(&tag("Stop")), None)).await;
    let hb = next_heartbeat(&mut stream).await;
    let stopping = tokio::spawn(gw.shutdown());
    let status = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.message().await {
                Ok(Some(_)) => {}
                Ok(None) => panic!("stream ended without a status"),
                Err(status) => return status,
            }
        }
    })
    .await
    .expect("the stream ends at shutdown");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(resume_cursor(&status), hb.cursor);
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .expect("shutdown completes")
        .expect("server task ends cleanly");
}
