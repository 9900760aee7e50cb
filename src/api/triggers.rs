//! `TriggerService`: validate the subscription, start it on the trigger engine,
//! and stream its events, heartbeats and end as gRPC messages.

use futures_util::stream::{self, BoxStream, StreamExt};
use prost_types::Timestamp;
use time::OffsetDateTime;
use tonic::{Request, Response, Status};

use super::{convert, params, validate};
use crate::caller::{self, Permission};
use crate::limits::{AdmittedStream, StreamSlot, StreamSlots};
use crate::pb::trigger_service_server::TriggerService;
use crate::pb::*;
use crate::salesforce as sf;
use crate::status::{self, Reason, Violation};
use crate::triggers::{Engine, Item, Start, Subscription, Trigger};

/// The fields of a "New Contact" event when the request names none.
const CONTACT_FIELDS: [&str; 7] = [
    "Id",
    "FirstName",
    "LastName",
    "Email",
    "Phone",
    "AccountId",
    "CreatedDate",
];

/// Why a start time Salesforce cannot hold is refused.
const SINCE_OUT_OF_RANGE: &str =
    "is outside the dates Salesforce holds (1700-01-01 to 4000-12-31T00:00:00Z)";

/// The `TriggerService` implementation over the trigger engine.
#[derive(Debug, Clone)]
pub struct TriggerApi {
    engine: Engine,
    /// The bound on open streams, per API key and in total.
    slots: StreamSlots,
}

impl TriggerApi {
    /// A service over `engine`, its open streams bounded by `slots`.
    pub fn new(engine: Engine, slots: StreamSlots) -> Self {
        TriggerApi { engine, slots }
    }
}

/// A validated request: the trigger, its kind, and the request field the
/// trigger's query errors point at.
struct Parsed {
    trigger: Trigger,
    kind: TriggerType,
    query_field: &'static str,
    start: Start,
}

#[tonic::async_trait]
impl TriggerService for TriggerApi {
    type SubscribeStream = BoxStream<'static, Result<SubscribeResponse, Status>>;

    async fn subscribe(
        &self,
        request: Request<SubscribeRequest>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
        let req = request.get_ref();
        let caller = caller::of(&request)?;
        let connection = caller
            .authorize(&req.connection, Permission::Triggers)?
            .to_owned();
        let parsed = parse(connection, req)?;
        let (sobject, kind) = (parsed.trigger.sobject.clone(), parsed.kind);
        // The stream's place under the stream limits, taken by the admission layer
        // from the headers (before the request message was read), or here when the
        // service runs without it; held by the stream for its life.
        let admitted = request
            .extensions()
            .get::<AdmittedStream>()
            .and_then(AdmittedStream::take);
        let slot = match admitted {
            Some(slot) => slot,
            None => self.slots.acquire(&caller.key_name)?,
        };
        let subscription = self
            .engine
            .subscribe(parsed.trigger.clone(), parsed.start)
            .await
            .map_err(|e| {
                status::subscribe_failed(e, &parsed.trigger, parsed.query_field, uri_field(req))
            })?;
        Ok(Response::new(messages(subscription, kind, sobject, slot)))
    }
}

/// The subscription's items as gRPC messages, read as the client takes them: no
/// task or channel of its own, so an idle stream costs only its subscription. A
/// client that goes away drops the stream, and with it the subscription (leaving
/// the feed) and `slot`, the stream's place under the stream limits. An end is
/// the last message.
fn messages(
    subscription: Subscription,
    kind: TriggerType,
    sobject: String,
    slot: StreamSlot,
) -> BoxStream<'static, Result<SubscribeResponse, Status>> {
    let state = Some((subscription, slot));
    stream::unfold(state, move |state| {
        let sobject = sobject.clone();
        async move {
            let (mut sub, slot) = state?;
            match sub.next().await {
                Ok(item) => Some((Ok(response(item, kind)), Some((sub, slot)))),
                Err(end) => Some((Err(status::trigger_ended(&end, &sobject)), None)),
            }
        }
    })
    .boxed()
}

fn response(item: Item, kind: TriggerType) -> SubscribeResponse {
    let kind = match item {
        Item::Event(e) => subscribe_response::Kind::Event(TriggerEvent {
            trigger: kind.into(),
            sobject: e.sobject.clone(),
            record_id: e.record_id.clone(),
            record: Some(convert::json_to_struct(e.record.clone())),
            created_date: Some(timestamp(e.created)),
            cursor: e.cursor.clone(),
        }),
        Item::Heartbeat {
            cursor,
            checked_until,
        } => subscribe_response::Kind::Heartbeat(Heartbeat {
            cursor,
            checked_until: Some(timestamp(checked_until)),
        }),
    };
    SubscribeResponse { kind: Some(kind) }
}

