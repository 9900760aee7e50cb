//! The sandbox's Change Data Capture events over its Pub/Sub API, read with a tonic client
//! generated from `proto/eventbus/v1` over a real socket, decoded with the schema GetSchema
//! returns: event contents (CREATE, UPDATE with its bitmaps, DELETE, UNDELETE,
//! transactions), replay (LATEST, EARLIEST, CUSTOM), channels, flow control and keepalive.

use std::time::Duration;

use crate::pubsub_support::{Bus, Decoded, V, more, replay};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sfgate::eventbus::v1::{ReplayPreset, TopicRequest};
use time::OffsetDateTime;

const CONTACTS: &str = "/data/ContactChangeEvent";
const USER: &str = "005000000000001AAA";

fn ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap()
}

/// The record's field as epoch milliseconds, read over REST.
async fn stamp_ms(bus: &Bus, sobject: &str, id: &str, field: &str) -> i64 {
    let r = bus.org.get(&format!("/sobjects/{sobject}/{id}")).await;
    let text = r.body[field].as_str().unwrap().to_owned();
    let t = OffsetDateTime::parse(
        &text,
        time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3][offset_hour sign:mandatory][offset_minute]"
        ),
    )
    .unwrap();
    ms(t)
}

fn assert_header(d: &Decoded, change_type: &str, id: &str) {
    assert_eq!(d.header["entityName"], "Contact", "{d:?}");
    assert_eq!(d.header["changeType"], change_type, "{d:?}");
    assert_eq!(d.header["recordIds"], json!([id]), "{d:?}");
    assert_eq!(d.header["commitUser"], USER);
    assert_eq!(d.header["sequenceNumber"], 1);
    assert_eq!(d.header["diffFields"], json!([]));
    assert_eq!(d.header["transactionKey"].as_str().unwrap().len(), 36);
    assert!(d.header["commitNumber"].as_i64().unwrap() > 0);
    assert_eq!(d.replay_id.len(), 8);
}

#[tokio::test]
async fn a_contact_create_is_a_change_event_with_every_field_and_its_header() {
    let bus = Bus::start().await;
    let topic = bus
        .client()
        .await
        .get_topic(bus.req(TopicRequest {
            topic_name: CONTACTS.into(),
        }))
        .await
        .unwrap()
        .into_inner();
    let mut sub = bus.subscribe(CONTACTS, ReplayPreset::Latest, &[], 10).await;
    let before = ms(OffsetDateTime::now_utc());
    let id = bus
        .create(
            "Contact",
            json!({"FirstName": "Ada", "LastName": "Lovelace", "Email": "ada@example.com",
                   "Title": "Countess", "Birthdate": "1815-12-10", "MailingCity": "London",
                   "Department": "Mathematics"}),
        )
        .await;
    let after = ms(OffsetDateTime::now_utc());
    let events = sub.events(1).await;
    let d = bus.decode(&events[0]).await;
    assert_eq!(d.schema_id, topic.schema_id);
    assert_header(&d, "CREATE", &id);
    assert_eq!(
        d.header["changeOrigin"],
        "com/salesforce/api/rest/60.0;client=pubsub-test"
    );
    let commit = d.header["commitTimestamp"].as_i64().unwrap();
    assert!(
        before <= commit && commit <= after,
        "{before} {commit} {after}"
    );
    assert_eq!(d.header["changedFields"], json!([]));
    assert_eq!(d.header["nulledFields"], json!([]));
    assert_eq!(d.schema_fields[0], "ChangeEventHeader");
    let f = &d.fields;
    assert_eq!(
        f["Name"],
        json!({"Salutation": null, "FirstName": "Ada", "LastName": "Lovelace",
               "MiddleName": null, "InformalName": null, "Suffix": null})
    );
    assert_eq!(f["MailingAddress"]["City"], "London");
    assert_eq!(f["MailingAddress"]["Country"], Value::Null);
    assert_eq!(f["Email"], "ada@example.com");
    assert_eq!(f["Title"], "Countess");
    assert_eq!(f["Department"], "Mathematics");
    assert_eq!(f["Phone"], Value::Null);
    assert_eq!(f["HasOptedOutOfEmail"], false);
    assert_eq!(f["OwnerId"], USER);
    assert_eq!(f["CreatedById"], USER);
    let birthdate = time::macros::date!(1815 - 12 - 10)
        .midnight()
        .assume_utc()
        .unix_timestamp()
        * 1000;
    assert_eq!(f["Birthdate"], birthdate);
    assert_eq!(
        f["CreatedDate"],
        stamp_ms(&bus, "Contact", &id, "CreatedDate").await
    );
    for absent in [
        "Id",
        "IsDeleted",
        "SystemModstamp",
        "FirstName",
        "LastName",
        "MailingCity",
    ] {
        assert!(!f.contains_key(absent), "{absent} in {f:?}");
    }
}

