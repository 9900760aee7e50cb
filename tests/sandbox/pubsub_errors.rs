//! The sandbox's Pub/Sub API refusing what Salesforce refuses, each with its gRPC code and
//! `error-code` trailer: authentication metadata, topics and Change Data Capture selection,
//! schemas, replay ids and the retention window, flow-control requests, publishing; and the
//! event bus faults (delayed delivery, gap events, dropped streams).

use std::time::{Duration, Instant};

use crate::pubsub_support::{Bus, assert_pubsub_error, fetch, more, replay};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sfgate::eventbus::v1::{
    ErrorCode, FetchRequest, ManagedFetchRequest, ProducerEvent, PublishRequest, ReplayPreset,
    SchemaRequest, TopicRequest,
};
use sfgate::sandbox::{SandboxConfig, Seed};
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;

const CONTACTS: &str = "/data/ContactChangeEvent";
const ORG: &str = "00D000000000001EAA";

fn topic(name: &str) -> TopicRequest {
    TopicRequest {
        topic_name: name.into(),
    }
}

#[tokio::test]
async fn every_call_needs_the_orgs_authentication_metadata() {
    let bus = Bus::start().await;
    let url = bus.instance_url.clone();
    let token = bus.org.token.clone();
    let mut client = bus.client().await;
    // Missing or blank headers.
    for (t, u, o) in [
        ("", url.as_str(), ORG),
        (token.as_str(), "", ORG),
        (token.as_str(), url.as_str(), ""),
    ] {
        let e = client
            .get_topic(bus.req_as(topic(CONTACTS), t, u, o))
            .await
            .unwrap_err();
        assert_pubsub_error(&e, Code::Unauthenticated, "service.auth.headers.invalid");
    }
    // A token the org never issued, another org, another instance URL.
    for (t, u, o) in [
        ("00D000000000001!nope", url.as_str(), ORG),
        (token.as_str(), url.as_str(), "00D000000000002EAA"),
        (token.as_str(), "https://other.my.salesforce.com", ORG),
    ] {
        let e = client
            .get_topic(bus.req_as(topic(CONTACTS), t, u, o))
            .await
            .unwrap_err();
        assert_pubsub_error(&e, Code::Unauthenticated, "service.auth.error");
        assert!(
            e.message()
                .starts_with("An authentication exception occurred.")
        );
    }
    // The 15-character org Id and a trailing slash name the same org and instance.
    let url_slash = format!("{url}/");
    client
        .get_topic(bus.req_as(topic(CONTACTS), &token, &url_slash, &ORG[..15]))
        .await
        .expect("accepted");
    // Every RPC checks it.
    let e = client
        .get_schema(bus.req_as(SchemaRequest::default(), "bad", &url, ORG))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated);
    let e = client
        .publish(bus.req_as(PublishRequest::default(), "bad", &url, ORG))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated);
    let (_tx, rx) = tokio::sync::mpsc::channel::<FetchRequest>(1);
    let e = client
        .subscribe(bus.req_as(ReceiverStream::new(rx), "bad", &url, ORG))
        .await
        .unwrap_err();
    assert_pubsub_error(&e, Code::Unauthenticated, "service.auth.error");
}

#[tokio::test]
async fn a_stream_ends_when_its_session_is_revoked() {
    let bus = Bus::start().await;
    bus.set_bus(json!({"keepaliveMs": 200})).await;
    let mut sub = bus.subscribe(CONTACTS, ReplayPreset::Latest, &[], 5).await;
    sub.next(Duration::from_secs(5)).await.unwrap().unwrap();
    assert!(bus.org.sandbox.auth().revoke(&bus.org.token));
    let e = sub.error().await;
    assert_pubsub_error(&e, Code::Unauthenticated, "service.auth.error");
}

