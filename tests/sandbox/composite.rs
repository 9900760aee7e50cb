//! Composite (`POST /composite`) over real sockets: references between
//! subrequests, allOrNone, the 25-subrequest limit, long queries, collections
//! inside, one API call per request, and the fault switches.

use crate::support::{Org, V, assert_error};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn sub(method: &str, url: &str, reference_id: &str, body: Option<Value>) -> Value {
    let mut v = json!({"method": method, "url": format!("{V}{url}"), "referenceId": reference_id});
    if let Some(b) = body {
        v["body"] = b;
    }
    v
}

async fn composite(org: &Org, all_or_none: bool, subs: Vec<Value>) -> Vec<Value> {
    let r = org
        .post(
            "/composite",
            &json!({"allOrNone": all_or_none, "compositeRequest": subs}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["compositeResponse"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", r.text))
        .clone()
}

async fn count(org: &Org, soql: &str) -> u64 {
    let r = org.get(&format!("/query?q={}", enc(soql))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["totalSize"].as_u64().unwrap()
}

fn halted(item: &Value, reference_id: &str) {
    assert_eq!(item["httpStatusCode"], 400, "{item}");
    assert_eq!(item["referenceId"], reference_id);
    assert_eq!(
        item["body"],
        json!([{"errorCode": "PROCESSING_HALTED",
                "message": "The transaction was rolled back since another operation in the same transaction failed."}])
    );
}

#[tokio::test]
async fn later_subrequests_use_earlier_results_through_references() {
    let org = Org::start().await;
    let items = composite(
        &org,
        true,
        vec![
            sub(
                "POST",
                "/sobjects/Account",
                "acct",
                Some(json!({"Name": "Ref Corp"})),
            ),
            sub(
                "POST",
                "/sobjects/Contact",
                "who",
                Some(json!({"LastName": "Ref", "AccountId": "@{acct.id}"})),
            ),
            sub(
                "GET",
                "/sobjects/Contact/@{who.id}?fields=LastName,AccountId",
                "read",
                None,
            ),
            sub(
                "GET",
                // A reference stands in the URL as it is, not encoded.
                &format!(
                    "/query?q={}@{{acct.id}}{}",
                    enc("SELECT Id, Account.Name FROM Contact WHERE AccountId = '"),
                    enc("'")
                ),
                "found",
                None,
            ),
            sub(
                "PATCH",
                "/sobjects/Contact/@{found.records[0].Id}",
                "rename",
                Some(json!({"Title": "Of @{found.records[0].Account.Name}"})),
            ),
            // A raw query, spaces and quotes unencoded, as real orgs take it.
            sub(
                "GET",
                "/query?q=SELECT Title FROM Contact WHERE Id = '@{who.id}'",
                "again",
                None,
            ),
        ],
    )
    .await;
    assert_eq!(items.len(), 6);
    let acct = items[0]["body"]["id"].as_str().unwrap().to_owned();
    let who = items[1]["body"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        items[0],
        json!({"body": {"id": acct, "success": true, "errors": []},
               "httpHeaders": {"Location": format!("{V}/sobjects/Account/{acct}")},
               "httpStatusCode": 201, "referenceId": "acct"})
    );
    assert_eq!(items[2]["httpStatusCode"], 200);
    assert_eq!(items[2]["body"]["AccountId"], acct.as_str());
    assert_eq!(items[2]["httpHeaders"], json!({}));
    assert_eq!(items[3]["body"]["totalSize"], 1);
    assert_eq!(items[3]["body"]["records"][0]["Id"], who.as_str());
    assert_eq!(
        items[4],
        json!({"body": null, "httpHeaders": {}, "httpStatusCode": 204, "referenceId": "rename"})
    );
    assert_eq!(items[5]["body"]["records"][0]["Title"], "Of Ref Corp");
    let r = org
        .get(&format!("/sobjects/Contact/{who}?fields=Title"))
        .await;
    assert_eq!(r.body["Title"], "Of Ref Corp");
}

#[tokio::test]
async fn without_all_or_none_a_failure_stops_only_what_depends_on_it() {
    let org = Org::start().await;
    let items = composite(
        &org,
        false,
        vec![
            sub(
                "POST",
                "/sobjects/Account",
                "acct",
                Some(json!({"Name": "Kept"})),
            ),
            sub(
                "POST",
                "/sobjects/Contact",
                "bad",
                Some(json!({"FirstName": "No last name"})),
            ),
            sub(
                "PATCH",
                "/sobjects/Contact/@{bad.id}",
                "dependent",
                Some(json!({"Title": "x"})),
            ),
            sub(
                "POST",
                "/sobjects/Contact",
                "independent",
                Some(json!({"LastName": "Fine", "AccountId": "@{acct.id}"})),
            ),
        ],
    )
    .await;
    assert_eq!(items[0]["httpStatusCode"], 201);
    assert_eq!(items[1]["httpStatusCode"], 400);
    assert_eq!(
        items[1]["body"],
        json!([{"message": "Required fields are missing: [LastName]",
                "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["LastName"]}]),
        "the same error as the call alone"
    );
    assert_eq!(items[2]["httpStatusCode"], 400);
    assert_eq!(
        items[2]["body"],
        json!([{"errorCode": "PROCESSING_HALTED",
                "message": "Invalid reference specified. No value for bad.id found in bad"}])
    );
    assert_eq!(items[3]["httpStatusCode"], 201);
    assert_eq!(
        count(&org, "SELECT COUNT() FROM Account WHERE Name = 'Kept'").await,
        1
    );
    assert_eq!(
        count(&org, "SELECT COUNT() FROM Contact WHERE LastName = 'Fine'").await,
        1
    );
}

#[tokio::test]
async fn with_all_or_none_a_failure_rolls_back_everything_and_halts_the_rest() {
    let org = Org::start().await;
    let kept = org
        .create("Lead", json!({"LastName": "Before", "Company": "Aon"}))
        .await;
    let items = composite(
        &org,
        true,
        vec![
            sub(
                "POST",
                "/sobjects/Account",
                "acct",
                Some(json!({"Name": "Rolled Back"})),
            ),
            sub(
                "PATCH",
                &format!("/sobjects/Lead/{kept}"),
                "touch",
                Some(json!({"Title": "Changed"})),
            ),
            sub("DELETE", &format!("/sobjects/Lead/{kept}"), "gone", None),
            sub(
                "POST",
                "/sobjects/Contact",
                "bad",
                Some(json!({"FirstName": "No last name"})),
            ),
            sub(
                "POST",
                "/sobjects/Account",
                "after",
                Some(json!({"Name": "Never Run"})),
            ),
        ],
    )
    .await;
    assert_eq!(items.len(), 5);
    halted(&items[0], "acct");
    halted(&items[1], "touch");
    halted(&items[2], "gone");
    assert_eq!(items[3]["httpStatusCode"], 400);
    assert_eq!(items[3]["body"][0]["errorCode"], "REQUIRED_FIELD_MISSING");
    halted(&items[4], "after");
    assert_eq!(
        count(
            &org,
            "SELECT COUNT() FROM Account WHERE Name IN ('Rolled Back', 'Never Run')"
        )
        .await,
        0
    );
    let r = org
        .get(&format!("/sobjects/Lead/{kept}?fields=Title"))
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "the delete was rolled back: {}",
        r.text
    );
    assert_eq!(r.body["Title"], Value::Null, "the update was rolled back");

    // An unresolvable reference fails the subrequest, and so the transaction.
    let items = composite(
        &org,
        true,
        vec![
            sub(
                "POST",
                "/sobjects/Account",
                "acct",
                Some(json!({"Name": "Rolled Back"})),
            ),
            sub("GET", "/sobjects/Account/@{acct.Id}", "wrongcase", None),
        ],
    )
    .await;
    halted(&items[0], "acct");
    assert_eq!(items[1]["body"][0]["errorCode"], "PROCESSING_HALTED");
    assert_eq!(
        items[1]["body"][0]["message"],
        "Invalid reference specified. No value for acct.Id found in acct"
    );
    assert_eq!(
        count(
            &org,
            "SELECT COUNT() FROM Account WHERE Name = 'Rolled Back'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn an_all_or_none_composite_makes_its_collections_all_or_none() {
    let org = Org::start().await;
    let accounts = json!({"allOrNone": false, "records": [
        {"attributes": {"type": "Account"}, "Name": "Coll A"},
        {"attributes": {"type": "Account"}}
    ]});
    let collection = |rid: &str| sub("POST", "/composite/sobjects", rid, Some(accounts.clone()));
    let contact = sub(
        "POST",
        "/sobjects/Contact",
        "c",
        Some(json!({"LastName": "Coll"})),
    );

    // Case 1 of Salesforce's allOrNone page: neither rolls back.
    let items = composite(&org, false, vec![collection("coll"), contact.clone()]).await;
    assert_eq!(items[0]["httpStatusCode"], 200);
    assert_eq!(items[0]["body"][0]["success"], true);
    assert_eq!(
        items[0]["body"][1]["errors"][0]["statusCode"],
        "REQUIRED_FIELD_MISSING"
    );
    assert_eq!(items[1]["httpStatusCode"], 201);
    assert_eq!(
        count(&org, "SELECT COUNT() FROM Account WHERE Name = 'Coll A'").await,
        1
    );

    // Case 2: the collection alone rolls back; the rest of the request stands.
    let mut inner_aon = collection("coll");
    inner_aon["body"]["allOrNone"] = json!(true);
    let items = composite(
        &org,
        false,
        vec![
            inner_aon,
            sub(
                "POST",
                "/sobjects/Contact",
                "c2",
                Some(json!({"LastName": "Coll2"})),
            ),
        ],
    )
    .await;
    assert_eq!(
        items[0]["body"][0]["errors"][0]["statusCode"],
        "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    );
    assert_eq!(items[1]["httpStatusCode"], 201);
    assert_eq!(
        count(&org, "SELECT COUNT() FROM Account WHERE Name = 'Coll A'").await,
        1
    );
    assert_eq!(
        count(&org, "SELECT COUNT() FROM Contact WHERE LastName = 'Coll2'").await,
        1
    );

    // Case 4: the outer flag overrides the inner one; everything rolls back.
    let items = composite(&org, true, vec![collection("coll"), contact]).await;
    assert_eq!(items[0]["httpStatusCode"], 200);
    assert_eq!(
        items[0]["body"][0]["errors"][0]["statusCode"],
        "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    );
    halted(&items[1], "c");
    assert_eq!(
        count(&org, "SELECT COUNT() FROM Account WHERE Name = 'Coll A'").await,
        1
    );
    assert_eq!(
        count(&org, "SELECT COUNT() FROM Contact WHERE LastName = 'Coll'").await,
        1
    );
}

#[tokio::test]
async fn limits_and_malformed_requests_are_refused_before_anything_runs() {
    let org = Org::start().await;
    let create = |i: usize| {
        sub(
            "POST",
            "/sobjects/Account",
            &format!("a{i}"),
            Some(json!({"Name": format!("Limit{i}")})),
        )
    };
    let r = org
        .post(
            "/composite",
            &json!({"compositeRequest": (0..26).map(create).collect::<Vec<_>>()}),
        )
        .await;
    assert_error(&r, 400, "LIMIT_EXCEEDED", None);
    assert_eq!(
        count(&org, "SELECT COUNT() FROM Account WHERE Name LIKE 'Limit%'").await,
        0
    );
    let items = composite(&org, false, (0..25).map(create).collect()).await;
    assert_eq!(items.len(), 25);
    assert!(items.iter().all(|i| i["httpStatusCode"] == 201));

    let query = |i: usize| {
        sub(
            "GET",
            "/query?q=SELECT+Id+FROM+Account+LIMIT+1",
            &format!("q{i}"),
            None,
        )
    };
    let r = org
        .post(
            "/composite",
            &json!({"compositeRequest": (0..6).map(query).collect::<Vec<_>>()}),
        )
        .await;
    assert_error(&r, 400, "LIMIT_EXCEEDED", None);
    assert_eq!(
        composite(&org, false, (0..5).map(query).collect())
            .await
            .len(),
        5
    );

    let ok = sub("GET", "/limits", "ok", None);
    let mut with_header = ok.clone();
    with_header["httpHeaders"] = json!({"Authorization": "Bearer other"});
    let mut lower_method = ok.clone();
    lower_method["method"] = json!("get");
    let mut bad_ref = ok.clone();
    bad_ref["referenceId"] = json!("_starts_with_underscore");
    for (body, code) in [
        (json!({"compositeRequest": [with_header]}), "INVALID_INPUT"),
        (json!({"compositeRequest": [lower_method]}), "INVALID_INPUT"),
        (json!({"compositeRequest": [bad_ref]}), "INVALID_INPUT"),
        (
            json!({"compositeRequest": [ok.clone(), ok.clone()]}),
            "INVALID_INPUT",
        ),
        (
            json!({"compositeRequest": [{"method": "GET", "referenceId": "x"}]}),
            "JSON_PARSER_ERROR",
        ),
        (json!({"compositeRequest": "no"}), "JSON_PARSER_ERROR"),
        (
            json!({"allOrNone": 1, "compositeRequest": []}),
            "JSON_PARSER_ERROR",
        ),
        (json!({}), "JSON_PARSER_ERROR"),
    ] {
        let r = org.post("/composite", &body).await;
        assert_error(&r, 400, code, None);
    }
    // What the version and /composite list.
    let r = org.get("").await;
    assert_eq!(r.body["composite"], format!("{V}/composite"));
    let r = org.get("/composite").await;
    assert_eq!(
        r.body,
        json!({"sobjects": format!("{V}/composite/sobjects")})
    );

    // A subrequest the org does not serve there is answered inside.
    let items = composite(
        &org,
        false,
        vec![
            sub("POST", "/composite", "nested", Some(json!({"compositeRequest": []}))),
            json!({"method": "GET", "url": "/services/oauth2/userinfo", "referenceId": "elsewhere"}),
            sub("GET", "/sobjects/Nope__c/describe", "unknown", None),
        ],
    )
    .await;
    for item in &items {
        assert_eq!(item["httpStatusCode"], 404, "{item}");
        assert_eq!(item["body"][0]["errorCode"], "NOT_FOUND");
    }
}

#[tokio::test]
async fn a_query_too_long_for_a_url_runs_inside_a_composite() {
    let org = Org::start().await;
    let id = org.create("Contact", json!({"LastName": "Needle"})).await;
    // About 30 KB of SOQL: an IN list of 2,000 Ids, the one we want last.
    let mut list: Vec<String> = (0..2000)
        .map(|i| format!("'{}'", sfgate::sandbox::ids::to18(&format!("003{i:012}"))))
        .collect();
    list.push(format!("'{id}'"));
    let soql = format!(
        "SELECT Id, LastName FROM Contact WHERE Id IN ({})",
        list.join(", ")
    );
    let url = format!("{V}/query?q={}", enc(&soql));
    assert!(url.len() > 16_384, "{}", url.len());

    let r = org.send(Method::GET, &url, None).await;
    assert_eq!(r.status, StatusCode::URI_TOO_LONG, "{}", r.text);
    let (used, _) = org.sandbox.api_usage();

    let r = org
        .post(
            "/composite",
            &json!({"compositeRequest": [{"method": "GET", "url": url, "referenceId": "long"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let item = &r.body["compositeResponse"][0];
    assert_eq!(item["httpStatusCode"], 200, "{item}");
    assert_eq!(item["body"]["totalSize"], 1);
    assert_eq!(item["body"]["records"][0]["LastName"], "Needle");
    assert_eq!(org.sandbox.api_usage().0, used + 1);

    // Beyond what a URI can hold at all (65,534 bytes): still answered.
    let mut list: Vec<String> = (0..5000)
        .map(|i| format!("'{}'", sfgate::sandbox::ids::to18(&format!("003{i:012}"))))
        .collect();
    list.push(format!("'{id}'"));
    let soql = format!("SELECT Id FROM Contact WHERE Id IN ({})", list.join(", "));
    let url = format!("{V}/query?q={}", enc(&soql));
    assert!(url.len() > 65_535, "{}", url.len());
    let items = composite(
        &org,
        false,
        vec![json!({"method": "GET", "url": url, "referenceId": "longer"})],
    )
    .await;
    assert_eq!(
        items[0]["body"]["records"][0]["Id"],
        id.as_str(),
        "{}",
        items[0]
    );

    // Headers count too: past 16,384 bytes together, 431.
    let r = org
        .client
        .get(format!("{}{V}/limits", org.base))
        .header("Authorization", format!("Bearer {}", org.token))
        .header("X-Padding", "p".repeat(16_400))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
}

#[tokio::test]
async fn a_composite_is_one_api_call_whatever_its_subrequests() {
    let org = Org::start().await;
    let (before, _) = org.sandbox.api_usage();
    org.sandbox.reset_counts();
    let subs: Vec<Value> = (0..10)
        .map(|i| {
            sub(
                "POST",
                "/sobjects/Lead",
                &format!("l{i}"),
                Some(json!({"LastName": format!("N{i}"), "Company": "OneCall"})),
            )
        })
        .collect();
    let r = org
        .post("/composite", &json!({"compositeRequest": subs}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let (after, limit) = org.sandbox.api_usage();
    assert_eq!(after, before + 1);
    assert_eq!(
        r.headers["sforce-limit-info"],
        format!("api-usage={after}/{limit}").as_str()
    );
    let counts = org.sandbox.requests();
    assert_eq!(counts.composite, 1);
    assert_eq!(counts.composite_subrequests, 10);
    assert_eq!((counts.create, counts.total), (0, 1));
    assert_eq!(
        count(&org, "SELECT COUNT() FROM Lead WHERE Company = 'OneCall'").await,
        10
    );
}

#[tokio::test]
async fn faults_hit_the_request_once_and_single_writes_inside_it() {
    let org = Org::start().await;
    org.sandbox.faults().update(|f| f.lock_row_rate = 1.0);
    let items = composite(
        &org,
        false,
        vec![
            sub(
                "POST",
                "/sobjects/Account",
                "w",
                Some(json!({"Name": "Locked"})),
            ),
            sub("GET", "/query?q=SELECT+Id+FROM+Account+LIMIT+1", "r", None),
        ],
    )
    .await;
    assert_eq!(items[0]["httpStatusCode"], 400);
    assert_eq!(items[0]["body"][0]["errorCode"], "UNABLE_TO_LOCK_ROW");
    assert_eq!(items[1]["httpStatusCode"], 200, "reads never lock");

    org.sandbox.faults().set(sfgate::sandbox::FaultConfig {
        unavailable_rate: 1.0,
        ..Default::default()
    });
    let r = org
        .post(
            "/composite",
            &json!({"compositeRequest": [sub("GET", "/limits", "x", None)]}),
        )
        .await;
    assert_error(&r, 503, "SERVER_UNAVAILABLE", None);

    // Dropped after commit: the subrequests' writes stay.
    org.sandbox.faults().set(sfgate::sandbox::FaultConfig {
        drop_after_commit_rate: 1.0,
        ..Default::default()
    });
    let body = json!({"allOrNone": true, "compositeRequest": [
        sub("POST", "/sobjects/Account", "a", Some(json!({"Name": "Dropped But Saved"}))),
    ]});
    let err = org
        .client
        .post(format!("{}{V}/composite", org.base))
        .header("Authorization", format!("Bearer {}", org.token))
        .json(&body)
        .send()
        .await
        .expect_err("no answer");
    assert!(!err.is_status(), "{err}");
    org.sandbox.faults().clear();
    assert_eq!(
        count(
            &org,
            "SELECT COUNT() FROM Account WHERE Name = 'Dropped But Saved'"
        )
        .await,
        1
    );

    // Topics the user cannot see do not exist inside a composite either.
    org.sandbox.faults().update(|f| f.hide_topics = true);
    let items = composite(
        &org,
        false,
        vec![sub("GET", "/sobjects/Topic/describe", "t", None)],
    )
    .await;
    assert_eq!(items[0]["httpStatusCode"], 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_all_or_none_composite_is_not_interleaved_with_other_writes() {
    let org = Org::start().await;
    // 24 creates and a failing one, rolled back, while plain creates arrive:
    // none of those may land inside the transaction (its rollback would take
    // them with it, or leave some of its own). A few rounds, as the arrivals
    // are spread by timers.
    for round in 0..4 {
        let subs: Vec<Value> = (0..24)
            .map(|i| {
                sub(
                    "POST",
                    "/sobjects/Account",
                    &format!("a{i}"),
                    Some(json!({"Name": format!("Txn{round}-{i}")})),
                )
            })
            .chain([sub("POST", "/sobjects/Contact", "bad", Some(json!({})))])
            .collect();
        let body = json!({"allOrNone": true, "compositeRequest": subs});
        let outside = futures_util::future::join_all((0..40).map(|i| {
            let org = &org;
            async move {
                tokio::time::sleep(std::time::Duration::from_micros(i * 250)).await;
                org.create("Account", json!({"Name": format!("Outside{round}-{i}")}))
                    .await
            }
        }));
        let (r, created) = tokio::join!(org.post("/composite", &body), outside);
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            count(&org, "SELECT COUNT() FROM Account WHERE Name LIKE 'Txn%'").await,
            0
        );
        for id in created {
            let r = org.get(&format!("/sobjects/Account/{id}")).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
    }
    assert_eq!(
        count(
            &org,
            "SELECT COUNT() FROM Account WHERE Name LIKE 'Outside%'"
        )
        .await,
        160
    );
}