#[tokio::test]
async fn an_update_carries_only_changed_values_and_names_them_in_bitmaps() {
    let bus = Bus::start().await;
    let id = bus
        .create(
            "Contact",
            json!({"FirstName": "Ada", "LastName": "Lovelace", "Email": "ada@example.com",
                   "Title": "Countess", "Department": "Mathematics"}),
        )
        .await;
    let mut sub = bus
        .subscribe(CONTACTS, ReplayPreset::Earliest, &[], 10)
        .await;
    sub.events(1).await;
    bus.update(
        "Contact",
        &id,
        json!({"LastName": "King", "Title": "Analyst", "Department": null, "Email": "ada@example.com"}),
    )
    .await;
    let d = bus.decode(&sub.events(1).await[0]).await;
    assert_header(&d, "UPDATE", &id);
    assert_eq!(
        d.bitmap_names("changedFields"),
        ["Department", "LastModifiedDate", "Name.LastName", "Title"]
    );
    assert_eq!(d.bitmap_names("nulledFields"), ["Department"]);
    // The raw form: a top-level bitmap, then the name's own (LastName is its third field).
    let name_at = d.schema_fields.iter().position(|n| n == "Name").unwrap();
    let changed = d.header["changedFields"].as_array().unwrap();
    assert!(
        changed[0].as_str().unwrap().starts_with("0x"),
        "{changed:?}"
    );
    assert_eq!(changed[1], format!("{name_at}-0x04"));
    let f = &d.fields;
    assert_eq!(f["Title"], "Analyst");
    assert_eq!(f["Name"]["LastName"], "King");
    assert_eq!(f["Name"]["FirstName"], Value::Null);
    assert_eq!(f["Email"], Value::Null, "unchanged fields are null");
    assert_eq!(f["Department"], Value::Null);
    assert_eq!(f["CreatedDate"], Value::Null);
    assert_eq!(
        f["LastModifiedDate"],
        stamp_ms(&bus, "Contact", &id, "LastModifiedDate").await
    );
}