fn timestamp(t: OffsetDateTime) -> Timestamp {
    Timestamp {
        seconds: t.unix_timestamp(),
        nanos: i32::try_from(t.nanosecond()).unwrap_or(0),
    }
}

/// Checks the request and builds the trigger, naming every bad field at once.
fn parse(connection: String, req: &SubscribeRequest) -> Result<Parsed, Status> {
    let mut violations = Vec::new();
    let mut check = |r: Result<(), Violation>| {
        if let Err(v) = r {
            violations.push(v);
        }
    };
    let (sobject, condition, fields, kind, query_field) = match &req.trigger {
        None => {
            return Err(status::invalid_one(Violation::new(
                "trigger",
                "is required: set new_contact or new_object",
            )));
        }
        Some(subscribe_request::Trigger::NewContact(t)) => {
            for (i, f) in t.fields.iter().enumerate() {
                check(validate::field_path(f, &format!("new_contact.fields[{i}]")));
            }
            let fields = if t.fields.is_empty() {
                CONTACT_FIELDS.map(str::to_owned).to_vec()
            } else {
                t.fields.clone()
            };
            let kind = TriggerType::NewContact;
            (
                "Contact".to_owned(),
                String::new(),
                fields,
                kind,
                "new_contact.fields",
            )
        }
        Some(subscribe_request::Trigger::NewObject(t)) => {
            check(validate::api_name(&t.sobject, "new_object.sobject"));
            for (i, f) in t.fields.iter().enumerate() {
                check(validate::field_path(f, &format!("new_object.fields[{i}]")));
            }
            let condition = if t.r#where.trim().is_empty() {
                if !t.params.is_empty() {
                    violations.push(Violation::new(
                        "new_object.params",
                        "given without a where condition",
                    ));
                }
                String::new()
            } else {
                params::bind(
                    &t.r#where,
                    &t.params,
                    "new_object.where",
                    "new_object.params",
                )
                .unwrap_or_else(|v| {
                    violations.extend(v);
                    String::new()
                })
            };
            let field = if condition.is_empty() {
                "new_object.fields"
            } else {
                "new_object.where"
            };
            let kind = TriggerType::NewObject;
            (t.sobject.clone(), condition, t.fields.clone(), kind, field)
        }
    };
    let start = match &req.start {
        None => Start::Now,
        Some(subscribe_request::Start::ResumeCursor(c)) => Start::Cursor(c.clone()),
        Some(subscribe_request::Start::Since(ts)) => {
            let nanos = i128::from(ts.seconds) * 1_000_000_000 + i128::from(ts.nanos);
            let valid = (0..1_000_000_000).contains(&ts.nanos);
            match valid
                .then(|| OffsetDateTime::from_unix_timestamp_nanos(nanos).ok())
                .flatten()
            {
                Some(t) if sf::datetime::datetime_in_range(t) => Start::Since(t),
                Some(_) => {
                    violations.push(Violation::new("since", SINCE_OUT_OF_RANGE));
                    Start::Now
                }
                None => {
                    violations.push(Violation::new("since", "is not a valid timestamp"));
                    Start::Now
                }
            }
        }
        Some(subscribe_request::Start::SinceDatetime(text)) => {
            match sf::datetime::parse_datetime(text) {
                Some(t) if sf::datetime::datetime_in_range(t) => Start::Since(t),
                Some(_) => {
                    violations.push(Violation::new("since_datetime", SINCE_OUT_OF_RANGE));
                    Start::Now
                }
                None => {
                    violations.push(Violation::new(
                        "since_datetime",
                        "must be a datetime such as 2024-05-01T10:00:00Z, 2024-05-01T10:00:00.000+0000 or 2024-05-01T12:00:00+02:00",
                    ));
                    Start::Now
                }
            }
        }
    };
    if !violations.is_empty() {
        return Err(status::invalid_argument(Reason::InvalidTrigger, violations));
    }
    Ok(Parsed {
        trigger: Trigger {
            connection,
            sobject,
            condition,
            fields,
        },
        kind,
        query_field,
        start,
    })
}

/// The request field that makes up most of the trigger query's URI: its `fields`, or its
/// `where` condition, or a bound value larger than either.
fn uri_field(req: &SubscribeRequest) -> String {
    match &req.trigger {
        Some(subscribe_request::Trigger::NewObject(t)) => {
            let fields: usize = t.fields.iter().map(|f| f.len() + 2).sum();
            if fields > t.r#where.len()
                && t.params
                    .values()
                    .all(|v| prost::Message::encoded_len(v) < fields)
            {
                "new_object.fields".to_owned()
            } else {
                super::query::largest_input(
                    "new_object.where",
                    &t.r#where,
                    "new_object.params",
                    &t.params,
                )
            }
        }
        _ => "new_contact.fields".to_owned(),
    }
}
