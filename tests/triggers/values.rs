//! Values on the trigger path: bound `where` params refused with one violation
//! per fault.

use serde_json::json;
use sfgate::pb::*;
use tonic::Code;
use tonic_types::StatusExt;

use crate::common::{self, authed, value};
use crate::support::*;

fn where_trigger(condition: &str, params: serde_json::Value) -> SubscribeRequest {
    let serde_json::Value::Object(map) = params else {
        panic!("params must be an object")
    };
    request(
        subscribe_request::Trigger::NewObject(NewObjectTrigger {
            sobject: "Contact".into(),
            r#where: condition.into(),
            params: map.into_iter().map(|(k, v)| (k, value(v))).collect(),
            fields: vec![],
        }),
        None,
    )
}

#[tokio::test]
async fn a_where_param_refused_for_its_value_gets_exactly_one_violation() {
    let gw = common::start_custom(sandbox(), |gw, _, _| gw.triggers = fast()).await;
    let mut client = triggers(&gw).await;
    for (condition, params, field) in [
        (
            "Birthdate = :d",
            json!({"d": {"date": "2024-02-30"}}),
            "new_object.params.d.date",
        ),
        (
            "CreatedDate > :t OR LastModifiedDate > :t",
            json!({"t": {"datetime": "soon"}}),
            "new_object.params.t.datetime",
        ),
        (
            "LastName IN :names",
            json!({"names": []}),
            "new_object.params.names",
        ),
    ] {
        let err = client
            .subscribe(authed(where_trigger(condition, params.clone())))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
        let fields: Vec<String> = err
            .get_details_bad_request()
            .expect("BadRequest")
            .field_violations
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(fields, [field], "{condition} {params}");
    }
}