#[tokio::test]
async fn delete_and_undelete_are_change_events() {
    let bus = Bus::start().await;
    let id = bus
        .create("Contact", json!({"LastName": "Gone", "Title": "Temp"}))
        .await;
    let mut sub = bus
        .subscribe(CONTACTS, ReplayPreset::Earliest, &[], 10)
        .await;
    sub.events(1).await;
    let r = bus.org.delete(&format!("/sobjects/Contact/{id}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let d = bus.decode(&sub.events(1).await[0]).await;
    assert_header(&d, "DELETE", &id);
    assert!(d.fields.values().all(Value::is_null), "{:?}", d.fields);
    assert_eq!(d.header["changedFields"], json!([]));

    let (status, _) = bus
        .admin(Method::POST, &format!("/__sandbox/undelete/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let d = bus.decode(&sub.events(1).await[0]).await;
    assert_header(&d, "UNDELETE", &id);
    assert_eq!(d.header["changeOrigin"], "", "not a change through the API");
    assert_eq!(d.fields["Name"]["LastName"], "Gone");
    assert_eq!(d.fields["Title"], "Temp");
    assert_eq!(
        bus.org.get(&format!("/sobjects/Contact/{id}")).await.status,
        StatusCode::OK
    );

    // A record that is not in the recycle bin cannot be undeleted.
    let (status, body) = bus
        .admin(Method::POST, &format!("/__sandbox/undelete/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body[0]["errorCode"], "UNDELETE_FAILED");
    let (status, _) = bus
        .admin(Method::POST, "/__sandbox/undelete/003000000000999AAA", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    sub.quiet(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn one_request_is_one_transaction() {
    let bus = Bus::start().await;
    bus.org
        .sandbox
        .event_bus()
        .select(&["Contact", "Topic", "TopicAssignment"])
        .unwrap();
    let contact = bus.create("Contact", json!({"LastName": "Tagged"})).await;
    // Assigning a new topic creates the Topic and the TopicAssignment in one request.
    let r = bus
        .org
        .post(
            &format!("/connect/records/{contact}/topics"),
            &json!({"topicName": "Callback"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let mut sub = bus
        .subscribe("/data/ChangeEvents", ReplayPreset::Earliest, &[], 10)
        .await;
    let events = sub.events(3).await;
    let mut decoded = Vec::new();
    for e in &events {
        decoded.push(bus.decode(e).await);
    }
    let kinds: Vec<&Value> = decoded.iter().map(|d| &d.header["entityName"]).collect();
    assert_eq!(kinds, ["Contact", "Topic", "TopicAssignment"]);
    let keys: Vec<&Value> = decoded
        .iter()
        .map(|d| &d.header["transactionKey"])
        .collect();
    assert_ne!(keys[0], keys[1]);
    assert_eq!(keys[1], keys[2]);
    let seqs: Vec<&Value> = decoded
        .iter()
        .map(|d| &d.header["sequenceNumber"])
        .collect();
    assert_eq!(seqs, [1, 1, 2]);
    assert_eq!(
        decoded[1].header["commitTimestamp"],
        decoded[2].header["commitTimestamp"]
    );
}

#[tokio::test]
async fn subscribers_start_at_latest_earliest_or_after_a_replay_id() {
    let bus = Bus::start().await;
    let mut ids = Vec::new();
    for name in ["A", "B", "C"] {
        ids.push(bus.create("Contact", json!({"LastName": name})).await);
    }
    let mut earliest = bus
        .subscribe(CONTACTS, ReplayPreset::Earliest, &[], 10)
        .await;
    let all = earliest.events(3).await;
    let replays: Vec<u64> = all.iter().map(|e| replay(&e.replay_id)).collect();
    assert!(replays.windows(2).all(|w| w[0] < w[1]), "{replays:?}");
    for (e, id) in all.iter().zip(&ids) {
        assert_eq!(bus.decode(e).await.header["recordIds"], json!([id]));
    }

    // CUSTOM starts right after the given event.
    let mut custom = bus
        .subscribe(CONTACTS, ReplayPreset::Custom, &all[0].replay_id, 10)
        .await;
    let rest = custom.events(2).await;
    assert_eq!(rest[0].replay_id, all[1].replay_id);
    assert_eq!(rest[1].replay_id, all[2].replay_id);

    // LATEST and CUSTOM after the newest see only what comes next.
    let mut latest = bus.subscribe(CONTACTS, ReplayPreset::Latest, &[], 10).await;
    let mut tail = bus
        .subscribe(CONTACTS, ReplayPreset::Custom, &all[2].replay_id, 10)
        .await;
    latest.quiet(Duration::from_millis(200)).await;
    let d = bus.create("Contact", json!({"LastName": "D"})).await;
    for sub in [&mut latest, &mut tail, &mut earliest, &mut custom] {
        let e = sub.events(1).await;
        assert_eq!(bus.decode(&e[0]).await.header["recordIds"], json!([d]));
    }
}

#[tokio::test]
async fn the_all_channel_carries_every_object_and_an_object_channel_skips_the_others() {
    let bus = Bus::start().await;
    bus.set_bus(json!({"keepaliveMs": 300})).await;
    let mut all = bus
        .subscribe("/data/ChangeEvents", ReplayPreset::Earliest, &[], 10)
        .await;
    let mut contacts = bus
        .subscribe(CONTACTS, ReplayPreset::Earliest, &[], 10)
        .await;
    bus.create("Account", json!({"Name": "Acme"})).await;
    let contact = bus.create("Contact", json!({"LastName": "Only"})).await;
    bus.create("Lead", json!({"LastName": "Lee", "Company": "Co"}))
        .await;
    let events = all.events(3).await;
    let mut names = Vec::new();
    let mut schemas = Vec::new();
    for e in &events {
        let d = bus.decode(e).await;
        names.push(d.header["entityName"].clone());
        schemas.push(d.schema_id);
    }
    assert_eq!(names, ["Account", "Contact", "Lead"]);
    schemas.dedup();
    assert_eq!(schemas.len(), 3, "one schema per object");

    let only = contacts.events(1).await;
    assert_eq!(
        bus.decode(&only[0]).await.header["recordIds"],
        json!([contact])
    );
    assert_eq!(only[0].replay_id, events[1].replay_id);
    // Its keepalive's replay id is past the Lead it skipped: resuming there loses nothing
    // and repeats nothing.
    let keepalive = contacts
        .next(Duration::from_secs(5))
        .await
        .expect("a keepalive")
        .unwrap();
    assert!(keepalive.events.is_empty());
    assert_eq!(keepalive.latest_replay_id, events[2].replay_id);
    assert_eq!(keepalive.pending_num_requested, 9);
    assert_eq!(keepalive.rpc_id.len(), 36);
    assert_eq!(
        keepalive.latest_replay_id,
        bus.org.sandbox.event_bus().latest_replay_id()
    );
    let mut resumed = bus
        .subscribe(
            CONTACTS,
            ReplayPreset::Custom,
            &keepalive.latest_replay_id,
            10,
        )
        .await;
    let next = bus.create("Contact", json!({"LastName": "Next"})).await;
    let e = resumed.events(1).await;
    assert_eq!(bus.decode(&e[0]).await.header["recordIds"], json!([next]));
}

#[tokio::test]
async fn a_subscriber_gets_no_more_events_than_it_asked_for() {
    let bus = Bus::start().await;
    bus.set_bus(json!({"keepaliveMs": 300})).await;
    for i in 0..4 {
        bus.create("Contact", json!({"LastName": format!("N{i}")}))
            .await;
    }
    let mut sub = bus
        .subscribe(CONTACTS, ReplayPreset::Earliest, &[], 2)
        .await;
    let first = sub.next(Duration::from_secs(5)).await.unwrap().unwrap();
    assert_eq!(first.events.len(), 2);
    assert_eq!(first.pending_num_requested, 0);
    assert_eq!(first.latest_replay_id, first.events[1].replay_id);
    // A keepalive while events wait: its replay id is still the last one sent.
    let keepalive = sub.next(Duration::from_secs(5)).await.unwrap().unwrap();
    assert!(keepalive.events.is_empty());
    assert_eq!(keepalive.latest_replay_id, first.events[1].replay_id);
    assert_eq!(keepalive.pending_num_requested, 0);

    sub.requests.send(more(1)).await.unwrap();
    let third = sub.events(1).await;
    assert_eq!(
        replay(&third[0].replay_id),
        replay(&first.events[1].replay_id) + 1
    );
    sub.quiet(Duration::from_millis(400)).await;

    // More than 100 outstanding counts as 100.
    sub.requests.send(more(150)).await.unwrap();
    let fourth = sub.next(Duration::from_secs(5)).await.unwrap().unwrap();
    assert_eq!(fourth.events.len(), 1);
    assert_eq!(fourth.pending_num_requested, 99);
    sub.requests.send(more(50)).await.unwrap();
    let keepalive = sub.next(Duration::from_secs(5)).await.unwrap().unwrap();
    assert_eq!(keepalive.pending_num_requested, 100);

    let mut big = bus
        .subscribe(CONTACTS, ReplayPreset::Latest, &[], 1000)
        .await;
    let keepalive = big.next(Duration::from_secs(5)).await.unwrap().unwrap();
    assert_eq!(keepalive.pending_num_requested, 100);
}

#[tokio::test]
async fn an_idle_subscriber_gets_keepalives_with_the_latest_replay_id() {
    let bus = Bus::start().await;
    let first = bus.create("Contact", json!({"LastName": "Before"})).await;
    let _ = first;
    bus.set_bus(json!({"keepaliveMs": 250})).await;
    let mut sub = bus.subscribe(CONTACTS, ReplayPreset::Latest, &[], 5).await;
    let started = tokio::time::Instant::now();
    let k = sub.next(Duration::from_secs(5)).await.unwrap().unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
    assert!(k.events.is_empty());
    assert_eq!(replay(&k.latest_replay_id), 1);
    assert_eq!(k.pending_num_requested, 5);
    // Events of other objects move it on.
    bus.create("Lead", json!({"LastName": "L", "Company": "C"}))
        .await;
    let k = sub.next(Duration::from_secs(5)).await.unwrap().unwrap();
    assert_eq!(replay(&k.latest_replay_id), 2);
    // The default keepalive is Salesforce's 270 s.
    bus.set_bus(json!({"keepaliveMs": 270_000})).await;
    let (_, settings) = bus.admin(Method::GET, "/__sandbox/event-bus", None).await;
    assert_eq!(settings["keepaliveMs"], 270_000);
    assert_eq!(settings["retentionMs"], 72 * 3600 * 1000);
    assert_eq!(settings["openStreams"], 1);
    assert_eq!(settings["latestReplayId"], "0000000000000002");
}

#[tokio::test]
async fn the_embedded_default_serves_the_event_bus_on_its_own_port() {
    let gw = crate::common::start_with(sfgate::sandbox::SandboxConfig::default()).await;
    assert_ne!(gw.pubsub_addr, gw.sandbox_addr);
    assert!(gw.pubsub_addr.ip().is_loopback());
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", gw.pubsub_addr))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = sfgate::eventbus::v1::pub_sub_client::PubSubClient::new(channel);
    let token = gw.sandbox.auth().issue_session();
    let mut req = tonic::Request::new(TopicRequest {
        topic_name: "/data/LeadChangeEvent".into(),
    });
    for (k, v) in [
        ("accesstoken", token),
        ("instanceurl", format!("http://{}", gw.sandbox_addr)),
        ("tenantid", "00D000000000001EAA".to_owned()),
    ] {
        req.metadata_mut().insert(k, v.parse().unwrap());
    }
    let topic = client.get_topic(req).await.unwrap().into_inner();
    assert!(topic.can_subscribe);
}

#[tokio::test]
async fn rolled_back_writes_make_no_change_events_and_an_all_or_none_request_is_one_transaction() {
    let bus = Bus::start().await;
    let mut sub = bus
        .subscribe("/data/ChangeEvents", ReplayPreset::Latest, &[], 20)
        .await;
    // allOrNone with a failing record: every record is rolled back, so nothing is captured.
    let failing = json!({"allOrNone": true, "records": [
        {"attributes": {"type": "Contact"}, "LastName": "Kept if alone"},
        {"attributes": {"type": "Contact"}, "FirstName": "No last name"},
    ]});
    let r = bus.org.post("/composite/sobjects", &failing).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body[1]["success"], false, "{}", r.text);
    // An all-or-none Composite request whose second subrequest fails: the first's create is
    // rolled back with it.
    let composite = json!({"allOrNone": true, "compositeRequest": [
        {"method": "POST", "url": format!("{V}/sobjects/Contact"), "referenceId": "a",
         "body": {"LastName": "Rolled back"}},
        {"method": "POST", "url": format!("{V}/sobjects/Contact"), "referenceId": "b",
         "body": {"FirstName": "No last name"}},
    ]});
    let r = bus.org.post("/composite", &composite).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    sub.quiet(Duration::from_millis(500)).await;
    // A successful all-or-none Composite request of two creates is one transaction.
    let composite = json!({"allOrNone": true, "compositeRequest": [
        {"method": "POST", "url": format!("{V}/sobjects/Contact"), "referenceId": "a",
         "body": {"LastName": "First"}},
        {"method": "POST", "url": format!("{V}/sobjects/Contact"), "referenceId": "b",
         "body": {"LastName": "Second"}},
    ]});
    let r = bus.org.post("/composite", &composite).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let events = sub.events(2).await;
    let (a, b) = (bus.decode(&events[0]).await, bus.decode(&events[1]).await);
    assert_eq!(a.header["changeType"], "CREATE");
    assert_eq!(a.header["transactionKey"], b.header["transactionKey"]);
    assert_eq!(
        [&a.header["sequenceNumber"], &b.header["sequenceNumber"]],
        [1, 2]
    );
    sub.quiet(Duration::from_millis(300)).await;
}