#[tokio::test]
async fn unknown_blank_and_unselected_topics_are_refused() {
    let bus = Bus::start().await;
    let mut client = bus.client().await;
    for name in [
        "/data/NopeChangeEvent",
        "/data/contactchangeevent",
        "/data/Contact",
        "/event/Order__e",
        "ContactChangeEvent",
    ] {
        let e = client.get_topic(bus.req(topic(name))).await.unwrap_err();
        assert_pubsub_error(&e, Code::NotFound, "topic.not.found");
        assert!(e.message().contains(name), "{e:?}");
        let e = bus
            .open(fetch(name, ReplayPreset::Latest, &[], 1))
            .await
            .err()
            .unwrap();
        assert_pubsub_error(&e, Code::NotFound, "topic.not.found");
    }
    let e = client.get_topic(bus.req(topic(" "))).await.unwrap_err();
    assert_pubsub_error(&e, Code::InvalidArgument, "topic.validation.empty");
    let e = bus
        .open(fetch("", ReplayPreset::Latest, &[], 1))
        .await
        .err()
        .unwrap();
    assert_pubsub_error(&e, Code::InvalidArgument, "topic.validation.empty");

    let info = client
        .get_topic(bus.req(topic(CONTACTS)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(info.topic_name, CONTACTS);
    assert_eq!(info.tenant_guid, ORG);
    assert!(info.can_subscribe && !info.can_publish);
    assert_eq!(info.schema_id.len(), 22);
    assert_eq!(info.rpc_id.len(), 36);
    let all = client
        .get_topic(bus.req(topic("/data/ChangeEvents")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        all.schema_id, "",
        "one schema per object on the all channel"
    );
}

fn invoice_seed(selected: &[&str]) -> Seed {
    serde_json::from_value(json!({
        "objects": [{"name": "Invoice__c", "fields": [{"name": "Amount__c", "type": "currency"}]}],
        "changeDataCapture": selected,
    }))
    .unwrap()
}

#[tokio::test]
async fn only_objects_selected_for_change_data_capture_have_channels_and_events() {
    let bus = Bus::with(SandboxConfig {
        seed: Some(invoice_seed(&["Lead", "Invoice__c"])),
        ..SandboxConfig::default()
    })
    .await;
    let mut client = bus.client().await;
    let e = client
        .get_topic(bus.req(topic(CONTACTS)))
        .await
        .unwrap_err();
    assert_pubsub_error(&e, Code::NotFound, "topic.not.found");
    client
        .get_topic(bus.req(topic("/data/Invoice__ChangeEvent")))
        .await
        .expect("a selected custom object's channel");
    bus.create("Contact", json!({"LastName": "Unseen"})).await;
    let invoice = bus.create("Invoice__c", json!({"Amount__c": 12.5})).await;
    let mut all = bus
        .subscribe("/data/ChangeEvents", ReplayPreset::Earliest, &[], 10)
        .await;
    let events = all.events(1).await;
    let d = bus.decode(&events[0]).await;
    assert_eq!(d.header["entityName"], "Invoice__c");
    assert_eq!(d.header["recordIds"], json!([invoice]));
    assert_eq!(d.fields["Amount__c"], 12.5);
    assert_eq!(d.schema_json["name"], "Invoice__ChangeEvent");
    all.quiet(Duration::from_millis(300)).await;

    // The admin route changes the selection; an unknown object changes nothing.
    let (status, body) = bus
        .admin(
            Method::PUT,
            "/__sandbox/event-bus",
            Some(json!({"entities": ["Contact", "Nope__c"]})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body[0]["errorCode"], "INVALID_TYPE");
    assert!(body[0]["message"].as_str().unwrap().contains("Nope__c"));
    assert_eq!(
        bus.org.sandbox.event_bus().selected(),
        ["Lead", "Invoice__c"]
    );
    let (status, body) = bus
        .admin(
            Method::PUT,
            "/__sandbox/event-bus",
            Some(json!({"entities": ["Contact"], "keepaliveMs": 0})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body[0]["message"].as_str().unwrap().contains("keepaliveMs"));
    let (status, body) = bus
        .admin(
            Method::PUT,
            "/__sandbox/event-bus",
            Some(json!({"entitys": []})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        bus.org.sandbox.event_bus().selected(),
        ["Lead", "Invoice__c"]
    );
    bus.set_bus(json!({"entities": ["contact"]})).await;
    let (_, settings) = bus.admin(Method::GET, "/__sandbox/event-bus", None).await;
    assert_eq!(settings["entities"], json!(["Contact"]));
    let contact = bus.create("Contact", json!({"LastName": "Seen"})).await;
    let e = all.events(1).await;
    assert_eq!(
        bus.decode(&e[0]).await.header["recordIds"],
        json!([contact])
    );
    let e = client
        .get_topic(bus.req(topic("/data/Invoice__ChangeEvent")))
        .await
        .unwrap_err();
    assert_pubsub_error(&e, Code::NotFound, "topic.not.found");

    // A seed naming an object the org does not have is refused.
    let err = sfgate::sandbox::Sandbox::new(SandboxConfig {
        seed: Some(invoice_seed(&["Nope"])),
        ..SandboxConfig::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("Nope"), "{err}");
}

#[tokio::test]
async fn get_schema_needs_an_id_the_org_gave_out() {
    let bus = Bus::start().await;
    let mut client = bus.client().await;
    let e = client
        .get_schema(bus.req(SchemaRequest {
            schema_id: "".into(),
        }))
        .await
        .unwrap_err();
    assert_pubsub_error(&e, Code::InvalidArgument, "schema.validation.failed");
    let e = client
        .get_schema(bus.req(SchemaRequest {
            schema_id: "-pszPCNGMHqUPU1ftkjxEA".into(),
        }))
        .await
        .unwrap_err();
    assert_pubsub_error(&e, Code::NotFound, "schema.meta.permission");
    let id = client
        .get_topic(bus.req(topic("/data/LeadChangeEvent")))
        .await
        .unwrap()
        .into_inner()
        .schema_id;
    let info = client
        .get_schema(bus.req(SchemaRequest {
            schema_id: id.clone(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(info.schema_id, id);
    let json: Value = serde_json::from_str(&info.schema_json).unwrap();
    assert_eq!(json["name"], "LeadChangeEvent");
    assert_eq!(json["namespace"], "com.sforce.eventbus");
    assert_eq!(json["fields"][0]["name"], "ChangeEventHeader");
}

#[tokio::test]
async fn replay_ids_must_be_the_orgs_and_within_the_retention_window() {
    let bus = Bus::start().await;
    for name in ["A", "B", "C"] {
        bus.create("Contact", json!({"LastName": name})).await;
    }
    let custom = |id: &[u8]| fetch(CONTACTS, ReplayPreset::Custom, id, 5);
    let e = bus.open(custom(&[])).await.err().unwrap();
    assert_pubsub_error(
        &e,
        Code::InvalidArgument,
        "subscription.fetch.replayid.validation.failed",
    );
    for bad in [&[1u8, 2, 3][..], &99u64.to_be_bytes()[..], &[0u8; 9][..]] {
        let e = bus.open(custom(bad)).await.err().unwrap();
        assert_pubsub_error(
            &e,
            Code::InvalidArgument,
            "subscription.fetch.replayid.corrupted",
        );
    }
    let mut preset = fetch(CONTACTS, ReplayPreset::Latest, &[], 5);
    preset.replay_preset = 7;
    let e = bus.open(preset).await.err().unwrap();
    assert_pubsub_error(
        &e,
        Code::InvalidArgument,
        "subscription.fetch.request.invalid",
    );

    // At most maxEvents are kept: the oldest go, and replaying from before them fails
    // (a replay id is a position: after event 1 is events 2 and 3, still all there).
    bus.set_bus(json!({"maxEvents": 2})).await;
    let e = bus.open(custom(&0u64.to_be_bytes())).await.err().unwrap();
    assert_pubsub_error(
        &e,
        Code::InvalidArgument,
        "subscription.fetch.replayid.corrupted",
    );
    let mut sub = bus
        .subscribe(CONTACTS, ReplayPreset::Earliest, &[], 5)
        .await;
    let kept: Vec<u64> = sub
        .events(2)
        .await
        .iter()
        .map(|e| replay(&e.replay_id))
        .collect();
    assert_eq!(kept, [2, 3]);
    let mut after_first = bus
        .open(custom(&1u64.to_be_bytes()))
        .await
        .expect("2 and 3 are kept");
    assert_eq!(after_first.events(2).await.len(), 2);

    // Past the retention window every event is gone: only the newest position is valid.
    bus.set_bus(json!({"retentionMs": 0, "maxEvents": 100000}))
        .await;
    let e = bus.open(custom(&2u64.to_be_bytes())).await.err().unwrap();
    assert_pubsub_error(
        &e,
        Code::InvalidArgument,
        "subscription.fetch.replayid.corrupted",
    );
    let mut latest = bus
        .open(custom(&3u64.to_be_bytes()))
        .await
        .expect("nothing lost after it");
    let mut earliest = bus
        .subscribe(CONTACTS, ReplayPreset::Earliest, &[], 5)
        .await;
    earliest.quiet(Duration::from_millis(300)).await;
    let (_, settings) = bus.admin(Method::GET, "/__sandbox/event-bus", None).await;
    assert_eq!(settings["retainedEvents"], 0);
    bus.set_bus(json!({"retentionMs": 3_600_000})).await;
    bus.create("Contact", json!({"LastName": "D"})).await;
    assert_eq!(replay(&latest.events(1).await[0].replay_id), 4);
    assert_eq!(replay(&earliest.events(1).await[0].replay_id), 4);
}

#[tokio::test]
async fn requests_must_ask_for_events_on_the_streams_topic() {
    let bus = Bus::start().await;
    for n in [0, -5] {
        let e = bus
            .open(fetch(CONTACTS, ReplayPreset::Latest, &[], n))
            .await
            .err()
            .unwrap();
        assert_pubsub_error(
            &e,
            Code::InvalidArgument,
            "subscription.fetch.requested.events.invalid",
        );
    }
    let mut sub = bus.subscribe(CONTACTS, ReplayPreset::Latest, &[], 1).await;
    sub.requests.send(more(0)).await.unwrap();
    assert_pubsub_error(
        &sub.error().await,
        Code::InvalidArgument,
        "subscription.fetch.requested.events.invalid",
    );

    let mut sub = bus.subscribe(CONTACTS, ReplayPreset::Latest, &[], 1).await;
    // Naming the same topic again is fine; another one ends the stream.
    sub.requests
        .send(fetch(CONTACTS, ReplayPreset::Earliest, &[], 1))
        .await
        .unwrap();
    let id = bus.create("Contact", json!({"LastName": "Same"})).await;
    let e = sub.events(1).await;
    assert_eq!(bus.decode(&e[0]).await.header["recordIds"], json!([id]));
    sub.requests
        .send(fetch("/data/LeadChangeEvent", ReplayPreset::Latest, &[], 1))
        .await
        .unwrap();
    assert_pubsub_error(
        &sub.error().await,
        Code::InvalidArgument,
        "subscription.fetch.topic.mismatch",
    );
}

#[tokio::test]
async fn change_event_channels_cannot_be_published_to() {
    let bus = Bus::start().await;
    let mut client = bus.client().await;
    let event = |id: &str| ProducerEvent {
        id: id.into(),
        schema_id: String::new(),
        payload: vec![0],
        headers: Vec::new(),
    };
    let request = |topic: &str, events| PublishRequest {
        topic_name: topic.into(),
        events,
        auth_refresh: String::new(),
    };
    let r = client
        .publish(bus.req(request(CONTACTS, vec![event("e1"), event("e2")])))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.results.len(), 2);
    for (result, id) in r.results.iter().zip(["e1", "e2"]) {
        assert_eq!(result.correlation_key, id);
        assert!(result.replay_id.is_empty());
        let error = result.error.as_ref().expect("refused");
        assert_eq!(error.code, i32::from(ErrorCode::Publish));
        assert!(error.msg.contains(CONTACTS), "{}", error.msg);
    }
    assert_eq!(r.schema_id.len(), 22);
    assert_eq!(
        bus.org.sandbox.event_bus().retained(),
        0,
        "nothing published"
    );
    let e = client
        .publish(bus.req(request("", vec![event("e")])))
        .await
        .unwrap_err();
    assert_pubsub_error(&e, Code::InvalidArgument, "publish.topic.validation.empty");
    let e = client
        .publish(bus.req(request(CONTACTS, vec![])))
        .await
        .unwrap_err();
    assert_pubsub_error(&e, Code::InvalidArgument, "publish.event.count.invalid");
    let e = client
        .publish(bus.req(request("/event/Order__e", vec![event("e")])))
        .await
        .unwrap_err();
    assert_pubsub_error(&e, Code::NotFound, "topic.not.found");

    // PublishStream: one response per request; another topic ends the stream.
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tx.send(request(CONTACTS, vec![event("s1")])).await.unwrap();
    let mut responses = client
        .publish_stream(bus.req(ReceiverStream::new(rx)))
        .await
        .unwrap()
        .into_inner();
    let first = responses.message().await.unwrap().unwrap();
    assert_eq!(first.results[0].correlation_key, "s1");
    assert!(first.results[0].error.is_some());
    tx.send(request("", vec![event("s2")])).await.unwrap();
    let second = responses.message().await.unwrap().unwrap();
    assert_eq!(second.results[0].correlation_key, "s2");
    tx.send(request("/data/LeadChangeEvent", vec![event("s3")]))
        .await
        .unwrap();
    let e = responses.message().await.unwrap_err();
    assert_pubsub_error(&e, Code::InvalidArgument, "publish.topic.mismatch");

    let (_tx, rx) = tokio::sync::mpsc::channel::<ManagedFetchRequest>(1);
    let e = client
        .managed_subscribe(bus.req(ReceiverStream::new(rx)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unimplemented);
}

#[tokio::test]
async fn delivery_can_be_delayed() {
    let bus = Bus::start().await;
    let (status, _) = bus
        .admin(
            Method::PUT,
            "/__sandbox/faults",
            Some(json!({"eventDelayMs": 700})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut sub = bus.subscribe(CONTACTS, ReplayPreset::Latest, &[], 5).await;
    let created = Instant::now();
    bus.create("Contact", json!({"LastName": "Slow"})).await;
    sub.events(1).await;
    assert!(
        created.elapsed() >= Duration::from_millis(650),
        "{:?}",
        created.elapsed()
    );
    bus.org.sandbox.faults().clear();
    let created = Instant::now();
    bus.create("Contact", json!({"LastName": "Fast"})).await;
    sub.events(1).await;
    assert!(
        created.elapsed() < Duration::from_millis(650),
        "{:?}",
        created.elapsed()
    );
}

#[tokio::test]
async fn gap_events_carry_only_the_header() {
    let bus = Bus::start().await;
    let id = bus.create("Contact", json!({"LastName": "Plain"})).await;
    bus.org.sandbox.faults().update(|f| f.event_gap_rate = 1.0);
    let gap = bus
        .create("Contact", json!({"LastName": "Gap", "Title": "X"}))
        .await;
    bus.update("Contact", &id, json!({"Title": "Y"})).await;
    bus.org.sandbox.faults().clear();
    let mut sub = bus
        .subscribe(CONTACTS, ReplayPreset::Earliest, &[], 5)
        .await;
    let events = sub.events(3).await;
    let plain = bus.decode(&events[0]).await;
    assert_eq!(plain.header["changeType"], "CREATE");
    for (e, kind, record) in [
        (&events[1], "GAP_CREATE", &gap),
        (&events[2], "GAP_UPDATE", &id),
    ] {
        let d = bus.decode(e).await;
        assert_eq!(d.header["changeType"], kind);
        assert_eq!(d.header["recordIds"], json!([record]));
        assert_eq!(d.header["changedFields"], json!([]));
        assert!(d.fields.values().all(Value::is_null), "{:?}", d.fields);
    }
}

#[tokio::test]
async fn dropped_streams_end_unavailable_and_lose_nothing() {
    let bus = Bus::start().await;
    bus.org
        .sandbox
        .faults()
        .update(|f| f.event_stream_drop_rate = 1.0);
    let mut sub = bus.subscribe(CONTACTS, ReplayPreset::Latest, &[], 5).await;
    let id = bus.create("Contact", json!({"LastName": "Dropped"})).await;
    let e = sub.error().await;
    assert_eq!(e.code(), Code::Unavailable, "{e:?}");
    assert!(
        e.metadata().get("error-code").is_none(),
        "a reset carries no error code"
    );
    bus.org.sandbox.faults().clear();
    let mut again = bus
        .subscribe(CONTACTS, ReplayPreset::Earliest, &[], 5)
        .await;
    let events = again.events(1).await;
    assert_eq!(
        bus.decode(&events[0]).await.header["recordIds"],
        json!([id])
    );

    // The admin route ends every open stream at once.
    let mut other = bus
        .subscribe("/data/LeadChangeEvent", ReplayPreset::Latest, &[], 5)
        .await;
    assert_eq!(bus.org.sandbox.event_bus().open_streams(), 2);
    let (status, _) = bus
        .admin(Method::POST, "/__sandbox/event-bus/drop-streams", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(again.error().await.code(), Code::Unavailable);
    assert_eq!(other.error().await.code(), Code::Unavailable);
    for _ in 0..50 {
        if bus.org.sandbox.event_bus().open_streams() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("streams still counted as open");
}
